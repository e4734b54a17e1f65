"""Moved to tether.drivers.serial.motor; this module keeps the old import path working."""

from tether.drivers.serial.motor import DEFAULT_CONTROLLER_TIMEOUT, SerialMotor, SerialOptions

__all__ = ["DEFAULT_CONTROLLER_TIMEOUT", "SerialMotor", "SerialOptions"]
