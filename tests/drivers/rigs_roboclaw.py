"""The RoboClaw backend's rig for the Motor contract suite (found by rigs._discover)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.drivers.rigs import MotorRig, _settled
from tether.drivers.roboclaw import RoboClawMotor
from tether.drivers.serial_link import SerialLink
from tether.fakes.roboclaw import FakeRoboClaw
from tether.protocols import roboclaw as proto


def roboclaw(**options: Any) -> MotorRig:
    device = FakeRoboClaw(address=0x81)
    link = SerialLink(device.path, 38400)
    try:
        motor = RoboClawMotor("m", link=link, address=0x81, channel=2, **options)
    except BaseException:
        link.close()
        device.close()
        raise
    channel = device.channels[2]

    def duty() -> float:
        _settled(link, device)
        return channel.duty

    def cleanup() -> None:
        link.close()
        device.close()

    return MotorRig(motor, duty, lambda: len(channel.history), 1 / proto.MAX_DUTY, cleanup)


RIGS: dict[str, Callable[..., MotorRig]] = {"roboclaw": roboclaw}
