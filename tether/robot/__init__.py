"""The rover a config describes: reading and checking the config, the model table (one row per
hardware family), building it on real hardware or on fakes, and the demo presets.

    config.py         RobotConfig, load_config, parse_config (tether.config re-exports them),
                      with table.py, auth.py, motors.py and wiring.py as its parts
    model.py          what a hardware family is: the Model row, SafeOff, demo preset types
    models/           the model table: one module and one row per hardware family
    hardware.py       the seams drivers open, on real hardware; the drivers motors share
    fake_hardware.py  the same seams with fakes at them (--sim)
    build.py          build_robot, Robot: the one build path, real or --sim
    presets.py        the demo rovers, as configs (tether.demo_configs re-exports them)

Importing this package loads no driver; `build_robot` and `Robot` load on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tether.robot.build import Robot, build_robot

__all__ = ["Robot", "build_robot"]


def __getattr__(name: str) -> Any:
    """Load the build path (drivers, fakes) only when it is asked for."""
    if name in __all__:
        from tether.robot import build

        return getattr(build, name)
    raise AttributeError(f"module 'tether.robot' has no attribute {name!r}")
