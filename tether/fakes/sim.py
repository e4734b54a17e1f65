"""A whole simulated rover on any supported hardware's fake: motors, a base and the kinematics.

build_sim_rover is a demo preset built by build_robot in sim, with the base and its wheels
handed out as one object for in-process tests and `tether demo --in-process`.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tether.drivers.base import DifferentialBase
from tether.drivers.motor import Motor
from tether.fakes.channel import DutyChannel
from tether.fakes.rover import FakeRover
from tether.robot.build import TIME_CONSTANT, build_robot
from tether.robot.config import parse_config
from tether.robot.models import HARDWARE
from tether.robot.models.gpio import CHIPS, WIRING
from tether.robot.presets import demo_rover

__all__ = ["CHIPS", "HARDWARE", "WIRING", "SimRover", "build_sim_rover"]


@dataclass
class SimRover:
    """Everything a simulated rover is made of, for tests and `tether demo`."""

    base: DifferentialBase
    rover: FakeRover
    motors: dict[str, Motor]
    #: Every wheel's output by wheel name (wheels of a side on one controller channel share it).
    outputs: dict[str, DutyChannel]
    hardware: str = "gpio"
    description: str = ""
    closers: list[Callable[[], None]] = field(default_factory=list)
    #: The fakes behind the motors, for fault injection, by the names `tether serve --sim` gives
    #: them: "pins" (FakePinFactory), "i2c-1" and "pca9685-hat" (FakeSMBus, FakePCA9685),
    #: "serial-saber" (FakeSabertooth), ...
    devices: dict[str, Any] = field(default_factory=dict)

    def duties(self) -> dict[str, float]:
        """Signed duty at every motor's terminals now."""
        return {name: output.duty for name, output in self.outputs.items()}

    def all_stopped_at(self) -> float | None:
        """When the last motor's duty reached 0, or None while any still has duty."""
        times = [output.zero_since() for output in self.outputs.values()]
        return None if any(t is None for t in times) else max(t for t in times if t is not None)

    def wait_all_stopped(self, timeout: float) -> float | None:
        """all_stopped_at() once every wheel is at duty 0, polled for at most `timeout` seconds
        of the monotonic clock; None if one still had duty then."""
        until = time.monotonic() + timeout
        while time.monotonic() < until:
            stopped = self.all_stopped_at()
            if stopped is not None:
                return stopped
            time.sleep(0.001)
        return None

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


def build_sim_rover(
    *,
    hardware: str = "gpio",
    motors_per_side: int = 1,
    chip: str = "l298n",
    width_mm: float = 160.0,
    wheel_circumference_mm: float = 204.0,
    max_rpm: float = 150.0,
    max_acceleration: float | None = None,
    time_constant: float = TIME_CONSTANT,
    base_name: str = "base",
    clock: Callable[[], float] = time.monotonic,
) -> SimRover:
    """Build a simulated rover on the named hardware's fake (GPIO wired as WIRING says)."""
    demo = demo_rover(hardware, motors_per_side, chip, max_rpm)
    base: dict[str, Any] = {
        "name": base_name, "left": demo.side_motors(0), "right": demo.side_motors(1),
        "width_mm": width_mm, "wheel_circumference_mm": wheel_circumference_mm,
    }
    if max_acceleration is not None:
        base["max_acceleration"] = max_acceleration
    config = parse_config({**demo.data, "base": [base]}, f"<simulated {hardware} rover>")
    robot = build_robot(config, sim=True, clock=clock, time_constant=time_constant)
    built = robot.bases[base_name]
    assert isinstance(built, DifferentialBase), "build_robot makes every [[base]] one"
    return SimRover(
        built,
        robot.rovers[base_name],
        robot.motors,
        {wheel: robot.outputs[motor] for wheel, motor in demo.wheels.items()},
        hardware,
        demo.description,
        [robot.close],
        robot.devices,
    )
