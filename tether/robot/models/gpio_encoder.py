"""Wheel encoders on the Pi's GPIO pins (GpioEncoder): the "quadrature" and "single" rows of
the encoder table."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from tether.robot.model import Checking, EncoderModel
from tether.robot.models.gpio import bcm_number
from tether.robot.table import PIN, Table
from tether.robot.wiring import Claim, EncoderConfig

if TYPE_CHECKING:
    from tether.drivers.encoder import WheelEncoder
    from tether.fakes.encoders import FakeEncoder
    from tether.robot.fake_hardware import FakeHardware
    from tether.robot.hardware import SharedDrivers

#: Pull resistor names (gpiozero's pull_up True/False/None); "none" by default: an encoder with
#: push-pull outputs (or its own pull-ups) drives the line, and a pull that changes the level
#: after pigpio connects costs the first edge of each channel (pigpio.py's callback thread
#: keeps the levels it read at connect time).
PULLS = ("none", "up", "down")
QUADRATURE_KEYS = {"a": PIN, "b": PIN, "pull": str}
SINGLE_KEYS = {"pin": PIN, "pull": str}


def _check(pins: tuple[str, ...]) -> Any:
    def check(table: Table, options: dict[str, Any], _checking: Checking) -> None:
        """Each pin a BCM number 0-27 (required), used once; the pull one of PULLS."""
        used: dict[int, str] = {}
        for key in pins:
            table.get(key, PIN, required=True)
            bcm = bcm_number(options[key])
            if bcm is None:
                raise table.fail(key, "a BCM GPIO number 0-27 (or a gpiozero name for one, "
                                      "like 'GPIO17' or 'BOARD11')")
            if bcm in used:
                raise table.fail(key, f"a pin this encoder does not already use (GPIO{bcm} "
                                      f"is its {used[bcm]})")
            used[bcm], options[key] = key, bcm
        if table.get("pull", str, "none") not in PULLS:
            raise table.fail("pull", f"one of {', '.join(PULLS)}")
        options.setdefault("pull", "none")

    return check


def claims(encoder: EncoderConfig, _ports: Mapping[str, str]) -> Iterator[Claim]:
    """Every pin the encoder reads (already BCM numbers)."""
    for key in ("a", "b", "pin"):
        if key in encoder.options:
            pin = encoder.options[key]
            yield Claim(encoder.name, key, ("GPIO", pin), f"GPIO{pin}")


def _pins(encoder: EncoderConfig) -> tuple[int, int | None]:
    o = encoder.options
    return (o["pin"], None) if "pin" in o else (o["a"], o["b"])


def build(encoder: EncoderConfig, shared: SharedDrivers) -> WheelEncoder:
    """A GpioEncoder on the robot's one pin factory."""
    from tether.drivers.gpio_encoder import GpioEncoder

    a, b = _pins(encoder)
    return GpioEncoder(encoder.name, pin_factory=shared.pin_factory(), a=a, b=b,
                       ticks_per_revolution=encoder.options["ticks_per_revolution"],
                       pull=encoder.options["pull"])


def fake(encoder: EncoderConfig, hardware: FakeHardware) -> FakeEncoder:
    """The encoder's edges on the fake pins, once it follows a wheel."""
    from tether.fakes.encoders import PinEncoder

    a, b = _pins(encoder)
    return PinEncoder(hardware.edge_inputs(), a, b, name=encoder.name)


QUADRATURE = EncoderModel("quadrature", QUADRATURE_KEYS, _check(("a", "b")), claims, build, fake)
SINGLE = EncoderModel("single", SINGLE_KEYS, _check(("pin",)), claims, build, fake)
