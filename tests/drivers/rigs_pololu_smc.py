"""The Pololu Simple Motor Controller joins the motor contract suite (on a pty fake)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.drivers.rigs import MotorRig, _settled
from tether.drivers.pololu_smc import SmcMotor
from tether.drivers.serial_link import SerialLink
from tether.fakes.pololu_smc import FakeSmc


def pololu_smc(**options: Any) -> MotorRig:
    device = FakeSmc()
    link = SerialLink(device.path, 9600)
    try:
        motor = SmcMotor("m", link=link, **options)
    except BaseException:
        link.close()
        device.close()
        raise
    channel = device.channel

    def duty() -> float:
        _settled(link, device)
        return channel.duty

    def cleanup() -> None:
        link.close()
        device.close()

    return MotorRig(motor, duty, lambda: len(channel.history), 1 / 3200, cleanup)


RIGS: dict[str, Callable[..., MotorRig]] = {"pololu_smc": pololu_smc}
