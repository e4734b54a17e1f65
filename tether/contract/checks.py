"""Checks every command value before it can reach hardware, with errors that name the value."""

from __future__ import annotations

import math

from tether.errors import InvalidCommand


def check_number(value: object, where: str, low: float, high: float) -> float:
    """Return value as a float if it is a finite number in [low, high]; else InvalidCommand."""
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or not low <= value <= high
    ):
        raise InvalidCommand(f"{where}={value!r}: expected a number in [{low:g}, {high:g}]")
    return float(value)


def check_finite(value: object, where: str, *, nonzero: bool = False) -> float:
    """Return value as a float if it is finite (and nonzero when asked); else InvalidCommand."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidCommand(f"{where}={value!r}: expected a finite number")
    if nonzero and value == 0:
        raise InvalidCommand(f"{where}={value!r}: expected a nonzero finite number")
    return float(value)


def check_option(value: object, where: str, low: float, high: float) -> float:
    """Like check_number, for constructor options (same message shape)."""
    return check_number(value, where, low, high)


#: The longest blocking move (move_straight, spin, go_for) tether accepts: an hour. Longer drives
#: are set_velocity/set_power in a session; the cap also keeps every timer representable.
MAX_MOVE_SECONDS = 3600.0


def check_duration(seconds: float, where: str) -> float:
    """Return seconds if a move that long may start; else InvalidCommand naming the request."""
    if not seconds <= MAX_MOVE_SECONDS:
        raise InvalidCommand(
            f"{where}: the move would take {seconds:.3g} s; expected at most "
            f"{MAX_MOVE_SECONDS:g} s (for a longer drive, command a speed in a session instead)"
        )
    return seconds
