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
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from tether.contract.resource import Resource
from tether.drivers.base import Base, DifferentialBase
from tether.drivers.motor import Motor
from tether.errors import ConfigError, HardwareError, TetherError
from tether.fakes.channel import DutyChannel, MirroredOutput
from tether.fakes.rover import FakeRover
from tether.robot.config import BaseConfig, MotorConfig, RobotConfig
from tether.robot.fake_hardware import FakeHardware
from tether.robot.hardware import RealHardware, Seams, SharedDrivers
from tether.robot.models import MODELS

log = logging.getLogger("tether.robot")

#: The simulated wheels' lag (s) unless build_robot is told otherwise.
TIME_CONSTANT = 0.05


@dataclass
class Robot:
    """The built resources, and (in sim) the fakes behind them."""

    config: RobotConfig
    motors: dict[str, Motor] = field(default_factory=dict)
    bases: dict[str, Base] = field(default_factory=dict)
    sim: bool = False
    outputs: dict[str, DutyChannel] = field(default_factory=dict)
    rovers: dict[str, FakeRover] = field(default_factory=dict)
    devices: dict[str, Any] = field(default_factory=dict)
    closers: list[Callable[[], None]] = field(default_factory=list)

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
        for base in config.bases:
            robot.bases[base.name] = _base(robot, base)
            if fakes is not None:
                robot.rovers[base.name] = sim_rover(base, config.motors, robot.outputs, clock,
                                                    time_constant)
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


def _base(robot: Robot, base: BaseConfig) -> DifferentialBase:
    return DifferentialBase(
        base.name,
        [robot.motors[n] for n in base.left],
        [robot.motors[n] for n in base.right],
        width_mm=base.width_mm,
        wheel_circumference_mm=base.wheel_circumference_mm,
        max_rpm=base.max_rpm,
        max_acceleration=base.max_acceleration,
    )


def sim_rover(
    base: BaseConfig,
    motors: Sequence[MotorConfig],
    outputs: Mapping[str, DutyChannel],
    clock: Callable[[], float],
    time_constant: float,
) -> FakeRover:
    """The simulated rover of a [[base]], its wheels driven by its motors' fake outputs (a
    mirror-mounted motor's inverted): in-process here, or in the simulated-hardware process."""
    options = {m.name: m.options for m in motors}
    rpm = base.max_rpm or min(
        (options[n].get("max_rpm") or 150.0) for n in (*base.left, *base.right)
    )

    def wheel(name: str) -> DutyChannel | MirroredOutput:
        output = outputs[name]
        return MirroredOutput(output) if options[name].get("invert", False) else output

    return FakeRover(
        [wheel(n) for n in base.left],
        [wheel(n) for n in base.right],
        width_mm=base.width_mm,
        max_speed_mm_s=rpm * base.wheel_circumference_mm / 60,
        time_constant=time_constant,
        clock=clock,
    )
