"""Motor controllers on a serial port: the shared link, what every controller shares, and one
module per controller family. pyserial is imported only when a port is opened."""

from __future__ import annotations

from tether.drivers.serial.link import SerialLink
from tether.drivers.serial.motor import DEFAULT_CONTROLLER_TIMEOUT, SerialMotor, SerialOptions
from tether.drivers.serial.pololu_smc import SmcMotor
from tether.drivers.serial.roboclaw import RoboClawMotor
from tether.drivers.serial.sabertooth import SabertoothMotor

__all__ = [
    "DEFAULT_CONTROLLER_TIMEOUT",
    "RoboClawMotor",
    "SabertoothMotor",
    "SerialLink",
    "SerialMotor",
    "SerialOptions",
    "SmcMotor",
]
