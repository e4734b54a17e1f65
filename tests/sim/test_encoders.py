"""Encoders on the simulated-hardware process: each [[encoder]]'s fake follows the simulated wheel
its motor turns, in the sim process, and the daemon reads it through the real seam (the real
pigpio library and the fake pigpiod's notifications for GPIO encoders, the fake RoboClaw's own
counter over its pty), so what the encoder counts is what the wheel turned."""

from __future__ import annotations

import time

import pytest

from tests.server.harness import EXAMPLES, DaemonThread
from tether.client import connect
from tether.config import load_config

#: Both encoder examples count 1440 ticks per wheel revolution.
TICKS_PER_REVOLUTION = 1440
#: Ticks an encoder may be off the wheel's travel: edges are whole counts (1 each side), and the
#: last ones may still be on their way when read.
TICKS_SLACK = 3


def settled(daemon: DaemonThread, timeout: float = 5.0) -> bool:
    """Wait until the rover's wheels are still, then for the last edges to arrive."""
    rover = daemon.sim.rovers["base"]
    until = time.monotonic() + timeout
    while time.monotonic() < until:
        state = rover.state()
        if abs(state.left_mm_s) < 0.01 and abs(state.right_mm_s) < 0.01:
            time.sleep(0.2)
            return True
        time.sleep(0.02)
    return False


@pytest.mark.parametrize("example", ["rover_encoders.toml", "roboclaw_encoders.toml"])
def test_on_the_sim_process_each_encoder_counts_what_its_wheel_turned(example: str) -> None:
    """Driven at half power for 1 s, the rover's centre rolled the mean of its wheels' travel;
    the encoders, read by the daemon, counted that (in the mean), and each its own wheel's."""
    config = load_config(EXAMPLES / example)
    circumference = config.bases[0].wheel_circumference_mm
    daemon = DaemonThread(config)
    try:
        with connect(daemon.address) as client, client.session(keepalive=True):
            client.base().set_power(0.5, 0)
            time.sleep(1.0)
            client.base().stop()
        assert settled(daemon), "the simulated wheels did not come to rest within 5 s"
        rolled = daemon.sim.rovers["base"].state().odometer_mm / circumference
        counted = {motor: daemon.robot.encoders[f"{motor}_encoder"].ticks()
                   for motor in ("left", "right")}
        print(f"\n{example}: the rover's centre rolled {rolled * TICKS_PER_REVOLUTION:.1f} "
              f"ticks; the encoders counted {counted}")
        assert rolled * TICKS_PER_REVOLUTION > 500, "the rover drove"
        mean = sum(counted.values()) / 2
        assert mean == pytest.approx(rolled * TICKS_PER_REVOLUTION, abs=TICKS_SLACK)
        wheels = daemon.sim.wheels
        assert set(wheels) == {"left", "right"}
        for motor, ticks in counted.items():
            turned = wheels[motor].travel() / circumference * TICKS_PER_REVOLUTION
            print(f"  {motor} wheel turned {turned:.1f} ticks, its encoder counted {ticks}")
            assert ticks == pytest.approx(turned, abs=TICKS_SLACK), motor
    finally:
        daemon.close()


def test_a_wheel_s_knobs_are_set_and_read_through_the_inspection_api() -> None:
    """What closed-loop tests turn (load, slope, battery, slip, blocked) reaches the wheel in the
    sim process; a knob or a wheel that does not exist is an error naming those that do."""
    daemon = DaemonThread(load_config(EXAMPLES / "rover_encoders.toml"))
    try:
        wheel = daemon.sim.wheels["right"]
        wheel.load, wheel.slope, wheel.battery, wheel.slip = 0.3, -0.1, 0.8, 0.05
        wheel.blocked = True
        assert wheel.state() == {"load": 0.3, "slope": -0.1, "battery": 0.8, "slip": 0.05,
                                 "blocked": True, "speed": 0.0, "travel": 0.0}
        assert daemon.sim.wheels["left"].load == 0.0, "one wheel's knobs only"
        with pytest.raises(ValueError, match="battery"):
            wheel.battery = 1.5
        with pytest.raises(KeyError, match="wheel knob 'grip': expected one of load, slope, "
                                           "battery, slip, blocked"):
            daemon.sim.call("set_wheel", name="right", knob="grip", value=1)
        with pytest.raises(KeyError, match="encoded motor's wheel 'middle': expected one of "
                                           "left, right"):
            daemon.sim.call("wheel", name="middle")
    finally:
        daemon.close()
