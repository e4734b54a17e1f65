"""Moved to tether.robot.motors (and each driver's options to its row of tether.robot.models);
this module keeps the old import path working."""

from tether.robot.motors import DRIVER_KEYS, parse_motors
from tether.robot.wiring import MotorConfig

__all__ = ["DRIVER_KEYS", "MotorConfig", "parse_motors"]
