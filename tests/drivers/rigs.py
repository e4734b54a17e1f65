"""Motor rigs for the contract suite: a motor plus a way to read what the hardware sees.

Later backends add a builder to MOTOR_RIGS and inherit every contract test.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tether.drivers.gpio import GpioMotor
from tether.drivers.motor import Motor
from tether.fakes import FakeMotor
from tether.fakes.hbridge import DRV8833, L298N, TB6612, HBridge, PhaseEnableBridge
from tether.fakes.pins import FakePinFactory


@dataclass
class MotorRig:
    """A motor under test and its device-side view."""

    motor: Motor
    duty: Callable[[], float]
    activity: Callable[[], int]


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


MOTOR_RIGS: dict[str, Callable[..., MotorRig]] = {
    "gpio-in1_in2": gpio_in1_in2,
    "gpio-in1_in2_pwm": gpio_in1_in2_pwm,
    "gpio-in1_in2_pwm+standby": gpio_in1_in2_pwm_standby,
    "gpio-dir_pwm": gpio_dir_pwm,
    "gpio-dir_pwm+active_low_enable": gpio_dir_pwm_active_low_enable,
    "fake": fake_motor,
}
