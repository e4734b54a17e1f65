"""Moved to tether.robot.presets; this module keeps the old import path working."""

from tether.robot.presets import DEMO_CONFIGS, demo_config

__all__ = ["DEMO_CONFIGS", "demo_config"]
