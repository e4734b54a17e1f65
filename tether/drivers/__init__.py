"""Hardware drivers behind one Resource contract; backends are imported only when chosen."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tether.drivers.base import Base, BaseProperties, DifferentialBase
from tether.drivers.motor import Motor, MotorProperties, MotorTuning
from tether.drivers.resource import Actuator, Resource

if TYPE_CHECKING:
    from tether.drivers.gpio import GpioMotor

__all__ = [
    "Actuator",
    "Base",
    "BaseProperties",
    "DifferentialBase",
    "GpioMotor",
    "Motor",
    "MotorProperties",
    "MotorTuning",
    "Resource",
]


def __getattr__(name: str) -> Any:
    """Import hardware backends (and so gpiozero) only when one is asked for."""
    if name == "GpioMotor":
        from tether.drivers.gpio import GpioMotor

        return GpioMotor
    raise AttributeError(f"module 'tether.drivers' has no attribute {name!r}")
