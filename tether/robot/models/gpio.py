"""H-bridge motors on the Pi's GPIO pins (GpioMotor): the "gpio" row of the model table."""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from tether.errors import ConfigError
from tether.robot.model import Checking, DemoWiring, Model, Sides
from tether.robot.safe import PinLevel
from tether.robot.table import NUMBER, PIN, Table
from tether.robot.wiring import Claim, MotorConfig

if TYPE_CHECKING:
    from tether.drivers.motor import Motor
    from tether.fakes.channel import DutyChannel
    from tether.robot.fake_hardware import FakeHardware
    from tether.robot.hardware import SharedDrivers

GPIO_PINS = ("in1", "in2", "pwm", "direction", "enable")
KEYS = {"in1": PIN, "in2": PIN, "pwm": PIN, "direction": PIN, "enable": PIN,
        "enable_active_high": bool, "pwm_frequency": NUMBER}

#: gpiozero's board data for a 40-pin Pi (a Pi 5 here; every 40-pin Pi has GPIO0-27 on J8).
_HEADER_BOARD = "d04170"
#: Highest PWM frequency per pin factory: lgpio's software PWM refuses more than 10 kHz.
_MAX_PWM_HZ = {"lgpio": 10_000.0}
_GPIO_MAX_PWM_HZ = 100_000.0


def check(table: Table, options: dict[str, Any], checking: Checking) -> None:
    """Pins become BCM numbers 0-27, each used once, in a layout the H-bridge driver knows."""
    used: dict[int, str] = {}
    for key in (k for k in GPIO_PINS if k in options):
        bcm = bcm_number(options[key])
        if bcm is None:
            raise table.fail(key, "a BCM GPIO number 0-27 (or a gpiozero name for one, like "
                                  "'GPIO5' or 'BOARD29')")
        if bcm in used:
            raise table.fail(key, f"a pin this motor does not already use (GPIO{bcm} is its "
                                  f"{used[bcm]})")
        used[bcm], options[key] = key, bcm
    wrong = _layout_fault(set(used.values()))
    if wrong is not None:
        raise table.fail(wrong, "pins in1+in2 (both PWM), in1+in2+pwm, or direction+pwm, "
                                "each with an optional enable")
    top = _MAX_PWM_HZ.get(checking.pin_factory, _GPIO_MAX_PWM_HZ)
    frequency = table.get("pwm_frequency", NUMBER)
    if frequency is not None and not (math.isfinite(frequency) and 1 <= frequency <= top):
        why = (f" ({checking.pin_factory}'s software PWM stops there)"
               if checking.pin_factory in _MAX_PWM_HZ else "")
        raise table.fail("pwm_frequency", f"a frequency in [1, {top:g}] Hz{why}")


def bcm_number(pin: int | str) -> int | None:
    """The BCM number gpiozero would drive for this pin name on the 40-pin header, or None."""
    from gpiozero import PinInvalidPin, pi_info  # board data only: no pin factory starts

    try:
        name = pi_info(_HEADER_BOARD).to_gpio(pin)
    except PinInvalidPin:
        return None
    return int(str(name).removeprefix("GPIO"))


def _layout_fault(given: set[str]) -> str | None:
    """The pin key that is missing or out of place for every H-bridge layout, if any."""
    if "direction" in given:
        extra = next((k for k in ("in1", "in2") if k in given), None)
        return extra or (None if "pwm" in given else "pwm")
    return next((k for k in ("in1", "in2") if k not in given), None)


def claims(motor: MotorConfig, _ports: Mapping[str, str]) -> Iterator[Claim]:
    """Every pin the motor drives (already BCM numbers)."""
    for key in (k for k in GPIO_PINS if k in motor.options):
        pin = motor.options[key]
        yield Claim(motor.name, key, ("GPIO", pin), f"GPIO{pin}")


def safe_off(motor: MotorConfig) -> Iterator[PinLevel]:
    """Every pin low, but an active-low enable high: the bridge's outputs off (coast). The pins
    that cut power by themselves come first: PWM and enable, and in1/in2 when they carry PWM."""
    options = motor.options
    power = {"pwm", "enable"} if "pwm" in options else {"in1", "in2", "enable"}
    for key in sorted((k for k in GPIO_PINS if k in options), key=lambda k: k not in power):
        active_low = key == "enable" and not options.get("enable_active_high", True)
        yield PinLevel(motor.name, options[key], 1 if active_low else 0,
                       0 if key in power else 1)


def build(motor: MotorConfig, shared: SharedDrivers) -> Motor:
    """A GpioMotor on the robot's one pin factory."""
    from tether.drivers.gpio import GpioMotor

    return GpioMotor(motor.name, pin_factory=shared.pin_factory(), **motor.options)


def fake(motor: MotorConfig, hardware: FakeHardware) -> DutyChannel:
    """The H-bridge model of the motor's pin layout, watching the fake pins."""
    from tether.fakes.hbridge import InInBridge, InInPwmBridge, PhaseEnableBridge

    pins, o = hardware.pins(), motor.options
    enable = {"enable": o.get("enable"), "enable_active_high": o.get("enable_active_high", True)}
    if "direction" in o:
        return PhaseEnableBridge(pins, o["direction"], o["pwm"], **enable)
    if "pwm" in o:
        return InInPwmBridge(pins, o["in1"], o["in2"], o["pwm"], **enable)
    return InInBridge(pins, o.get("in1", 0), o.get("in2", 0), **enable)


#: BCM pins (in1, in2, pwm) per wheel position; the same wiring as examples/rover.toml.
WIRING = {
    "left": (5, 6, 12),
    "right": (20, 21, 13),
    "left_rear": (23, 24, 18),
    "right_rear": (16, 26, 19),
    "left_middle": (17, 27, 22),
    "right_middle": (4, 25, 10),
}
#: H-bridge chips a demo rover can be wired for: their pins follow WIRING.
CHIPS = ("l298n", "tb6612", "drv8833", "phase_enable")


def demo(sides: Sides, chip: str) -> DemoWiring:
    """Every wheel its own motor, on WIRING's pins in the chip's layout."""
    if chip not in CHIPS:
        raise ConfigError(f"chip={chip!r}: expected one of {', '.join(CHIPS)}")
    motors: dict[str, dict[str, Any]] = {}
    for name in (*sides[0], *sides[1]):
        in1, in2, pwm = WIRING[name]
        if chip in ("l298n", "tb6612"):
            motors[name] = {"in1": in1, "in2": in2, "pwm": pwm}
        elif chip == "drv8833":
            motors[name] = {"in1": in1, "in2": in2}
        else:
            motors[name] = {"direction": in1, "pwm": pwm}
    return DemoWiring(f"GpioMotors on {chip.upper()} models, fake pins",
                      {"gpio": {"pin_factory": "lgpio"}}, motors, {n: n for n in motors})


MODEL = Model("gpio", KEYS, check, claims, build, fake, presets={"gpio": demo},
              safe_off=safe_off)
