"""RoboClaw (Basicmicro) dual-channel controllers in packet serial (RoboClawMotor): the
"roboclaw" row of the model table."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from tether.robot.model import Checking, EncoderModel, Model
from tether.robot.models.serial import (
    TWO_CHANNEL_KEYS,
    build_on_link,
    channel_claims,
    channel_stop,
    check_address,
    check_port,
    check_timeout,
    fake_channel,
    fake_controller,
    two_channel_demo,
)
from tether.robot.table import NUMBER, Table
from tether.robot.wiring import Claim, EncoderConfig, MotorConfig

if TYPE_CHECKING:
    from tether.drivers.encoder import WheelEncoder
    from tether.drivers.motor import Motor
    from tether.fakes.channel import DutyChannel
    from tether.fakes.encoders import FakeEncoder
    from tether.robot.fake_hardware import FakeHardware
    from tether.robot.hardware import SharedDrivers

KEYS = {**TWO_CHANNEL_KEYS, "encoder_counts_per_rev": NUMBER, "qpps": int,
        "velocity_pid": dict, "acceleration": NUMBER}
#: The controller's velocity PID gains as Motion Studio shows them.
VELOCITY_PID_KEYS = ("p", "i", "d")


def check(table: Table, options: dict[str, Any], checking: Checking) -> None:
    """Address 0x80-0x87 and channel 1 or 2, the encoder's counts, the controller's timeout,
    its speed loop (qpps, gains, acceleration)."""
    from tether.drivers.serial.roboclaw import RoboClawMotor
    from tether.protocols.roboclaw import ADDRESSES

    check_port(table)
    check_address(table, options, "roboclaw", ADDRESSES)
    table.number("encoder_counts_per_rev", 1e-3, 1e9)
    check_timeout(table, options, RoboClawMotor.max_timeout(), checking.window)
    _check_speed_loop(table, options)


def _check_speed_loop(table: Table, options: dict[str, Any]) -> None:
    """qpps a whole count the controller takes; gains it can encode; an acceleration > 0."""
    from tether.protocols.roboclaw import PID_SCALE, VelocityPid

    qpps = table.get("qpps", int)
    if qpps is not None and not 1 <= qpps < 1 << 31:
        raise table.fail("qpps", "a whole number of encoder counts per second in [1, 2^31) "
                                 "(the channel's top speed, as Motion Studio's autotune finds it)")
    table.number("acceleration", 1.0, float((1 << 32) - 1))
    given = table.get("velocity_pid", dict)
    if given is None:
        return
    if qpps is None:
        raise table.fail("velocity_pid", "qpps as well (the controller's PID needs its top "
                                         "speed)")
    gains = Table(table.source, f"{table.where}.velocity_pid", given)
    gains.only(set(VELOCITY_PID_KEYS))
    top = ((1 << 32) - 1) / PID_SCALE
    p, i, d = (gains.number(key, 0.0, top, 0.0) or 0.0 for key in VELOCITY_PID_KEYS)
    options["velocity_pid"] = VelocityPid(p, i, d, qpps)


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


ENCODER_KEYS = {"port": str, "address": int, "channel": int}


def check_encoder(table: Table, options: dict[str, Any], _checking: Checking) -> None:
    """The controller's address and channel whose counter this is."""
    from tether.protocols.roboclaw import ADDRESSES

    check_port(table)
    check_address(table, options, "roboclaw", ADDRESSES)


def encoder_claims(encoder: EncoderConfig, ports: Mapping[str, str]) -> Iterator[Claim]:
    """The counter of one channel of the controller at its address on its port."""
    o = encoder.options
    path, address, channel = ports[o["port"]], o["address"], o["channel"]
    yield Claim(encoder.name, "channel", ("roboclaw encoder", path, address, channel),
                f"the encoder counter of channel {channel} of the roboclaw at {address} on "
                f"{path}")


def build_encoder(encoder: EncoderConfig, shared: SharedDrivers) -> WheelEncoder:
    """A RoboClawEncoder on its port's shared link."""
    from tether.drivers.serial.roboclaw import RoboClawEncoder

    o = encoder.options
    return RoboClawEncoder(encoder.name, link=shared.link(o["port"]), address=o["address"],
                           channel=o["channel"], ticks_per_revolution=o["ticks_per_revolution"])


def fake_encoder(encoder: EncoderConfig, hardware: FakeHardware) -> FakeEncoder:
    """The counter of the fake RoboClaw on the encoder's port (made here if no motor made it)."""
    from tether.fakes.encoders import ControllerEncoder
    from tether.fakes.roboclaw import FakeRoboClaw

    o = encoder.options
    controller = fake_controller(
        encoder, hardware, lambda: FakeRoboClaw(o["address"], clock=hardware.clock)
    )
    return ControllerEncoder(controller, o["channel"])


ENCODER = EncoderModel("roboclaw", ENCODER_KEYS, check_encoder, encoder_claims, build_encoder,
                       fake_encoder)

MODEL = Model(
    "roboclaw", KEYS, check, channel_claims, build, fake,
    presets={"roboclaw": two_channel_demo(
        {"name": "claw", "port": "/dev/ttyACM0", "baudrate": 38400}, 0x80,
        "RoboClawMotors on a fake RoboClaw (pty serial)")},
    safe_off=channel_stop(_duty),
)
