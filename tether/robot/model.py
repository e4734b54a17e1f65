"""What a hardware family is to tether: one row of the model table (tether/robot/models/).

A row holds everything that knows the family: the keys of its [[motor]] tables and their types,
the checks that turn them into options its driver accepts (ranges, defaults), what each motor
claims (pins, channels, ports) so two motors never share a line, the real builder, the fake
builder, the demo rovers it can be, and what a second process must do to make its outputs safe.

Real and fake builds meet at the same seams (a gpiozero pin factory, an SMBus, a serial port
path): the fake builder puts a fake device at the seam and returns the output a wheel sees; the
real builder then opens the same driver on whatever sits at the seam. So --sim runs the real
driver code, and a fake that lives in another process needs only a seam with an address (a fake
pigpiod's host:port, a pty path), not a change to any builder.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tether.robot.safe import SafeOff
from tether.robot.table import Table
from tether.robot.wiring import Claim, EncoderConfig, MotorConfig

if TYPE_CHECKING:
    from tether.drivers.encoder import WheelEncoder
    from tether.drivers.motor import Motor
    from tether.fakes.channel import DutyChannel
    from tether.fakes.encoders import FakeEncoder
    from tether.robot.fake_hardware import FakeHardware
    from tether.robot.hardware import SharedDrivers


@dataclass(frozen=True)
class Checking:
    """What a family's check may need from the rest of the file."""

    #: [server].heartbeat_window: controller-side timeouts default a little above it.
    window: float
    #: [gpio].pin_factory: its PWM limits bound pwm_frequency.
    pin_factory: str


#: Wheel names of a demo rover: the left side's, then the right side's.
Sides = tuple[Sequence[str], Sequence[str]]


@dataclass(frozen=True)
class DemoWiring:
    """One family's part of a demo rover: the sections it needs, each motor's own keys, which
    motor turns each wheel (a skid-steer side on one controller channel turns several)."""

    description: str
    sections: dict[str, Any]
    motors: dict[str, dict[str, Any]]
    wheels: dict[str, str]


#: (wheel names per side, the GPIO chip model to wire) -> the family's demo rover wiring.
Preset = Callable[[Sides, str], DemoWiring]


@dataclass(frozen=True)
class Model:
    """One hardware family: its [[motor]] schema, its claims, its builders, its presets."""

    #: The [[motor]].driver value that picks this row.
    driver: str
    #: The family's own [[motor]] keys and their TOML types (the common keys are in motors.py).
    keys: Mapping[str, Any]
    #: Ranges and defaults: refuses (naming the key) what the driver or the hardware could not
    #: do, and fills in the defaults the driver should get.
    check: Callable[[Table, dict[str, Any], Checking], None]
    #: Every pin, channel or port the motor drives, for the conflict check.
    claims: Callable[[MotorConfig, Mapping[str, str]], Iterator[Claim]]
    #: The real driver, on the shared pin factory, chip or serial link.
    build: Callable[[MotorConfig, SharedDrivers], Motor]
    #: The fake device at the motor's seam (made once per chip or port), and the output its wheel
    #: sees; `build` then opens the real driver on it.
    fake: Callable[[MotorConfig, FakeHardware], DutyChannel]
    #: Demo rovers by the name `tether demo --hardware` takes.
    presets: Mapping[str, Preset] = field(default_factory=dict)
    #: The guardian's second line: each output of a motor in its safe state (tether/robot/safe.py).
    safe_off: SafeOff | None = None


@dataclass(frozen=True)
class EncoderModel:
    """One kind of wheel encoder: its [[encoder]] schema, claims and builders, as Model is for a
    motor family. The fake follows a simulated wheel that exists only once the rover is built,
    so build_robot ties them together (FakeEncoder.follow) after building every encoder."""

    #: The [[encoder]].driver value that picks this row.
    driver: str
    #: Its own [[encoder]] keys and their TOML types (name, driver and ticks_per_revolution are
    #: every encoder's).
    keys: Mapping[str, Any]
    #: Ranges and defaults, refusing (naming the key) what the driver could not do.
    check: Callable[[Table, dict[str, Any], Checking], None]
    #: Every pin or counter the encoder reads, for the conflict check with every motor's.
    claims: Callable[[EncoderConfig, Mapping[str, str]], Iterator[Claim]]
    #: The real driver, on the shared pin factory or serial link.
    build: Callable[[EncoderConfig, SharedDrivers], WheelEncoder]
    #: The fake at the encoder's seam (edges on the fake pins, a fake controller's counter).
    fake: Callable[[EncoderConfig, FakeHardware], FakeEncoder]
