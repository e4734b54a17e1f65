"""Which H-bridge models hang on the fake pigpiod's pins, from options or a small TOML file.

An option names one motor: ``left=l298n:in1=5,in2=6,pwm=12`` (add ``enable=25`` and
``enable_active_high=false`` for a standby pin). A file holds the same keys per motor::

    [motors.left]
    chip = "l298n"
    in1 = 5
    in2 = 6
    pwm = 12
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tether.errors import ConfigError

if TYPE_CHECKING:
    from tether.fakes.hbridge import HBridge, PinSource

#: Chip name -> the input pins its model needs (the same names as tether.fakes.sim.CHIPS).
CHIP_PINS = {
    "l298n": ("in1", "in2", "pwm"),
    "tb6612": ("in1", "in2", "pwm"),
    "drv8833": ("in1", "in2"),
    "phase_enable": ("direction", "pwm"),
}


@dataclass(frozen=True)
class MotorWiring:
    """One motor's driver chip and the BCM pins that drive it."""

    name: str
    chip: str
    pins: dict[str, int] = field(default_factory=dict)
    enable: int | None = None
    enable_active_high: bool = True

    def describe(self) -> str:
        """`left L298N in1=5 in2=6 pwm=12` for the ready line."""
        pins = " ".join(f"{role}={pin}" for role, pin in self.pins.items())
        enable = "" if self.enable is None else f" enable={self.enable}"
        low = "" if self.enable_active_high else " (active low)"
        return f"{self.name} {self.chip.upper()} {pins}{enable}{low}"


def wiring_from_keys(name: str, keys: dict[str, Any]) -> MotorWiring:
    """Check one motor's keys (from an option or a file table) and build its wiring."""
    where = f"motor {name!r}"
    chip = keys.get("chip")
    if chip not in CHIP_PINS:
        raise ConfigError(f"{where} chip={chip!r}: expected one of {', '.join(CHIP_PINS)}")
    allowed = {"chip", "enable", "enable_active_high", *CHIP_PINS[chip]}
    unknown = sorted(set(keys) - allowed)
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(unknown)}; {chip} takes "
                          f"{', '.join(sorted(allowed - {'chip'}))}")
    pins = {role: _pin(where, role, keys.get(role)) for role in CHIP_PINS[chip]}
    enable = None if keys.get("enable") is None else _pin(where, "enable", keys["enable"])
    active_high = keys.get("enable_active_high", True)
    if not isinstance(active_high, bool):
        raise ConfigError(f"{where} enable_active_high={active_high!r}: expected true or false")
    return MotorWiring(name, chip, pins, enable, active_high)


def wiring_from_option(text: str) -> MotorWiring:
    """`NAME=CHIP:role=pin,...` from the command line."""
    name, _, rest = text.partition("=")
    chip, _, pairs = rest.partition(":")
    if not name or not chip:
        raise ConfigError(f"--motor {text!r}: expected NAME=CHIP:role=pin,... "
                          "e.g. left=l298n:in1=5,in2=6,pwm=12")
    keys: dict[str, Any] = {"chip": chip}
    for pair in filter(None, pairs.split(",")):
        role, _, value = pair.partition("=")
        keys[role] = value.lower() == "true" if value.lower() in ("true", "false") else value
    return wiring_from_keys(name, keys)


def wiring_from_file(path: str | Path) -> list[MotorWiring]:
    """Every [motors.NAME] table of a TOML file."""
    try:
        document = tomllib.loads(Path(path).read_text())
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise ConfigError(f"{path}: {error}") from error
    motors = document.get("motors", {})
    if not isinstance(motors, dict) or not all(isinstance(t, dict) for t in motors.values()):
        raise ConfigError(f"{path}: expected [motors.NAME] tables")
    return [wiring_from_keys(name, keys) for name, keys in motors.items()]


def build_bridges(pins: PinSource, wirings: list[MotorWiring]) -> dict[str, HBridge]:
    """The H-bridge model of each motor, watching the given pins."""
    from tether.fakes.hbridge import DRV8833, L298N, TB6612, PhaseEnableBridge

    bridges: dict[str, HBridge] = {}
    for wiring in wirings:
        options: dict[str, Any] = {
            "enable": wiring.enable, "enable_active_high": wiring.enable_active_high,
        }
        pin = wiring.pins
        if wiring.chip == "drv8833":
            bridges[wiring.name] = DRV8833(pins, pin["in1"], pin["in2"], **options)
        elif wiring.chip == "phase_enable":
            bridges[wiring.name] = PhaseEnableBridge(pins, pin["direction"], pin["pwm"], **options)
        else:
            chip = L298N if wiring.chip == "l298n" else TB6612
            bridges[wiring.name] = chip(pins, pin["in1"], pin["in2"], pin["pwm"], **options)
    return bridges


def _pin(where: str, role: str, value: object) -> int:
    text = str(value)
    if isinstance(value, bool) or not text.isdigit() or int(text) > 27:
        raise ConfigError(f"{where} {role}={value!r}: expected a BCM GPIO number 0-27")
    return int(text)
