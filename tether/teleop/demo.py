"""Moved to tether.demo.gamepad; this module keeps the old import path working."""

from tether.demo.gamepad import (
    STOP_CAUSES,
    GamepadDemoResult,
    StopDelay,
    bundled_recording,
    run_gamepad_demo,
    stopped_after,
)

__all__ = ["STOP_CAUSES", "GamepadDemoResult", "StopDelay", "bundled_recording",
           "run_gamepad_demo", "stopped_after"]
