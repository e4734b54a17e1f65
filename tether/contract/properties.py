"""What a client may ask a resource about itself (Viam's GetProperties), the same on both ends."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class MotorProperties:
    """What a client may ask of this motor (Viam's GetProperties)."""

    position_reporting: bool


@dataclass(frozen=True, slots=True)
class BaseProperties:
    """Geometry a client may ask for (Viam's GetProperties)."""

    width_meters: float
    turning_radius_meters: float
    wheel_circumference_meters: float
