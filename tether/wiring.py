"""Moved to tether.robot.wiring (and each family's claims to its row of tether.robot.models);
this module keeps the old import path working."""

from tether.robot.models.gpio import GPIO_PINS
from tether.robot.motors import claims
from tether.robot.wiring import Claim
from tether.robot.wiring import MotorConfig as WiredMotor

__all__ = ["GPIO_PINS", "Claim", "WiredMotor", "claims"]
