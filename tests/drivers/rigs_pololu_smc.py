"""The Pololu Simple Motor Controller joins the motor contract suite (on a pty fake)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.drivers.rigs import MotorRig, serial_rig
from tether.drivers.pololu_smc import SmcMotor
from tether.fakes.pololu_smc import FakeSmc


def pololu_smc(**options: Any) -> MotorRig:
    device = FakeSmc()
    return serial_rig(
        device, 9600, lambda link: SmcMotor("m", link=link, **options), device.channel, 1 / 3200
    )


RIGS: dict[str, Callable[..., MotorRig]] = {"pololu_smc": pololu_smc}
