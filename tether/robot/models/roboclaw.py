"""RoboClaw (Basicmicro) dual-channel controllers in packet serial (RoboClawMotor): the
"roboclaw" row of the model table."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tether.robot.model import Checking, Model
from tether.robot.models.serial import (
    TWO_CHANNEL_KEYS,
    build_on_link,
    channel_claims,
    channel_stop,
    check_address,
    check_port,
    check_timeout,
    fake_channel,
    two_channel_demo,
)
from tether.robot.table import NUMBER, Table
from tether.robot.wiring import MotorConfig

if TYPE_CHECKING:
    from tether.drivers.motor import Motor
    from tether.fakes.channel import DutyChannel
    from tether.robot.fake_hardware import FakeHardware
    from tether.robot.hardware import SharedDrivers

KEYS = {**TWO_CHANNEL_KEYS, "encoder_counts_per_rev": NUMBER}


def check(table: Table, options: dict[str, Any], checking: Checking) -> None:
    """Address 0x80-0x87 and channel 1 or 2, the encoder's counts, the controller's timeout."""
    from tether.drivers.serial.roboclaw import RoboClawMotor
    from tether.protocols.roboclaw import ADDRESSES

    check_port(table)
    check_address(table, options, "roboclaw", ADDRESSES)
    table.number("encoder_counts_per_rev", 1e-3, 1e9)
    check_timeout(table, options, RoboClawMotor.max_timeout(), checking.window)


def build(motor: MotorConfig, shared: SharedDrivers) -> Motor:
    """A RoboClawMotor on its port's shared link."""
    from tether.drivers.serial.roboclaw import RoboClawMotor

    return build_on_link(RoboClawMotor, motor, shared)


def fake(motor: MotorConfig, hardware: FakeHardware) -> DutyChannel:
    """A fake RoboClaw at the motor's address on its port's pty; the motor's channel."""
    from tether.fakes.roboclaw import FakeRoboClaw

    return fake_channel(FakeRoboClaw, motor, hardware)


def _duty(address: int, channel: int, duty: float) -> bytes:
    """The duty frame (32 or 33) with its CRC (imported only when the guardian asks)."""
    from tether.protocols.roboclaw import duty as duty_frame

    return duty_frame(address, channel, duty)


MODEL = Model(
    "roboclaw", KEYS, check, channel_claims, build, fake,
    presets={"roboclaw": two_channel_demo(
        {"name": "claw", "port": "/dev/ttyACM0", "baudrate": 38400}, 0x80,
        "RoboClawMotors on a fake RoboClaw (pty serial)")},
    safe_off=channel_stop(_duty),
)
