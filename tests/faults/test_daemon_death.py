"""The daemon dies (SIGKILL) while it drives: what the hardware does afterwards.

On a rover the hardware outlives tether: pigpiod keeps its PWM when its client dies, a PCA9685
keeps its registers, and a serial controller drives until its own timeout. `tether serve --sim`
runs its fakes in a process of their own (tether.sim) that outlives the daemon the same way, so
CI reproduces the hazard: the tests read the wheels there, and through the seams the guardian
uses: its own pigpio.pi() on the fake pigpiod, its own client of the fake I2C bus.

With the guardian (`tether serve`'s default) every wheel is at duty 0 within 50 ms of the
daemon's SIGKILL; with `--no-guardian` the hazard stays as it was measured before the guardian:
GPIO and HAT wheels at their last duty, the serial controller stopped by its own timeout.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from tests.faults.guarded_rig import pin_duty
from tests.faults.rig import (
    HostedDaemon,
    Processes,
    check_delay,
    free_port,
    record,
    two_bases,
    wait_for,
)
from tether.drivers.pca9685 import HAT_ADDRESSES, HAT_LAYOUTS
from tether.protocols.pca9685 import channel_register, decode_duty
from tether.sim.i2c import SimSMBus

#: What each base is driven at before the kill: GPIO through pigpio, a PCA9685 HAT, a Sabertooth.
DRIVEN = {"base": 0.6, "base2": 0.5, "base3": 0.4}
GPIO_WHEELS, HAT_WHEELS, SERIAL_WHEELS = ("left", "right"), ("left2", "right2"), ("left3",
                                                                                "right3")
WHEELS = (*GPIO_WHEELS, *HAT_WHEELS, *SERIAL_WHEELS)
#: The GPIO wheels' PWM pins (tests/faults/rig.py's pins for 'left' and 'right').
PWM_PINS = (12, 13)
#: The HAT wheels' motor terminals on the Adafruit HAT.
HAT_MOTORS = {"left2": "M1", "right2": "M2"}
#: The Sabertooth's own timeout tether arms for the 0.5 s window, and its keepalive period.
SERIAL_TIMEOUT, KEEPALIVE = 0.6, 0.2
#: How soon after the daemon's death a guardian must have made every output safe.
SAFE_WITHIN = 0.05


def hazard_rover() -> dict[str, object]:
    """'base' on GPIO (L298N pins), 'base2' on an Adafruit HAT's M1/M2, 'base3' on a Sabertooth."""
    gpio = {"left": {"driver": "gpio", "in1": 5, "in2": 6, "pwm": 12},
            "right": {"driver": "gpio", "in1": 20, "in2": 21, "pwm": 13}}
    hat = {name: {"driver": "hat", "chip": "hat", "hat": "adafruit", "motor": motor}
           for name, motor in HAT_MOTORS.items()}
    config = two_bases({**gpio, **hat}, pca9685=[{"name": "hat", "address": 0x60}],
                       serial=[{"name": "saber", "port": "/dev/ttyHAZARD"}])
    motors: list[dict[str, object]] = config["motor"]
    motors += [{"name": f"{side}3", "max_rpm": 150, "driver": "sabertooth", "port": "saber",
                "address": 128, "channel": channel}
               for side, channel in (("left", 1), ("right", 2))]
    config["base"].append({"name": "base3", "left": ["left3"], "right": ["right3"],
                           "width_mm": 160, "wheel_circumference_mm": 204})
    config["guardian"] = {"restart": "never"}  # the clients go idle: no one drives a restart
    return config


@dataclass(frozen=True)
class Killed:
    """What the wheels did around a SIGKILL of the daemon, read from the sim process."""

    killed: float
    driving: dict[str, float]
    after_one_second: dict[str, float]
    #: Seconds from the kill until each wheel's duty reached 0 for good (None: still driving).
    stopped_after: dict[str, float | None]
    pwm_after: dict[int, float]  # the GPIO wheels' PWM duty as pigpio itself reads it
    hat_after: dict[str, float]  # the HAT wheels' PWM duty read from the chip's registers
    serial_timeouts: int


@pytest.fixture(scope="module")
def killed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Killed]:
    """`tether serve --sim --no-guardian` drives all three bases; SIGKILL; one second later,
    the wheels."""
    yield from _kill_while_driving(tmp_path_factory, guardian=False)


@pytest.fixture(scope="module")
def guarded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Killed]:
    """The same with the guardian: the daemon (its child) is killed."""
    yield from _kill_while_driving(tmp_path_factory, guardian=True)


def _kill_while_driving(tmp_path_factory: pytest.TempPathFactory, *,
                        guardian: bool) -> Iterator[Killed]:
    processes = Processes()
    try:
        daemon = HostedDaemon(tmp_path_factory.mktemp("hazard"), hazard_rover(),
                              f"127.0.0.1:{free_port()}", guardian=guardian)
        processes.add(daemon)
        sim = daemon.sim
        assert sim is not None and sim.ports["saber"].state()["timeout"] == SERIAL_TIMEOUT, \
            "tether armed the controller's own timeout"
        retry = ("--start-tries", "5", "--on-error", "idle")
        for base, power in DRIVEN.items():
            processes.client(daemon.address, "tether", "--base", base, "--power", str(power),
                             "--rate", "10", *retry)
        wheels = {**dict.fromkeys(GPIO_WHEELS, DRIVEN["base"]),
                  **dict.fromkeys(HAT_WHEELS, DRIVEN["base2"]),
                  **dict.fromkeys(SERIAL_WHEELS, DRIVEN["base3"])}
        assert wait_for(lambda: all(abs(sim.outputs[n].duty - d) <= 1 / 127
                                    for n, d in wheels.items()), 10, 0.01) is not None
        time.sleep(0.3)
        driving = sim.duties()
        killed = time.monotonic()
        os.kill(daemon.daemon_pid, signal.SIGKILL)
        assert daemon.process.wait(10) == (3 if guardian else -signal.SIGKILL), \
            "a guardian with restart = never stays down, exit 3"
        time.sleep(max(0.0, killed + 1.0 - time.monotonic()))
        after = sim.duties()
        stopped = {n: sim.zero_since([n]) for n in WHEELS}
        yield Killed(killed, driving, after,
                     {n: None if t is None else t - killed for n, t in stopped.items()},
                     _pigpio_duties(daemon), _hat_duties(daemon),
                     int(sim.ports["saber"].state()["timeouts"]))
    finally:
        processes.close()


def _pigpio_duties(daemon: HostedDaemon) -> dict[int, float]:
    """The PWM pins' duty as any pigpio client reads it from the fake pigpiod (this one closes
    before the fake does: pigpio.py spins on a socket its daemon closed)."""
    import pigpio

    assert daemon.sim_addresses is not None and daemon.sim_addresses.pigpio is not None
    host, _, port = daemon.sim_addresses.pigpio.rpartition(":")
    pi = pigpio.pi(host, int(port))
    try:
        return {p: pin_duty(pi, p) for p in PWM_PINS}
    finally:
        pi.stop()


def _hat_duties(daemon: HostedDaemon) -> dict[str, float]:
    """The HAT wheels' PWM channels, read from the chip's registers by another client of the
    fake I2C bus (as a guardian would open it)."""
    assert daemon.sim_addresses is not None and daemon.sim_addresses.i2c is not None
    bus = SimSMBus(daemon.sim_addresses.i2c, 1)
    try:
        address = HAT_ADDRESSES["adafruit"]
        return {name: decode_duty(bytes(bus.read_i2c_block_data(
                    address, channel_register(HAT_LAYOUTS["adafruit"][motor][0]), 4)))
                for name, motor in HAT_MOTORS.items()}
    finally:
        bus.close()


def test_without_the_guardian_daemon_sigkill_leaves_gpio_and_hat_wheels_driving(
        killed: Killed) -> None:
    """Today's hazard, on the simulated hardware as on a rover: pigpiod keeps its PWM when its
    client dies, a PCA9685 keeps its registers; nothing in software is left to stop them."""
    held = {n: killed.after_one_second[n] for n in (*GPIO_WHEELS, *HAT_WHEELS)}
    record("daemon SIGKILL (--sim): GPIO on pigpio and a PCA9685 HAT 1 s later (the hazard: "
           "held at the last duty)", None, None,
           held == {n: killed.driving[n] for n in held})
    assert held == {n: killed.driving[n] for n in held}
    assert held["left"] == pytest.approx(DRIVEN["base"])
    assert held["left2"] == pytest.approx(DRIVEN["base2"], abs=1 / 4096)
    assert killed.pwm_after == {12: pytest.approx(0.6), 13: pytest.approx(0.6)}, \
        "pigpio itself reads the last duty on the pins"
    assert killed.hat_after == {n: pytest.approx(DRIVEN["base2"], abs=1 / 4096)
                                for n in HAT_WHEELS}, "the chip's registers hold the last duty"


def test_without_the_guardian_the_serial_controller_stops_only_by_its_own_timeout(
        killed: Killed) -> None:
    """The Sabertooth's own serial timeout (armed by tether at window + 0.1 s) is the only
    thing that stops a wheel: between one keepalive period before it and a little after."""
    delays = [killed.stopped_after[n] for n in SERIAL_WHEELS]
    delay = None if None in delays else max(d for d in delays if d is not None)
    check_delay("daemon SIGKILL (--sim): the serial controller's own timeout", delay,
                SERIAL_TIMEOUT + 0.5, low=SERIAL_TIMEOUT - KEEPALIVE - 0.05)
    assert killed.serial_timeouts >= 1, "the controller's own timeout stopped it"


def test_with_the_guardian_daemon_sigkill_stops_every_wheel_within_50_ms(
        guarded: Killed) -> None:
    """The guardian makes every output safe at once from its own process: GPIO through its own
    pigpio connection, the HAT through its own I2C client, the Sabertooth through the pty."""
    late = {n: d for n, d in guarded.stopped_after.items() if d is None or d > SAFE_WITHIN}
    delays = [d for d in guarded.stopped_after.values() if d is not None]
    record("daemon SIGKILL (--sim, with the guardian): every wheel at duty 0",
           max(delays) if len(delays) == len(WHEELS) else None, SAFE_WITHIN, not late)
    assert late == {}, (f"wheels not at duty 0 within {SAFE_WITHIN * 1000:.0f} ms of the daemon's "
                        f"SIGKILL (s after the kill; None: still driving 1 s later): {late}")
    assert guarded.pwm_after == {12: 0.0, 13: 0.0}, "pigpio itself reads PWM 0 on the pins"
    assert guarded.hat_after == {n: 0.0 for n in HAT_WHEELS}, "the chip's channels are off"
    assert guarded.serial_timeouts == 0, "the guardian's stop came before the controller's own"
