"""A whole simulated rover: fake pins, H-bridge models, GPIO motors, a base and the kinematics."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from tether.drivers.base import DifferentialBase
from tether.drivers.gpio import GpioMotor
from tether.errors import ConfigError
from tether.fakes.hbridge import DRV8833, L298N, TB6612, HBridge, PhaseEnableBridge
from tether.fakes.pins import FakePinFactory
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
class SimRover:
    """Everything a simulated rover is made of, for tests and `tether demo`."""

    factory: FakePinFactory
    base: DifferentialBase
    rover: FakeRover
    motors: dict[str, GpioMotor] = field(default_factory=dict)
    chips: dict[str, HBridge] = field(default_factory=dict)

    def duties(self) -> dict[str, float]:
        """Signed duty at every motor's terminals now."""
        return {name: chip.duty for name, chip in self.chips.items()}

    def all_stopped_at(self) -> float | None:
        """When the last motor's duty reached 0, or None while any still has duty."""
        times = [chip.zero_since() for chip in self.chips.values()]
        return None if any(t is None for t in times) else max(t for t in times if t is not None)

    def close(self) -> None:
        """Stop and release everything; idempotent."""
        self.base.close()
        for motor in self.motors.values():
            motor.close()


def _chip_and_motor(
    factory: FakePinFactory, name: str, chip: str, max_rpm: float
) -> tuple[HBridge, GpioMotor]:
    in1, in2, pwm = WIRING[name]
    if chip in ("l298n", "tb6612"):
        bridge: HBridge = (L298N if chip == "l298n" else TB6612)(factory, in1, in2, pwm)
        motor = GpioMotor(name, pin_factory=factory, in1=in1, in2=in2, pwm=pwm, max_rpm=max_rpm)
    elif chip == "drv8833":
        bridge = DRV8833(factory, in1, in2)
        motor = GpioMotor(name, pin_factory=factory, in1=in1, in2=in2, max_rpm=max_rpm)
    else:
        bridge = PhaseEnableBridge(factory, in1, pwm)
        motor = GpioMotor(name, pin_factory=factory, direction=in1, pwm=pwm, max_rpm=max_rpm)
    return bridge, motor


def build_sim_rover(
    *,
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
    """Build a 2-, 4- or 6-motor GPIO rover on fake pins, wired as WIRING says."""
    if motors_per_side not in _POSITIONS:
        raise ConfigError(f"motors_per_side={motors_per_side!r}: expected 1, 2 or 3")
    if chip not in CHIPS:
        raise ConfigError(f"chip={chip!r}: expected one of {', '.join(CHIPS)}")
    factory = FakePinFactory(clock=clock)
    left_names, right_names = _POSITIONS[motors_per_side]
    chips: dict[str, HBridge] = {}
    motors: dict[str, GpioMotor] = {}
    for name in (*left_names, *right_names):
        chips[name], motors[name] = _chip_and_motor(factory, name, chip, max_rpm)
    base = DifferentialBase(
        base_name,
        [motors[n] for n in left_names],
        [motors[n] for n in right_names],
        width_mm=width_mm,
        wheel_circumference_mm=wheel_circumference_mm,
        max_acceleration=max_acceleration,
    )
    rover = FakeRover(
        [chips[n] for n in left_names],
        [chips[n] for n in right_names],
        width_mm=width_mm,
        max_speed_mm_s=max_rpm * wheel_circumference_mm / 60,
        time_constant=time_constant,
        clock=clock,
    )
    return SimRover(factory, base, rover, motors, chips)
