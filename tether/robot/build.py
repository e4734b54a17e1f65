"""Build the rover a config describes, on real hardware or (with sim) on tether's fakes.

This is the one build path: the daemon, `tether drive`, the demos and build_sim_rover all come
here. Each motor is built by its family's row of the model table: in sim the row's fake builder
first puts a fake device where the hardware would be, then the same real builder opens the driver
on it.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tether.contract.resource import Resource
from tether.control.stall import FaultStop
from tether.drivers.base import Base, DifferentialBase
from tether.drivers.encoded_base import EncodedBase
from tether.drivers.encoded_motor import EncodedMotor, SpeedLoop
from tether.drivers.encoder import WheelEncoder
from tether.drivers.motor import Motor
from tether.drivers.odometry_sensor import OdometrySensor
from tether.errors import ConfigError, HardwareError, TetherError
from tether.fakes.channel import DutyChannel
from tether.fakes.encoders import FakeEncoder
from tether.fakes.rover import FakeRover
from tether.fakes.wheel import SimWheel
from tether.robot.config import BaseConfig, EncoderConfig, MotorConfig, RobotConfig
from tether.robot.fake_hardware import FakeHardware
from tether.robot.hardware import RealHardware, Seams, SharedDrivers
from tether.robot.models import ENCODERS, MODELS
from tether.robot.simulated import encoder_fake, follow_wheels, sim_rover
from tether.session.feed import Feed

log = logging.getLogger("tether.robot")

#: The simulated wheels' lag (s) unless build_robot is told otherwise.
TIME_CONSTANT = 0.05


@dataclass
class Robot:
    """The built resources, and (in sim) the fakes behind them.

    `resources` are what sessions own and stop (motors and bases); encoders and odometry
    sensors are read-only. `faults` has every stop a motor's stall check made. In sim,
    `wheels` has each encoded motor's simulated wheel by motor name (its load, slope, battery,
    slip and blocking are the knobs closed loop is tested against).
    """

    config: RobotConfig
    motors: dict[str, Motor] = field(default_factory=dict)
    bases: dict[str, Base] = field(default_factory=dict)
    sim: bool = False
    outputs: dict[str, DutyChannel] = field(default_factory=dict)
    rovers: dict[str, FakeRover] = field(default_factory=dict)
    devices: dict[str, Any] = field(default_factory=dict)
    closers: list[Callable[[], None]] = field(default_factory=list)
    encoders: dict[str, WheelEncoder] = field(default_factory=dict)
    sensors: dict[str, OdometrySensor] = field(default_factory=dict)
    wheels: dict[str, SimWheel] = field(default_factory=dict)
    faults: Feed[FaultStop] = field(default_factory=lambda: Feed("motor fault"))

    @property
    def resources(self) -> dict[str, Resource]:
        """Every resource by name (motors, then bases)."""
        return {**self.motors, **self.bases}

    def get(self, name: str) -> Resource | None:
        """The resource with that name, if configured."""
        return self.bases.get(name) or self.motors.get(name)

    def stop_all(self) -> list[str]:
        """Stop every base, then every motor; returns the errors (never raises)."""
        errors = []
        everything: list[Resource] = [*self.bases.values(), *self.motors.values()]
        for resource in everything:
            try:
                resource.stop()
            except Exception as exc:
                errors.append(f"{resource.name}: {exc}")
                log.error("stop of %r failed: %s", resource.name, exc)
        return errors

    def close(self) -> None:
        """Stop everything, then release it; idempotent."""
        self.stop_all()
        everything: list[Resource] = [*self.bases.values(), *self.motors.values()]
        for resource in everything:
            with contextlib.suppress(TetherError, OSError):
                resource.close()
        for encoder in self.encoders.values():
            with contextlib.suppress(Exception):
                encoder.close()
        for closer in reversed(self.closers):
            with contextlib.suppress(Exception):
                closer()
        self.closers.clear()


def build_robot(
    config: RobotConfig,
    *,
    sim: bool = False,
    clock: Callable[[], float] = time.monotonic,
    time_constant: float = TIME_CONSTANT,
    seams: Seams | None = None,
) -> Robot:
    """Build every motor and base; with sim (or [sim] in the config) on fakes only, each base
    with a simulated rover whose wheels lag by `time_constant` seconds. Given `seams` (the
    simulated-hardware process's, tether.sim), the drivers open those and no fake is made here:
    the fakes and the rovers live where the seams lead."""
    simulated = sim or config.sim
    if not simulated and config.pin_factory == "mock":
        raise ConfigError(
            f"{config.source}: [gpio].pin_factory = 'mock' is fake hardware; "
            "run with --sim (or add [sim]) to use it"
        )
    robot = Robot(config, sim=simulated)
    try:
        fakes = (FakeHardware(config.source, config.chips, clock, robot.devices, robot.closers)
                 if simulated and seams is None else None)
        opened = seams or fakes or RealHardware(config.pin_factory, robot.closers)
        shared = SharedDrivers(opened, config.chips, config.ports, robot.closers)
        for motor in config.motors:
            robot.motors[motor.name] = _start(robot, motor, shared, fakes)
        followers = {e.name: _encoder(robot, e, shared, fakes) for e in config.encoders}
        for motor in config.motors:
            if motor.encoder is not None:
                robot.motors[motor.name] = _encoded(robot, motor, clock)
        for base in config.bases:
            robot.bases[base.name] = _base(robot, base, clock)
            if fakes is not None:
                robot.rovers[base.name] = sim_rover(base, config.motors, robot.outputs, clock,
                                                    time_constant)
        if fakes is not None:
            robot.wheels.update(follow_wheels(config, followers, robot.rovers, robot.outputs,
                                              clock=clock, time_constant=time_constant))
        for sensor in config.odometry:
            base_built = robot.bases[sensor.base]
            assert isinstance(base_built, EncodedBase), "the config checks its wheels"
            robot.sensors[sensor.name] = OdometrySensor(
                sensor.name, base_built, latitude=sensor.latitude, longitude=sensor.longitude
            )
    except BaseException:
        robot.close()
        raise
    return robot


def _start(
    robot: Robot, motor: MotorConfig, shared: SharedDrivers, fakes: FakeHardware | None
) -> Motor:
    """Build one motor (on its fake, in sim); a failure becomes one error naming the file and
    the motor."""
    source = robot.config.source
    where = f"{source}: [[motor]] {motor.name!r}"
    model = MODELS[motor.driver]
    try:
        if fakes is not None:
            robot.outputs[motor.name] = model.fake(motor, fakes)
        return model.build(motor, shared)
    except HardwareError as exc:
        raise HardwareError(f"{where}: {exc}") from exc
    except TetherError as exc:
        if str(exc).startswith(f"{source}: "):
            raise
        raise ConfigError(f"{where}: {exc}") from exc
    except Exception as exc:  # gpiozero's and lgpio's own errors: the hardware said no
        log.info("building motor %r failed", motor.name, exc_info=True)
        raise HardwareError(f"{where} ({motor.driver}): {type(exc).__name__}: {exc}") from exc


def _encoder(
    robot: Robot, encoder: EncoderConfig, shared: SharedDrivers, fakes: FakeHardware | None
) -> FakeEncoder | None:
    """Build one encoder (its fake first, in sim); the fake, to be tied to a wheel later."""
    where = f"{robot.config.source}: [[encoder]] {encoder.name!r}"
    model = ENCODERS[encoder.driver]
    follower = None
    try:
        if fakes is not None:
            follower = encoder_fake(encoder, fakes)
        robot.encoders[encoder.name] = model.build(encoder, shared)
    except HardwareError as exc:
        raise HardwareError(f"{where}: {exc}") from exc
    except TetherError as exc:
        raise ConfigError(f"{where}: {exc}") from exc
    except Exception as exc:  # gpiozero's own errors: the hardware said no
        raise HardwareError(f"{where} ({encoder.driver}): {type(exc).__name__}: {exc}") from exc
    return follower


def _encoded(robot: Robot, motor: MotorConfig, clock: Callable[[], float]) -> EncodedMotor:
    """The motor built by its row, with its encoder and closed loop around it."""
    assert motor.encoder is not None and motor.loop is not None
    inner, loop = robot.motors[motor.name], motor.loop
    defaults = SpeedLoop()
    speed_loop = SpeedLoop(
        loop.gains or defaults.gains,
        defaults.integral_limit if loop.integral_limit is None else loop.integral_limit,
        defaults.output_min if loop.output_min is None else loop.output_min,
        defaults.output_max if loop.output_max is None else loop.output_max,
    )
    encoder_row = next(e for e in robot.config.encoders if e.name == motor.encoder)
    own_counter = encoder_row.driver == "roboclaw" and getattr(inner, "has_speed_loop", False)
    try:
        wrapped = EncodedMotor(inner, robot.encoders[motor.encoder], loop=speed_loop,
                               stall=loop.stall, controller_loop=own_counter, clock=clock)
    except TetherError as exc:
        raise ConfigError(f"{robot.config.source}: [[motor]] {motor.name!r}: {exc}") from exc
    wrapped.add_fault_listener(robot.faults.publish)
    return wrapped


def _base(robot: Robot, base: BaseConfig, clock: Callable[[], float]) -> DifferentialBase:
    left = [robot.motors[n] for n in base.left]
    right = [robot.motors[n] for n in base.right]
    geometry: dict[str, Any] = {
        "width_mm": base.width_mm, "wheel_circumference_mm": base.wheel_circumference_mm,
        "max_rpm": base.max_rpm, "max_acceleration": base.max_acceleration,
    }
    if robot.config.encoded(base):
        encoded_left = [m for m in left if isinstance(m, EncodedMotor)]
        encoded_right = [m for m in right if isinstance(m, EncodedMotor)]
        closed = True if base.closed_loop is None else base.closed_loop
        return EncodedBase(base.name, encoded_left, encoded_right, closed_loop=closed,
                           clock=clock, **geometry)
    return DifferentialBase(base.name, left, right, **geometry)
