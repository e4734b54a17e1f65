"""Fault row: the gamepad is unplugged mid-hold; the teleop (a daemon client) stops the rover."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.faults.rig import check_delay
from tests.teleop.rigs import note_time, press, script, stick, stopped_after, unplug
from tether.client import connect
from tether.demo_configs import demo_config
from tether.input import FakeGamepad
from tether.server.background import BackgroundDaemon
from tether.teleop import Teleop, client_drive

WINDOW = 0.5
BOUND = 0.25  # one 50 ms stream period is the target; generous for a loaded CI box


@pytest.fixture
def daemon() -> Iterator[BackgroundDaemon]:
    running = BackgroundDaemon(demo_config("gpio", WINDOW), sim=True, listen="127.0.0.1:0")
    yield running
    running.close()


def test_gamepad_unplugged_mid_drive_stops_the_rover_and_the_daemon_serves_on(
    daemon: BackgroundDaemon,
) -> None:
    # The stick is held steady (no events) for 1.45 s, longer than the 1 s of silence that used
    # to stop it: the rover drives until the pad's device goes.
    events = script(press(0.05), stick(0.05, 1.0), unplug(1.5))
    with connect(daemon.address) as rover, client_drive(rover, "base", WINDOW) as drive:
        teleop = Teleop(FakeGamepad(events), drive)
        teleop.run(duration=1.9)
    unplugged = note_time(teleop, "pad disconnected")
    base = daemon.sim.rovers["base"]
    assert base.state_at(unplugged - 0.1).speed_mm_s > 200, "it drove through the silent hold"
    stopped = stopped_after(list(daemon.sim.outputs.values()), unplugged)
    check_delay("gamepad unplugged", None if stopped is None else stopped - unplugged, BOUND)
    with connect(daemon.address) as rover, rover.session():
        rover.base().set_power(0.2, 0.0)
        assert daemon.moving(), "the daemon still serves"
