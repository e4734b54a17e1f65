"""Sabertooth / SyRen dual-channel controllers in packetized serial (SabertoothMotor): the
"sabertooth" row of the model table."""

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
from tether.robot.table import Table
from tether.robot.wiring import MotorConfig

if TYPE_CHECKING:
    from tether.drivers.motor import Motor
    from tether.fakes.channel import DutyChannel
    from tether.robot.fake_hardware import FakeHardware
    from tether.robot.hardware import SharedDrivers

KEYS = {**TWO_CHANNEL_KEYS, "autobaud": bool, "set_baud": int}


def check(table: Table, options: dict[str, Any], checking: Checking) -> None:
    """Address 128-135 and channel 1 or 2, a baud rate the controller can store, its timeout."""
    from tether.drivers.serial.sabertooth import SabertoothMotor
    from tether.protocols.sabertooth import ADDRESSES, BAUD_CODES

    check_port(table)
    check_address(table, options, "sabertooth", ADDRESSES)
    if table.get("set_baud", int) not in (None, *BAUD_CODES):
        raise table.fail("set_baud", f"one of {', '.join(map(str, BAUD_CODES))}")
    check_timeout(table, options, SabertoothMotor.max_timeout(), checking.window)


def build(motor: MotorConfig, shared: SharedDrivers) -> Motor:
    """A SabertoothMotor on its port's shared link."""
    from tether.drivers.serial.sabertooth import SabertoothMotor

    return build_on_link(SabertoothMotor, motor, shared)


def fake(motor: MotorConfig, hardware: FakeHardware) -> DutyChannel:
    """A fake Sabertooth at the motor's address on its port's pty; the motor's channel."""
    from tether.fakes.sabertooth import FakeSabertooth

    return fake_channel(FakeSabertooth, motor, hardware)


def _drive(address: int, channel: int, duty: float) -> bytes:
    """The packetized drive frame (imported only when the guardian asks)."""
    from tether.protocols.sabertooth import drive

    return drive(address, channel, duty)


MODEL = Model(
    "sabertooth", KEYS, check, channel_claims, build, fake,
    presets={"sabertooth": two_channel_demo(
        {"name": "saber", "port": "/dev/ttyAMA0", "baudrate": 9600}, 128,
        "SabertoothMotors on a fake Sabertooth (pty serial)")},
    safe_off=channel_stop(_drive),
)
