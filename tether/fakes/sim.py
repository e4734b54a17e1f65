"""A whole simulated rover on any supported hardware's fake: motors, a base and the kinematics."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tether.drivers.base import DifferentialBase
from tether.drivers.motor import Motor
from tether.errors import ConfigError
from tether.fakes.channel import DutyChannel
from tether.fakes.rover import FakeRover

#: BCM pins (in1, in2, pwm) per wheel position; the same wiring as examples/rover.toml.
WIRING = {
    "left": (5, 6, 12),
    "right": (20, 21, 13),
    "left_rear": (23, 24, 18),
    "right_rear": (16, 26, 19),
    "left_middle": (17, 27, 22),
    "right_middle": (4, 25, 10),
}
CHIPS = ("l298n", "tb6612", "drv8833", "phase_enable")
_POSITIONS = {
    1: (["left"], ["right"]),
    2: (["left", "left_rear"], ["right", "right_rear"]),
    3: (["left", "left_middle", "left_rear"], ["right", "right_middle", "right_rear"]),
}


@dataclass
class SimParts:
    """What a hardware builder made: motors and their outputs by name, and how to tear down."""

    motors: dict[str, Motor] = field(default_factory=dict)
    outputs: dict[str, DutyChannel] = field(default_factory=dict)
    closers: list[Callable[[], None]] = field(default_factory=list)
    description: str = ""
    devices: dict[str, Any] = field(default_factory=dict)


@dataclass
class SimRover:
    """Everything a simulated rover is made of, for tests and `tether demo`."""

    base: DifferentialBase
    rover: FakeRover
    motors: dict[str, Motor]
    outputs: dict[str, DutyChannel]
    hardware: str = "gpio"
    description: str = ""
    closers: list[Callable[[], None]] = field(default_factory=list)
    #: The fakes behind the motors, for fault injection: "pins" (FakePinFactory), "bus" and
    #: "pca9685" (FakeSMBus, FakePCA9685), "sabertooth" (FakeSabertooth), ...
    devices: dict[str, Any] = field(default_factory=dict)

    def duties(self) -> dict[str, float]:
        """Signed duty at every motor's terminals now."""
        return {name: output.duty for name, output in self.outputs.items()}

    def all_stopped_at(self) -> float | None:
        """When the last motor's duty reached 0, or None while any still has duty."""
        times = [output.zero_since() for output in self.outputs.values()]
        return None if any(t is None for t in times) else max(t for t in times if t is not None)

    def close(self) -> None:
        """Stop and release everything; idempotent, and quiet about devices already gone."""
        with contextlib.suppress(Exception):
            self.base.close()
        for motor in self.motors.values():
            with contextlib.suppress(Exception):
                motor.close()
        for closer in self.closers:
            with contextlib.suppress(Exception):
                closer()
        self.closers.clear()


Builder = Callable[[list[str], str, float, Callable[[], float]], SimParts]


def _gpio(names: list[str], chip: str, max_rpm: float, clock: Callable[[], float]) -> SimParts:
    from tether.drivers.gpio import GpioMotor
    from tether.fakes.hbridge import DRV8833, L298N, TB6612, HBridge, PhaseEnableBridge
    from tether.fakes.pins import FakePinFactory

    if chip not in CHIPS:
        raise ConfigError(f"chip={chip!r}: expected one of {', '.join(CHIPS)}")
    factory = FakePinFactory(clock=clock)
    parts = SimParts(
        description=f"GpioMotors on {chip.upper()} models, fake pins", devices={"pins": factory}
    )
    pins: dict[str, Any]
    for name in names:
        in1, in2, pwm = WIRING[name]
        if chip in ("l298n", "tb6612"):
            bridge: HBridge = (L298N if chip == "l298n" else TB6612)(factory, in1, in2, pwm)
            pins = {"in1": in1, "in2": in2, "pwm": pwm}
        elif chip == "drv8833":
            bridge, pins = DRV8833(factory, in1, in2), {"in1": in1, "in2": in2}
        else:
            bridge, pins = PhaseEnableBridge(factory, in1, pwm), {"direction": in1, "pwm": pwm}
        parts.outputs[name] = bridge
        parts.motors[name] = GpioMotor(name, pin_factory=factory, max_rpm=max_rpm, **pins)
    return parts


def _hat(kind: str) -> Builder:
    def build(names: list[str], _chip: str, max_rpm: float, clock: Callable[[], float]) -> SimParts:
        from tether.drivers.pca9685 import HAT_ADDRESSES, HAT_LAYOUTS, PCA9685, HatMotor
        from tether.fakes.smbus import FakePCA9685, FakeSMBus, HatOutput

        slots = list(HAT_LAYOUTS[kind])
        if len(names) > len(slots):
            raise ConfigError(f"the {kind} HAT drives {len(slots)} motors, not {len(names)}")
        bus = FakeSMBus()
        fake = FakePCA9685(clock=clock)
        bus.attach(HAT_ADDRESSES[kind], fake)
        chip = PCA9685(bus, HAT_ADDRESSES[kind])
        parts = SimParts(
            closers=[chip.close], description=f"HatMotors on a fake {kind} HAT (I2C)",
            devices={"bus": bus, "pca9685": fake},
        )
        for name, slot in zip(names, slots, strict=False):
            parts.outputs[name] = HatOutput(fake, *HAT_LAYOUTS[kind][slot])
            parts.motors[name] = HatMotor(name, chip=chip, hat=kind, motor=slot, max_rpm=max_rpm)
        return parts

    return build


def _two_channels(
    names: list[str], device: Any, link: Any, kind: str, *, description: str,
    make: Callable[[str, int], Motor],
) -> SimParts:
    """Channel 1 drives the left side, channel 2 the right (skid-steer: a whole side each)."""
    parts = SimParts(
        closers=[link.close, device.close], description=description,
        devices={kind: device, "link": link},
    )
    sides = [n for n in names if n.startswith("left")], [n for n in names if n.startswith("right")]
    try:
        for channel, side in ((1, sides[0]), (2, sides[1])):
            for name in side:
                parts.outputs[name] = device.channels[channel]
            parts.motors[side[0]] = make(side[0], channel)
    except BaseException:
        for closer in parts.closers:
            closer()
        raise
    return parts


def _sabertooth(
    names: list[str], _chip: str, max_rpm: float, clock: Callable[[], float]
) -> SimParts:
    from tether.drivers.sabertooth import SabertoothMotor
    from tether.drivers.serial_link import SerialLink
    from tether.fakes.sabertooth import FakeSabertooth

    device = FakeSabertooth(128, clock=clock)
    link = SerialLink(device.path, 9600)
    return _two_channels(
        names, device, link, "sabertooth",
        description="SabertoothMotors on a fake Sabertooth (pty serial)",
        make=lambda name, ch: SabertoothMotor(
            name, link=link, address=128, channel=ch, max_rpm=max_rpm
        ),
    )


def _roboclaw(names: list[str], _chip: str, max_rpm: float, clock: Callable[[], float]) -> SimParts:
    from tether.drivers.roboclaw import RoboClawMotor
    from tether.drivers.serial_link import SerialLink
    from tether.fakes.roboclaw import FakeRoboClaw

    device = FakeRoboClaw(0x80, clock=clock)
    link = SerialLink(device.path, 38400)
    return _two_channels(
        names, device, link, "roboclaw",
        description="RoboClawMotors on a fake RoboClaw (pty serial)",
        make=lambda name, ch: RoboClawMotor(
            name, link=link, address=0x80, channel=ch, max_rpm=max_rpm
        ),
    )


def _smc(names: list[str], _chip: str, max_rpm: float, clock: Callable[[], float]) -> SimParts:
    """Pololu SMCs are single-channel: one controller (and port) per side."""
    from tether.drivers.pololu_smc import SmcMotor
    from tether.drivers.serial_link import SerialLink
    from tether.fakes.pololu_smc import FakeSmc

    parts = SimParts(description="SmcMotors on fake Pololu SMCs (pty serial)")
    sides = [n for n in names if n.startswith("left")], [n for n in names if n.startswith("right")]
    try:
        for side in sides:
            device = FakeSmc(clock=clock)
            link = SerialLink(device.path, 9600)
            parts.closers.extend([link.close, device.close])
            parts.devices[f"smc-{side[0]}"] = device
            for name in side:
                parts.outputs[name] = device.channel
            parts.motors[side[0]] = SmcMotor(side[0], link=link, max_rpm=max_rpm)
    except BaseException:
        for closer in parts.closers:
            closer()
        raise
    return parts


_BUILDERS: dict[str, Builder] = {
    "gpio": _gpio,
    "adafruit-hat": _hat("adafruit"),
    "waveshare-hat": _hat("waveshare"),
    "sabertooth": _sabertooth,
    "roboclaw": _roboclaw,
    "smc": _smc,
}
#: Hardware names `build_sim_rover(hardware=...)` and `tether demo --hardware` accept.
HARDWARE = tuple(_BUILDERS)


def build_sim_rover(
    *,
    hardware: str = "gpio",
    motors_per_side: int = 1,
    chip: str = "l298n",
    width_mm: float = 160.0,
    wheel_circumference_mm: float = 204.0,
    max_rpm: float = 150.0,
    max_acceleration: float | None = None,
    time_constant: float = 0.05,
    base_name: str = "base",
    clock: Callable[[], float] = time.monotonic,
) -> SimRover:
    """Build a simulated rover on the named hardware's fake (GPIO wired as WIRING says)."""
    if hardware not in _BUILDERS:
        raise ConfigError(f"hardware={hardware!r}: expected one of {', '.join(_BUILDERS)}")
    if motors_per_side not in _POSITIONS:
        raise ConfigError(f"motors_per_side={motors_per_side!r}: expected 1, 2 or 3")
    left_names, right_names = _POSITIONS[motors_per_side]
    parts = _BUILDERS[hardware]([*left_names, *right_names], chip, max_rpm, clock)
    try:
        base = DifferentialBase(
            base_name,
            [parts.motors[n] for n in left_names if n in parts.motors],
            [parts.motors[n] for n in right_names if n in parts.motors],
            width_mm=width_mm,
            wheel_circumference_mm=wheel_circumference_mm,
            max_acceleration=max_acceleration,
        )
    except BaseException:
        for closer in parts.closers:
            closer()
        raise
    rover = FakeRover(
        [parts.outputs[n] for n in left_names],
        [parts.outputs[n] for n in right_names],
        width_mm=width_mm,
        max_speed_mm_s=max_rpm * wheel_circumference_mm / 60,
        time_constant=time_constant,
        clock=clock,
    )
    return SimRover(
        base, rover, parts.motors, parts.outputs, hardware, parts.description, parts.closers,
        parts.devices,
    )
