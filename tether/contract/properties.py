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


@dataclass(frozen=True, slots=True)
class EncoderProperties:
    """How an encoder can report its position (Viam's Encoder GetProperties)."""

    ticks_count_supported: bool
    angle_degrees_supported: bool


@dataclass(frozen=True, slots=True)
class MovementSensorProperties:
    """Which readings a movement sensor gives (Viam's MovementSensor GetProperties)."""

    linear_velocity_supported: bool = False
    angular_velocity_supported: bool = False
    orientation_supported: bool = False
    position_supported: bool = False
    compass_heading_supported: bool = False
    linear_acceleration_supported: bool = False
