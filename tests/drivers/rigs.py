"""Motor rigs for the contract suite: a motor plus a way to read what the hardware sees.

Later backends add a builder to MOTOR_RIGS and inherit every contract test.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from tether.drivers.gpio import GpioMotor
from tether.drivers.motor import Motor
from tether.drivers.sabertooth import SabertoothMotor
from tether.drivers.serial_link import SerialLink
from tether.fakes import FakeMotor
from tether.fakes.channel import DutyChannel
from tether.fakes.hbridge import DRV8833, L298N, TB6612, HBridge, PhaseEnableBridge
from tether.fakes.pins import FakePinFactory
from tether.fakes.sabertooth import FakeSabertooth
from tether.fakes.serial_device import PtySerialDevice


@dataclass
class MotorRig:
    """A motor under test and its device-side view.

    `duty` reads what the device applies (after any bytes in flight have arrived); `activity`
    counts changes at the device, so "nothing moved" is `activity()` unchanged; `resolution` is
    the device's duty step (a Sabertooth has 127 steps).
    """

    motor: Motor
    duty: Callable[[], float]
    activity: Callable[[], int]
    resolution: float = 0.0
    cleanup: Callable[[], None] = lambda: None

    def approx(self, duty: float) -> object:
        """pytest.approx within this device's resolution."""
        return pytest.approx(duty, abs=self.resolution + 1e-9)


def _gpio_rig(
    chip: Callable[[FakePinFactory], HBridge], pins: dict[str, Any], options: dict[str, Any]
) -> MotorRig:
    factory = FakePinFactory()
    bridge = chip(factory)
    motor = GpioMotor("m", pin_factory=factory, **pins, **options)
    used = list(pins.values())

    def activity() -> int:
        return sum(len(factory.history(p)) for p in used)

    return MotorRig(motor, lambda: bridge.duty, activity)


def gpio_in1_in2(**options: Any) -> MotorRig:
    return _gpio_rig(lambda f: DRV8833(f, 5, 6), {"in1": 5, "in2": 6}, options)


def gpio_in1_in2_pwm(**options: Any) -> MotorRig:
    return _gpio_rig(lambda f: L298N(f, 5, 6, 12), {"in1": 5, "in2": 6, "pwm": 12}, options)


def gpio_in1_in2_pwm_standby(**options: Any) -> MotorRig:
    return _gpio_rig(
        lambda f: TB6612(f, 5, 6, 12, enable=25),
        {"in1": 5, "in2": 6, "pwm": 12, "enable": 25},
        options,
    )


def gpio_dir_pwm(**options: Any) -> MotorRig:
    return _gpio_rig(
        lambda f: PhaseEnableBridge(f, 5, 12), {"direction": 5, "pwm": 12}, options
    )


def gpio_dir_pwm_active_low_enable(**options: Any) -> MotorRig:
    return _gpio_rig(
        lambda f: PhaseEnableBridge(f, 5, 12, enable=25, enable_active_high=False),
        {"direction": 5, "pwm": 12, "enable": 25},
        {"enable_active_high": False, **options},
    )


def fake_motor(**options: Any) -> MotorRig:
    motor = FakeMotor("m", **options)
    return MotorRig(motor, lambda: motor.power, lambda: len(motor.history))


def _settled(link: SerialLink, device: PtySerialDevice) -> None:
    """Wait (bounded) until the device has read every byte the driver wrote."""
    until = time.monotonic() + 2.0
    while len(device.received) < link.bytes_written and time.monotonic() < until:
        time.sleep(0.0005)


def serial_rig(
    device: PtySerialDevice,
    baudrate: int,
    build: Callable[[SerialLink], Motor],
    channel: DutyChannel,
    resolution: float,
) -> MotorRig:
    """A serial motor on a pty fake: the link, the motor, and the device's view of one channel."""
    link = SerialLink(device.path, baudrate)
    try:
        motor = build(link)
    except BaseException:
        link.close()
        device.close()
        raise

    def duty() -> float:
        _settled(link, device)
        return channel.duty

    def cleanup() -> None:
        link.close()
        device.close()

    return MotorRig(motor, duty, lambda: len(channel.history), resolution, cleanup)


def sabertooth(**options: Any) -> MotorRig:
    device = FakeSabertooth(address=129)
    return serial_rig(
        device, 9600,
        lambda link: SabertoothMotor("m", link=link, address=129, channel=2, **options),
        device.channels[2], 1 / 127,
    )


MOTOR_RIGS: dict[str, Callable[..., MotorRig]] = {
    "gpio-in1_in2": gpio_in1_in2,
    "gpio-in1_in2_pwm": gpio_in1_in2_pwm,
    "gpio-in1_in2_pwm+standby": gpio_in1_in2_pwm_standby,
    "gpio-dir_pwm": gpio_dir_pwm,
    "gpio-dir_pwm+active_low_enable": gpio_dir_pwm_active_low_enable,
    "fake": fake_motor,
    "sabertooth": sabertooth,
}


def _discover() -> None:
    """Add the rigs of every tests/drivers/rigs_*.py module (each defines RIGS)."""
    import importlib
    from pathlib import Path

    for path in sorted(Path(__file__).parent.glob("rigs_*.py")):
        module = importlib.import_module(f"tests.drivers.{path.stem}")
        MOTOR_RIGS.update(module.RIGS)


_discover()
