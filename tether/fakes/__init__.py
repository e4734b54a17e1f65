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
    from tether.fakes.encoded_wheel import FirstOrderWheel
    from tether.fakes.gamepad import FakeGamepad
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
    from tether.fakes.pololu_smc import FakeSmc
    from tether.fakes.roboclaw import FakeRoboClaw
    from tether.fakes.sabertooth import FakeSabertooth
    from tether.fakes.serial_device import DualChannelController, PtySerialDevice
    from tether.fakes.sim import SimRover, build_sim_rover
    from tether.fakes.smbus import FakePCA9685, FakeSMBus

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
    "FakeSmc": "tether.fakes.pololu_smc",
    "FakeRoboClaw": "tether.fakes.roboclaw",
    "FirstOrderWheel": "tether.fakes.encoded_wheel",
    "FakeSabertooth": "tether.fakes.sabertooth",
    "DualChannelController": "tether.fakes.serial_device",
    "PtySerialDevice": "tether.fakes.serial_device",
    "FakePCA9685": "tether.fakes.smbus",
    "FakeSMBus": "tether.fakes.smbus",
    "SimRover": "tether.fakes.sim",
    "FakeGamepad": "tether.fakes.gamepad",
    "build_sim_rover": "tether.fakes.sim",
}

__all__ = [
    "DRV8833",
    "L298N",
    "TB6612",
    "DualChannelController",
    "DutyChannel",
    "DutySample",
    "FakeClock",
    "FakeGamepad",
    "FakeMotor",
    "FakePCA9685",
    "FakePWMPin",
    "FakePinFactory",
    "FakeRoboClaw",
    "FakeRover",
    "FakeSMBus",
    "FakeSabertooth",
    "FakeSmc",
    "FirstOrderWheel",
    "HBridge",
    "InInBridge",
    "InInPwmBridge",
    "PhaseEnableBridge",
    "PinChange",
    "PowerSample",
    "PtySerialDevice",
    "RoverState",
    "SimRover",
    "build_sim_rover",
]


def __getattr__(name: str) -> Any:
    """Load the gpiozero-based fakes, the simulator and the gamepad (which imports tether.input)
    on first use."""
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'tether.fakes' has no attribute {name!r}")
