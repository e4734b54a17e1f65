"""Gamepad events every input backend produces: normalised axes, named buttons, (dis)connection.

Axes are in [-1, 1] (sticks: +x right, +y pushed away from you; triggers: 0 released, 1 full);
buttons have names (`south`, `lb`, ...), so teleop code never sees a backend's raw codes.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from tether.errors import InvalidCommand


def _check_time(time: object, what: str) -> None:
    if isinstance(time, bool) or not isinstance(time, int | float) or not math.isfinite(time):
        raise InvalidCommand(f"{what} time={time!r}: expected a finite number of seconds")


def _check_name(name: object, what: str) -> None:
    if not isinstance(name, str) or not name or any(c.isspace() for c in name):
        raise InvalidCommand(f"{what} name={name!r}: expected a non-empty name without spaces")


def check_axis_value(value: object, what: str) -> float:
    """Return value as a float if it is a finite number in [-1, 1]; NaN never gets further."""
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or not -1.0 <= value <= 1.0
    ):
        raise InvalidCommand(f"{what}={value!r}: expected a number in [-1, 1]")
    return float(value)


@dataclass(frozen=True, slots=True)
class AxisMoved:
    """An axis now reads `value` in [-1, 1]."""

    time: float
    axis: str
    value: float

    def __post_init__(self) -> None:
        _check_time(self.time, "axis event")
        _check_name(self.axis, "axis")
        object.__setattr__(self, "value", check_axis_value(self.value, f"axis {self.axis!r} value"))


@dataclass(frozen=True, slots=True)
class ButtonChanged:
    """A button was pressed or released."""

    time: float
    button: str
    pressed: bool

    def __post_init__(self) -> None:
        _check_time(self.time, "button event")
        _check_name(self.button, "button")
        if not isinstance(self.pressed, bool):
            raise InvalidCommand(f"button {self.button!r} pressed={self.pressed!r}: expected bool")


@dataclass(frozen=True, slots=True)
class Connected:
    """The pad is (back) and reads `axes` with `pressed` held: a snapshot, not changes."""

    time: float
    name: str = "gamepad"
    axes: Mapping[str, float] = field(default_factory=dict)
    pressed: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        _check_time(self.time, "connect event")
        for axis, value in self.axes.items():
            check_axis_value(value, f"connect snapshot axis {axis!r}")


@dataclass(frozen=True, slots=True)
class Disconnected:
    """The pad went away (unplugged, out of range, permissions); the teleop stops at once."""

    time: float
    reason: str = "unplugged"

    def __post_init__(self) -> None:
        _check_time(self.time, "disconnect event")


PadEvent = AxisMoved | ButtonChanged | Connected | Disconnected


class PadState:
    """The pad as the events so far describe it; what the teleop reads every tick."""

    def __init__(self) -> None:
        self.connected = False
        self.name = ""
        self.axes: dict[str, float] = {}
        self.pressed: set[str] = set()
        self.last_event: float | None = None

    def apply(self, event: PadEvent) -> None:
        """Fold one event in (a connect replaces everything with its snapshot)."""
        self.last_event = event.time
        if isinstance(event, AxisMoved):
            self.axes[event.axis] = event.value
        elif isinstance(event, ButtonChanged):
            if event.pressed:
                self.pressed.add(event.button)
            else:
                self.pressed.discard(event.button)
        elif isinstance(event, Connected):
            self.connected, self.name = True, event.name
            self.axes, self.pressed = dict(event.axes), set(event.pressed)
        else:
            self.connected = False
            self.axes.clear()
            self.pressed.clear()

    def axis(self, name: str) -> float:
        """The axis value, 0 if it never moved."""
        return self.axes.get(name, 0.0)

    def held(self, button: str) -> bool:
        """Whether the button is held now."""
        return button in self.pressed
