"""Fake hardware that behaves like the real devices, for CI and users' own tests.

Importing this package does not import gpiozero; the pin-level fakes load on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tether.fakes.channel import DutyChannel, DutySample
from tether.fakes.clock import FakeClock
from tether.fakes.motor import FakeMotor, PowerSample
from tether.fakes.rover import FakeRover, RoverState

if TYPE_CHECKING:
    from tether.fakes.hbridge import (
        DRV8833,
        L298N,
        TB6612,
        HBridge,
        InInBridge,
        InInPwmBridge,
        PhaseEnableBridge,
    )
    from tether.fakes.pins import FakePinFactory, FakePWMPin, PinChange
    from tether.fakes.sim import SimRover, build_sim_rover
    from tether.input.fake import FakeGamepad

_LAZY = {
    "DRV8833": "tether.fakes.hbridge",
    "L298N": "tether.fakes.hbridge",
    "TB6612": "tether.fakes.hbridge",
    "HBridge": "tether.fakes.hbridge",
    "InInBridge": "tether.fakes.hbridge",
    "InInPwmBridge": "tether.fakes.hbridge",
    "PhaseEnableBridge": "tether.fakes.hbridge",
    "FakePinFactory": "tether.fakes.pins",
    "FakePWMPin": "tether.fakes.pins",
    "PinChange": "tether.fakes.pins",
    "SimRover": "tether.fakes.sim",
    "FakeGamepad": "tether.input.fake",
    "build_sim_rover": "tether.fakes.sim",
}

__all__ = [
    "DRV8833",
    "L298N",
    "TB6612",
    "DutyChannel",
    "DutySample",
    "FakeClock",
    "FakeGamepad",
    "FakeMotor",
    "FakePWMPin",
    "FakePinFactory",
    "FakeRover",
    "HBridge",
    "InInBridge",
    "InInPwmBridge",
    "PhaseEnableBridge",
    "PinChange",
    "PowerSample",
    "RoverState",
    "SimRover",
    "build_sim_rover",
]


def __getattr__(name: str) -> Any:
    """Load gpiozero-based fakes on first use."""
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'tether.fakes' has no attribute {name!r}")
