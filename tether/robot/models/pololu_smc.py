"""Pololu Simple Motor Controllers, one motor per port (SmcMotor): the "smc" row of the model
table."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from tether.robot.model import Checking, DemoWiring, Model, Sides
from tether.robot.models.serial import (
    build_on_link,
    check_port,
    check_timeout,
    fake_controller,
)
from tether.robot.safe import StopFrame
from tether.robot.table import NUMBER, Table
from tether.robot.wiring import Claim, MotorConfig

if TYPE_CHECKING:
    from tether.drivers.motor import Motor
    from tether.fakes.channel import DutyChannel
    from tether.robot.fake_hardware import FakeHardware
    from tether.robot.hardware import SharedDrivers

KEYS = {"port": str, "crc": bool, "autobaud": bool, "controller_timeout": NUMBER}


def check(table: Table, options: dict[str, Any], checking: Checking) -> None:
    """A port (the SMC has no address) and the timeout its keepalive works to."""
    from tether.drivers.serial.pololu_smc import SmcMotor

    check_port(table)
    check_timeout(table, options, SmcMotor.max_timeout(), checking.window)


def claims(motor: MotorConfig, ports: Mapping[str, str]) -> Iterator[Claim]:
    """All of its port: an SMC answers every byte on the line."""
    path = ports[motor.options["port"]]
    yield Claim(motor.name, "port", ("serial", path), f"all of {path} (an SMC takes a whole port)")


def safe_off(motor: MotorConfig) -> Iterator[StopFrame]:
    """Stop Motor (0xE0): speed 0, and safe start re-armed so nothing restarts it by accident."""
    from tether.protocols.pololu_smc import stop_motor

    crc = motor.options.get("crc", False)
    yield StopFrame(motor.name, motor.options["port"], stop_motor(crc=crc))


def build(motor: MotorConfig, shared: SharedDrivers) -> Motor:
    """An SmcMotor on its port's link."""
    from tether.drivers.serial.pololu_smc import SmcMotor

    return build_on_link(SmcMotor, motor, shared)


def fake(motor: MotorConfig, hardware: FakeHardware) -> DutyChannel:
    """A fake SMC on the port's pty; its one output."""
    from tether.fakes.pololu_smc import FakeSmc

    return fake_controller(motor, hardware, lambda: FakeSmc(clock=hardware.clock)).channel


def demo(sides: Sides, _chip: str) -> DemoWiring:
    """One SMC (and port) per side; each side's first wheel names its motor."""
    ports = [{"name": "smc_left", "port": "/dev/ttyUSB0"},
             {"name": "smc_right", "port": "/dev/ttyUSB1"}]
    motors = {side[0]: {"port": port["name"]} for side, port in zip(sides, ports, strict=True)}
    wheels = {name: side[0] for side in sides for name in side}
    return DemoWiring("SmcMotors on fake Pololu SMCs (pty serial)", {"serial": ports}, motors,
                      wheels)


MODEL = Model("smc", KEYS, check, claims, build, fake, presets={"smc": demo}, safe_off=safe_off)
