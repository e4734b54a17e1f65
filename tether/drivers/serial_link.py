"""Moved to tether.drivers.serial.link; this module keeps the old import path working."""

from tether.drivers.serial.link import SerialLink

__all__ = ["SerialLink"]
