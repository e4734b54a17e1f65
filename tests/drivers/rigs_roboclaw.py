"""The RoboClaw backend's rig for the Motor contract suite (found by rigs._discover)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.drivers.rigs import MotorRig, serial_rig
from tether.drivers.roboclaw import RoboClawMotor
from tether.fakes.roboclaw import FakeRoboClaw
from tether.protocols import roboclaw as proto


def roboclaw(**options: Any) -> MotorRig:
    device = FakeRoboClaw(address=0x81)
    return serial_rig(
        device, 38400,
        lambda link: RoboClawMotor("m", link=link, address=0x81, channel=2, **options),
        device.channels[2], 1 / proto.MAX_DUTY,
    )


RIGS: dict[str, Callable[..., MotorRig]] = {"roboclaw": roboclaw}
