"""Stick shaping: radial deadzone, expo curve, speed limits; pure functions, NaN-proof."""

from __future__ import annotations

import math

from tether.teleop.settings import TeleopSettings


def finite_unit(value: float) -> float:
    """Clamp to [-1, 1]; NaN and infinities become 0 so they can never reach a motor."""
    if not math.isfinite(value):
        return 0.0
    return max(-1.0, min(1.0, value))


def radial_deadzone(x: float, y: float, deadzone: float) -> tuple[float, float]:
    """Zero inside a circle of radius `deadzone`; outside, rescale the length to reach 1 at 1.

    Keeps the stick's direction (a square deadzone bends diagonals) and leaves no jump at the
    edge of the deadzone. Lengths over 1 (square-gated sticks' corners) count as 1.
    """
    x, y = finite_unit(x), finite_unit(y)
    length = math.hypot(x, y)
    if length <= deadzone or length == 0.0:
        return 0.0, 0.0
    scaled = (min(length, 1.0) - deadzone) / (1.0 - deadzone)
    return x / length * scaled, y / length * scaled


def expo(value: float, amount: float) -> float:
    """RC-style expo: (1 - a)·v + a·v³; fine control near centre, still 1 at full stick."""
    v = finite_unit(value)
    return finite_unit((1.0 - amount) * v + amount * v * v * v)


def _stick(axis: str) -> str:
    return axis.rsplit("_", 1)[0]


def shape(
    linear_in: float, angular_in: float, settings: TeleopSettings, *, turbo: bool = False
) -> tuple[float, float]:
    """(forward stick, sideways stick) -> (linear, angular) powers for Base.set_power.

    Stick right turns right, which is negative angular (+angular turns left). Both axes on one
    stick share a radial deadzone; axes on different sticks each get their own.
    """
    if _stick(settings.linear_axis) == _stick(settings.angular_axis):
        side, forward = radial_deadzone(angular_in, linear_in, settings.deadzone)
    else:
        forward = radial_deadzone(0.0, linear_in, settings.deadzone)[1]
        side = radial_deadzone(angular_in, 0.0, settings.deadzone)[0]
    top_linear = settings.turbo_linear if turbo else settings.max_linear
    top_angular = settings.turbo_angular if turbo else settings.max_angular
    linear = finite_unit(expo(forward, settings.expo) * top_linear)
    angular = finite_unit(-expo(side, settings.expo) * top_angular)
    return linear + 0.0, angular + 0.0
