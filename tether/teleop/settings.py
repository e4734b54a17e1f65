"""Teleop settings, checked once: a bad value is an error naming it, never a surprise at speed."""

from __future__ import annotations

from dataclasses import dataclass, fields

from tether.contract.checks import check_number
from tether.errors import ConfigError, InvalidCommand
from tether.input.mapping import PadMapping

_RANGES = {
    "rate_hz": (1.0, 100.0),
    "deadzone": (0.0, 0.9),
    "expo": (0.0, 1.0),
    "max_linear": (0.0, 1.0),
    "max_angular": (0.0, 1.0),
    "turbo_linear": (0.0, 1.0),
    "turbo_angular": (0.0, 1.0),
}


@dataclass(frozen=True)
class TeleopSettings:
    """How sticks become commands; defaults suit a small rover on its first drive.

    Powers are fractions of full power. A pad is lost when its device goes (the source reports
    Disconnected), never for silence: evdev reports changes only, so a stick held steady sends
    nothing. `pad_timeout` (seconds, default None = off) is an opt-in silence limit for a
    receiver that keeps its device and goes quiet when it loses the pad; it stops a steady
    hold that long too.
    """

    rate_hz: float = 20.0
    deadzone: float = 0.1
    expo: float = 0.3
    max_linear: float = 0.5
    max_angular: float = 0.5
    turbo_linear: float = 1.0
    turbo_angular: float = 0.8
    deadman: str = "lb"
    turbo: str = "rb"
    linear_axis: str = "left_y"
    angular_axis: str = "left_x"
    pad_timeout: float | None = None

    def __post_init__(self) -> None:
        for name, (low, high) in _RANGES.items():
            value = check_number(getattr(self, name), f"teleop {name}", low, high)
            object.__setattr__(self, name, value)
        if self.pad_timeout is not None:
            timeout = check_number(self.pad_timeout, "teleop pad_timeout", 0.05, 60.0)
            object.__setattr__(self, "pad_timeout", timeout)
        for field in fields(self):
            value = getattr(self, field.name)
            if field.type == "str" and (not isinstance(value, str) or not value.strip()):
                raise InvalidCommand(f"teleop {field.name}={value!r}: expected a control name")
        if self.deadman == self.turbo:
            raise InvalidCommand(
                f"teleop turbo={self.turbo!r}: expected a button other than the deadman"
            )
        if self.linear_axis == self.angular_axis:
            raise InvalidCommand(
                f"teleop angular_axis={self.angular_axis!r}: expected an axis other than "
                "linear_axis"
            )

    @property
    def period(self) -> float:
        """Seconds between streamed commands."""
        return 1.0 / self.rate_hz

    def check_controls(self, mapping: PadMapping) -> None:
        """ConfigError if the deadman, turbo or an axis is missing from the pad's mapping."""
        for what, name, known in (
            ("deadman", self.deadman, mapping.button_names),
            ("turbo", self.turbo, mapping.button_names),
            ("linear_axis", self.linear_axis, mapping.axis_names),
            ("angular_axis", self.angular_axis, mapping.axis_names),
        ):
            if name not in known:
                raise ConfigError(
                    f"teleop {what}={name!r}: not a control of mapping {mapping.name!r}; "
                    f"expected one of {', '.join(sorted(known))}"
                )
