"""Moved to tether.drivers.serial.pololu_smc; this module keeps the old import path working."""

from tether.drivers.serial.pololu_smc import SmcMotor

__all__ = ["SmcMotor"]
