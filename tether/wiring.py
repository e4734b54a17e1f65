"""What each configured motor occupies, so config checking can refuse two motors on one line.

A GPIO pin, a PCA9685 channel, a serial controller's channel: two motors on one of them fight
(and one motor's stop leaves the other's output driven), so `tether check` refuses them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

GPIO_PINS = ("in1", "in2", "pwm", "direction", "enable")


@dataclass(frozen=True)
class Claim:
    """One thing a motor drives, named by the option that claims it."""

    motor: str
    key: str
    thing: tuple[Any, ...]
    says: str

    def clashes(self, other: Claim) -> bool:
        """The same thing, or all of a device the other drives a part of (an SMC's port)."""
        short, long = sorted((self.thing, other.thing), key=len)
        return long[: len(short)] == short


class WiredMotor(Protocol):
    """What claims() reads of a configured motor (tether.motor_config.MotorConfig), named here
    so that module and this one do not import each other."""

    @property
    def name(self) -> str: ...

    @property
    def driver(self) -> str: ...

    @property
    def options(self) -> Mapping[str, Any]: ...


def claims(motor: WiredMotor, ports: Mapping[str, str]) -> Iterator[Claim]:
    """Everything `motor` drives; options are already checked (pins are BCM numbers)."""
    options = motor.options
    if motor.driver == "gpio":
        for key in (k for k in GPIO_PINS if k in options):
            yield Claim(motor.name, key, ("GPIO", options[key]), f"GPIO{options[key]}")
    elif motor.driver == "hat":
        yield from _hat_claims(motor)
    elif motor.driver == "smc":
        path = ports[options["port"]]
        yield Claim(motor.name, "port", ("serial", path),
                    f"all of {path} (an SMC takes a whole port)")
    else:
        path, address, channel = ports[options["port"]], options["address"], options["channel"]
        yield Claim(motor.name, "channel", ("serial", path, address, channel),
                    f"channel {channel} of the {motor.driver} at {address} on {path}")


def _hat_claims(motor: WiredMotor) -> Iterator[Claim]:
    from tether.drivers.pca9685 import HAT_LAYOUTS  # no smbus2

    options = motor.options
    key = "channels" if "channels" in options else "motor"
    channels = options.get("channels") or HAT_LAYOUTS[options["hat"]][options["motor"]]
    for channel in channels:
        yield Claim(motor.name, key, ("PCA9685", options["chip"], channel),
                    f"channel {channel} of [[pca9685]] {options['chip']!r}")
