"""Motors on a PCA9685 HAT over I2C (HatMotor): the "hat" row of the model table.

Adafruit's and Waveshare's HATs by their motor names, or any board by three channels
[pwm, in1, in2]; the chip itself is a [[pca9685]] table that several motors share.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from functools import partial
from typing import TYPE_CHECKING, Any

from tether.errors import ConfigError
from tether.robot.model import Checking, DemoWiring, Model, Sides
from tether.robot.safe import ChannelOff
from tether.robot.table import Table, is_kind
from tether.robot.wiring import Claim, MotorConfig

if TYPE_CHECKING:
    from tether.drivers.motor import Motor
    from tether.fakes.channel import DutyChannel
    from tether.fakes.smbus import FakePCA9685
    from tether.robot.fake_hardware import FakeHardware
    from tether.robot.hardware import SharedDrivers

KEYS = {"chip": str, "hat": str, "motor": str, "channels": list}


def check(table: Table, options: dict[str, Any], _checking: Checking) -> None:
    """Either named HAT motor (hat + motor) or three different channels [pwm, in1, in2]."""
    from tether.drivers.pca9685 import HAT_LAYOUTS  # no smbus2

    table.get("chip", str, required=True)
    channels = options.get("channels")
    if channels is not None:
        if "hat" in options or "motor" in options:
            raise table.fail("channels", "either channels = [pwm, in1, in2] or hat + motor")
        valid = all(is_kind(c, int) and 0 <= c <= 15 for c in channels)
        if not valid or len(channels) != 3 or len(set(channels)) != 3:
            raise table.fail("channels", "three different PCA9685 channels 0-15 [pwm, in1, in2]")
        options["channels"] = tuple(channels)
        return
    hat = options.get("hat")
    if hat not in HAT_LAYOUTS:
        raise table.fail("hat", f"one of {', '.join(HAT_LAYOUTS)} (or channels = "
                                "[pwm, in1, in2])")
    if options.get("motor") not in HAT_LAYOUTS[hat]:
        raise table.fail("motor", f"a motor of the {hat} HAT: {', '.join(HAT_LAYOUTS[hat])}")


def _channels(options: Mapping[str, Any]) -> tuple[int, int, int]:
    """The motor's (pwm, in1, in2) channels, given or by its HAT's layout."""
    from tether.drivers.pca9685 import HAT_LAYOUTS  # no smbus2

    given: tuple[int, int, int] | None = options.get("channels")
    return given or HAT_LAYOUTS[options.get("hat", "")][options.get("motor", "")]


def claims(motor: MotorConfig, _ports: Mapping[str, str]) -> Iterator[Claim]:
    """The three channels of its chip the motor drives."""
    options = motor.options
    key = "channels" if "channels" in options else "motor"
    for channel in _channels(options):
        yield Claim(motor.name, key, ("PCA9685", options["chip"], channel),
                    f"channel {channel} of [[pca9685]] {options['chip']!r}")


def safe_off(motor: MotorConfig) -> Iterator[ChannelOff]:
    """The motor's three channels fully off: no PWM, both bridge inputs low."""
    for channel in _channels(motor.options):
        yield ChannelOff(motor.name, motor.options["chip"], channel)


def build(motor: MotorConfig, shared: SharedDrivers) -> Motor:
    """A HatMotor on the shared driver of its [[pca9685]]."""
    from tether.drivers.pca9685 import HatMotor

    options = {k: v for k, v in motor.options.items() if k != "chip"}
    return HatMotor(motor.name, chip=shared.chip(motor.options["chip"]), **options)


def fake(motor: MotorConfig, hardware: FakeHardware) -> DutyChannel:
    """A register-level fake PCA9685 on the chip's fake bus; the motor's three channels."""
    from tether.fakes.smbus import HatOutput

    name = motor.options["chip"]
    chip = hardware.device(f"pca9685-{name}", partial(_fake_chip, hardware, name))
    return HatOutput(chip, *_channels(motor.options))


def _fake_chip(hardware: FakeHardware, name: str) -> FakePCA9685:
    from tether.fakes.smbus import FakePCA9685

    chip = hardware.chip_config(name)
    fake_chip = FakePCA9685(clock=hardware.clock)
    hardware.bus(chip.bus).attach(chip.address, fake_chip)
    return fake_chip


def demo(kind: str, sides: Sides, _chip: str) -> DemoWiring:
    """The wheels on the HAT's motor terminals in order (M1, M2, ... for Adafruit's)."""
    from tether.drivers.pca9685 import HAT_ADDRESSES, HAT_LAYOUTS

    names, slots = [*sides[0], *sides[1]], list(HAT_LAYOUTS[kind])
    if len(names) > len(slots):
        raise ConfigError(f"the {kind} HAT drives {len(slots)} motors, not {len(names)}")
    motors = {name: {"chip": "hat", "hat": kind, "motor": slot}
              for name, slot in zip(names, slots, strict=False)}
    return DemoWiring(f"HatMotors on a fake {kind} HAT (I2C)",
                      {"pca9685": [{"name": "hat", "bus": 1, "address": HAT_ADDRESSES[kind]}]},
                      motors, {n: n for n in motors})


MODEL = Model("hat", KEYS, check, claims, build, fake,
              presets={"adafruit-hat": partial(demo, "adafruit"),
                       "waveshare-hat": partial(demo, "waveshare")},
              safe_off=safe_off)
