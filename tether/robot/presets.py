"""The demo rovers, as configs: what `tether demo`, build_sim_rover and `serve --sim` users start
from, for every demo preset of the model table.

A demo rover is a config like any other ([[motor]] tables and a [[base]]), built by build_robot;
each family's row says how its motors are wired (tether/robot/models/).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tether.errors import ConfigError
from tether.robot.config import RobotConfig, parse_config
from tether.robot.models import HARDWARE, PRESETS

#: The wheels of a demo rover with 1, 2 or 3 motors per side.
POSITIONS: dict[int, tuple[tuple[str, ...], tuple[str, ...]]] = {
    1: (("left",), ("right",)),
    2: (("left", "left_rear"), ("right", "right_rear")),
    3: (("left", "left_middle", "left_rear"), ("right", "right_middle", "right_rear")),
}
GEOMETRY = {"width_mm": 160, "wheel_circumference_mm": 204}


@dataclass(frozen=True)
class DemoRover:
    """A demo rover's config (no [server], no [[base]]) and which motor turns each wheel."""

    hardware: str
    description: str
    data: dict[str, Any]
    sides: tuple[Sequence[str], Sequence[str]]
    wheels: dict[str, str]

    def side_motors(self, side: int) -> list[str]:
        """The motors of one side (0 left, 1 right), each once, in wheel order."""
        return list(dict.fromkeys(self.wheels[w] for w in self.sides[side]))


def demo_rover(hardware: str = "gpio", motors_per_side: int = 1, chip: str = "l298n",
               max_rpm: float = 150) -> DemoRover:
    """The demo rover on the named hardware, with its motors' [[motor]] tables."""
    if hardware not in PRESETS:
        raise ConfigError(f"hardware={hardware!r}: expected one of {', '.join(HARDWARE)}")
    if motors_per_side not in POSITIONS:
        raise ConfigError(f"motors_per_side={motors_per_side!r}: expected 1, 2 or 3")
    row, preset = PRESETS[hardware]
    sides = POSITIONS[motors_per_side]
    wiring = preset(sides, chip)
    motors = [{"name": name, "driver": row.driver, "max_rpm": max_rpm, **options}
              for name, options in wiring.motors.items()]
    return DemoRover(hardware, wiring.description, {**wiring.sections, "motor": motors}, sides,
                     wiring.wheels)


#: The two-motor demo rover ('left', 'right') of every preset: its sections and [[motor]] tables.
DEMO_CONFIGS: dict[str, dict[str, Any]] = {name: demo_rover(name).data for name in HARDWARE}


def demo_data(hardware: str = "gpio", window: float = 0.5) -> dict[str, Any]:
    """The embedded two-motor rover ('base' over 'left' and 'right') on the named hardware, as
    the dict a config file would hold."""
    if hardware not in DEMO_CONFIGS:
        raise ConfigError(f"hardware={hardware!r}: expected one of {', '.join(DEMO_CONFIGS)}")
    return {
        "server": {"listen": "127.0.0.1:0", "heartbeat_window": window},
        **DEMO_CONFIGS[hardware],
        "base": [{"name": "base", "left": ["left"], "right": ["right"], **GEOMETRY}],
    }


def demo_config(hardware: str = "gpio", window: float = 0.5) -> RobotConfig:
    """The embedded two-motor rover ('base' over 'left' and 'right') on the named hardware."""
    return parse_config(demo_data(hardware, window), f"<embedded {hardware} rover>")
