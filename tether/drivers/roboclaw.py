"""Moved to tether.drivers.serial.roboclaw; this module keeps the old import path working."""

from tether.drivers.serial.roboclaw import RoboClawMotor

__all__ = ["RoboClawMotor"]
