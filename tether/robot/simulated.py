"""The simulated wheels of a config: each base's rover, and each encoder's fake tied to the wheel
its motor turns. One place for both sims: build_robot's in-process fakes and the simulated-
hardware process (tether.sim.hardware), so an encoder counts the same wheel in either.

Everything here reads the config and the fakes' outputs, never a built driver: the sim process
has no drivers.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from tether.fakes.channel import DutyChannel, MirroredOutput
from tether.fakes.encoders import FakeEncoder
from tether.fakes.rover import FakeRover
from tether.fakes.wheel import SimWheel
from tether.robot.config import BaseConfig, MotorConfig, RobotConfig
from tether.robot.fake_hardware import FakeHardware
from tether.robot.models import ENCODERS
from tether.robot.wiring import EncoderConfig

#: rpm at full duty of a motor whose config gives no max_rpm.
DEFAULT_RPM = 150.0


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
        (options[n].get("max_rpm") or DEFAULT_RPM) for n in (*base.left, *base.right)
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


def encoder_fake(encoder: EncoderConfig, hardware: FakeHardware) -> FakeEncoder:
    """The encoder's fake at its seam (its row's fake builder), kept with the hardware's devices
    and stopped with it; it counts once follow_wheels ties it to a wheel."""
    fake = ENCODERS[encoder.driver].fake(encoder, hardware)
    hardware.devices[f"encoder-{encoder.name}"] = fake
    hardware.closers.append(fake.stop)
    return fake


def follow_wheels(
    config: RobotConfig,
    fakes: Mapping[str, FakeEncoder | None],
    rovers: Mapping[str, FakeRover],
    outputs: Mapping[str, DutyChannel],
    *,
    clock: Callable[[], float],
    time_constant: float,
) -> dict[str, SimWheel]:
    """Tie each encoder's fake to the simulated wheel its motor turns: the rover's wheel, or a
    wheel of its own for a motor on no base (travel in revolutions). The wheels by motor name:
    their load, slope, battery, slip and blocking are the knobs closed loop is tested against."""
    encoders = {e.name: e for e in config.encoders}
    wheels: dict[str, SimWheel] = {}
    for motor in config.motors:
        fake = fakes.get(motor.encoder or "")
        if motor.encoder is None or fake is None:
            continue
        ticks = encoders[motor.encoder].options["ticks_per_revolution"]
        sign = -1.0 if motor.options.get("invert", False) else 1.0
        wheels[motor.name], per_unit = _wheel(config, motor, rovers, outputs, clock=clock,
                                              time_constant=time_constant)
        fake.follow(wheels[motor.name], sign * ticks / per_unit)
    return wheels


def _wheel(
    config: RobotConfig,
    motor: MotorConfig,
    rovers: Mapping[str, FakeRover],
    outputs: Mapping[str, DutyChannel],
    *,
    clock: Callable[[], float],
    time_constant: float,
) -> tuple[SimWheel, float]:
    """The motor's simulated wheel and its travel per revolution (mm on a base, else 1)."""
    for base in config.bases:
        names = [*base.left, *base.right]
        if motor.name in names:
            return rovers[base.name].wheels[names.index(motor.name)], base.wheel_circumference_mm
    output: DutyChannel | MirroredOutput = outputs[motor.name]
    if motor.options.get("invert", False):
        output = MirroredOutput(outputs[motor.name])
    top = (motor.options.get("max_rpm") or DEFAULT_RPM) / 60.0
    return SimWheel(output, top_speed=top, time_constant=time_constant, clock=clock), 1.0
