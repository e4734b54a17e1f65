"""Hardware drivers behind one Resource contract; backends are imported only when chosen."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tether.drivers.actuator import ActuatorLifecycle
from tether.drivers.base import Base, BaseProperties, DifferentialBase
from tether.drivers.motor import Motor, MotorProperties, MotorTuning
from tether.drivers.resource import Actuator, Resource

if TYPE_CHECKING:
    from tether.drivers.gpio import GpioMotor
    from tether.drivers.pca9685 import PCA9685, HatMotor
    from tether.drivers.serial import (
        RoboClawMotor,
        SabertoothMotor,
        SerialLink,
        SerialMotor,
        SmcMotor,
    )

#: Backend classes by name and the module that holds each, imported on first use.
_BACKENDS = {
    "GpioMotor": "tether.drivers.gpio",
    "HatMotor": "tether.drivers.pca9685",
    "PCA9685": "tether.drivers.pca9685",
    "RoboClawMotor": "tether.drivers.serial",
    "SabertoothMotor": "tether.drivers.serial",
    "SerialLink": "tether.drivers.serial",
    "SerialMotor": "tether.drivers.serial",
    "SmcMotor": "tether.drivers.serial",
}

__all__ = [
    "PCA9685",
    "Actuator",
    "ActuatorLifecycle",
    "Base",
    "BaseProperties",
    "DifferentialBase",
    "GpioMotor",
    "HatMotor",
    "Motor",
    "MotorProperties",
    "MotorTuning",
    "Resource",
    "RoboClawMotor",
    "SabertoothMotor",
    "SerialLink",
    "SerialMotor",
    "SmcMotor",
]


def __getattr__(name: str) -> Any:
    """Import hardware backends (and so gpiozero) only when one is asked for."""
    if name in _BACKENDS:
        import importlib

        return getattr(importlib.import_module(_BACKENDS[name]), name)
    raise AttributeError(f"module 'tether.drivers' has no attribute {name!r}")
