"""Build the rover a config describes, on real hardware or (with sim) on tether's fakes."""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tether.config import BaseConfig, MotorConfig, RobotConfig
from tether.contract.resource import Resource
from tether.drivers.base import Base, DifferentialBase
from tether.drivers.motor import Motor
from tether.errors import ConfigError, HardwareError, TetherError
from tether.fakes.channel import DutyChannel, MirroredOutput
from tether.fakes.rover import FakeRover

log = logging.getLogger("tether.robot")

_SERIAL_DRIVERS = ("sabertooth", "roboclaw", "smc")


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
    config: RobotConfig, *, sim: bool = False, clock: Callable[[], float] = time.monotonic
) -> Robot:
    """Build every motor and base; with sim (or [sim] in the config) on fakes only."""
    simulated = sim or config.sim
    if not simulated and config.pin_factory == "mock":
        raise ConfigError(
            f"{config.source}: [gpio].pin_factory = 'mock' is fake hardware; "
            "run with --sim (or add [sim]) to use it"
        )
    robot = Robot(config, sim=simulated)
    try:
        parts = _SimParts(robot, clock) if simulated else _RealParts(robot, config)
        for motor in config.motors:
            robot.motors[motor.name] = _start(parts, motor, config.source)
        for base in config.bases:
            robot.bases[base.name] = _base(robot, base)
            if simulated:
                robot.rovers[base.name] = _rover(robot, base, clock)
    except BaseException:
        robot.close()
        raise
    return robot


def _start(parts: _RealParts | _SimParts, motor: MotorConfig, source: str) -> Motor:
    """Build one motor; a failure becomes one error naming the file and the motor."""
    where = f"{source}: [[motor]] {motor.name!r}"
    try:
        return parts.motor(motor)
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


def _rover(robot: Robot, base: BaseConfig, clock: Callable[[], float]) -> FakeRover:
    rpm = base.max_rpm or min(
        (robot.motors[n].max_rpm or 150.0) for n in (*base.left, *base.right)
    )
    def wheel(name: str) -> DutyChannel | MirroredOutput:
        output = robot.outputs[name]
        return MirroredOutput(output) if robot.motors[name].invert else output

    return FakeRover(
        [wheel(n) for n in base.left],
        [wheel(n) for n in base.right],
        width_mm=base.width_mm,
        max_speed_mm_s=rpm * base.wheel_circumference_mm / 60,
        clock=clock,
    )


def _motor_options(motor: MotorConfig, drop: tuple[str, ...]) -> dict[str, Any]:
    return {k: v for k, v in motor.options.items() if k not in drop}


class _RealParts:
    """Real pin factory, I2C chips and serial links, each built once and shared."""

    def __init__(self, robot: Robot, config: RobotConfig) -> None:
        self.robot, self.config = robot, config
        self._factory: Any = None
        self._chips: dict[str, Any] = {}
        self._links: dict[str, Any] = {}

    def motor(self, motor: MotorConfig) -> Motor:
        if motor.driver == "gpio":
            from tether.drivers.gpio import GpioMotor

            return GpioMotor(motor.name, pin_factory=self._pin_factory(), **motor.options)
        if motor.driver == "hat":
            from tether.drivers.pca9685 import HatMotor

            chip = self._chip(motor.options["chip"])
            return HatMotor(motor.name, chip=chip, **_motor_options(motor, ("chip",)))
        return _serial_motor(motor, self._link(motor.options["port"]))

    def _pin_factory(self) -> Any:
        if self._factory is None:
            from tether.drivers.pins import make_pin_factory

            self._factory = make_pin_factory(self.config.pin_factory)
            self.robot.closers.append(self._factory.close)
        return self._factory

    def _chip(self, name: str) -> Any:
        if name not in self._chips:
            from tether.drivers.pca9685 import PCA9685

            chip = next(c for c in self.config.chips if c.name == name)
            self._chips[name] = PCA9685(chip.bus, chip.address, frequency=chip.frequency)
            self.robot.closers.append(self._chips[name].close)
        return self._chips[name]

    def _link(self, name: str) -> Any:
        if name not in self._links:
            from tether.drivers.serial_link import SerialLink

            port = next(p for p in self.config.ports if p.name == name)
            self._links[name] = SerialLink(port.port, port.baudrate)
            self.robot.closers.append(self._links[name].close)
        return self._links[name]


def _serial_motor(motor: MotorConfig, link: Any) -> Motor:
    options = _motor_options(motor, ("port",))
    if motor.driver == "sabertooth":
        from tether.drivers.sabertooth import SabertoothMotor

        return SabertoothMotor(motor.name, link=link, **options)
    if motor.driver == "roboclaw":
        from tether.drivers.roboclaw import RoboClawMotor

        return RoboClawMotor(motor.name, link=link, **options)
    from tether.drivers.pololu_smc import SmcMotor

    return SmcMotor(motor.name, link=link, **options)


class _SimParts:
    """The same config on fakes: recording pins + H-bridge models, fake I2C, pty devices."""

    def __init__(self, robot: Robot, clock: Callable[[], float]) -> None:
        self.robot, self.clock = robot, clock
        self._factory: Any = None
        self._chips: dict[str, Any] = {}
        self._links: dict[str, tuple[Any, Any]] = {}

    def motor(self, motor: MotorConfig) -> Motor:
        if motor.driver == "gpio":
            return self._gpio(motor)
        if motor.driver == "hat":
            return self._hat(motor)
        device, link = self._serial(motor)
        channel = motor.options.get("channel", 1)
        self.robot.outputs[motor.name] = device.channels[channel]
        return _serial_motor(motor, link)

    def _gpio(self, motor: MotorConfig) -> Motor:
        from tether.drivers.gpio import GpioMotor
        from tether.fakes.hbridge import InInBridge, InInPwmBridge, PhaseEnableBridge
        from tether.fakes.pins import FakePinFactory

        if self._factory is None:
            self._factory = self.robot.devices["pins"] = FakePinFactory(clock=self.clock)
        o = motor.options
        enable = {
            "enable": o.get("enable"), "enable_active_high": o.get("enable_active_high", True)
        }
        if "direction" in o:
            bridge: DutyChannel = PhaseEnableBridge(
                self._factory, o["direction"], o["pwm"], **enable
            )
        elif "pwm" in o:
            bridge = InInPwmBridge(self._factory, o["in1"], o["in2"], o["pwm"], **enable)
        else:
            bridge = InInBridge(self._factory, o.get("in1", 0), o.get("in2", 0), **enable)
        self.robot.outputs[motor.name] = bridge
        return GpioMotor(motor.name, pin_factory=self._factory, **o)

    def _hat(self, motor: MotorConfig) -> Motor:
        from tether.drivers.pca9685 import HAT_LAYOUTS, PCA9685, HatMotor
        from tether.fakes.smbus import FakePCA9685, FakeSMBus, HatOutput

        name = motor.options["chip"]
        if name not in self._chips:
            chip = next(c for c in self.robot.config.chips if c.name == name)
            bus = self.robot.devices.setdefault(f"i2c-{chip.bus}", FakeSMBus(chip.bus))
            fake = FakePCA9685(clock=self.clock)
            bus.attach(chip.address, fake)
            self.robot.devices[f"pca9685-{name}"] = fake
            self._chips[name] = (PCA9685(bus, chip.address, frequency=chip.frequency), fake)
            self.robot.closers.append(self._chips[name][0].close)
        driver, fake = self._chips[name]
        o = motor.options
        channels = o.get("channels") or HAT_LAYOUTS[o.get("hat", "")][o.get("motor", "")]
        self.robot.outputs[motor.name] = HatOutput(fake, *channels)
        return HatMotor(motor.name, chip=driver, **_motor_options(motor, ("chip",)))

    def _serial(self, motor: MotorConfig) -> tuple[Any, Any]:
        from tether.drivers.serial_link import SerialLink

        name = motor.options["port"]
        if name in self._links:
            device, link = self._links[name]
            if getattr(device, "address", None) != motor.options.get("address", device.address):
                raise ConfigError(
                    f"{self.robot.config.source}: --sim runs one controller per serial port; "
                    f"[[motor]] {motor.name!r} uses another address on {name!r}"
                )
            return device, link
        device = _fake_device(motor, self.clock)
        port = next(p for p in self.robot.config.ports if p.name == name)
        link = SerialLink(device.path, port.baudrate)
        self.robot.devices[f"serial-{name}"] = device
        self.robot.closers.extend([device.close, link.close])
        self._links[name] = (device, link)
        return device, link


def _fake_device(motor: MotorConfig, clock: Callable[[], float]) -> Any:
    if motor.driver == "sabertooth":
        from tether.fakes.sabertooth import FakeSabertooth

        return FakeSabertooth(motor.options.get("address", 128), clock=clock)
    if motor.driver == "roboclaw":
        from tether.fakes.roboclaw import FakeRoboClaw

        return FakeRoboClaw(motor.options.get("address", 0x80), clock=clock)
    from tether.fakes.pololu_smc import FakeSmc

    return FakeSmc(clock=clock)
