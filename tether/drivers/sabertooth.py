"""Moved to tether.drivers.serial.sabertooth; this module keeps the old import path working."""

from tether.drivers.serial.sabertooth import SabertoothMotor

__all__ = ["SabertoothMotor"]
