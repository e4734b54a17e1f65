"""The safe state of each output, as data: what the guardian writes, from its own process, when
the daemon that drove the outputs is dead or hung.

A model-table row's ``safe_off`` says, for one motor, which pins go to which level, which PCA9685
channels go fully off, and which stop frame its serial controller gets. The guardian opens the
connections these name before the daemon starts, so nothing slow happens after a death.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from tether.robot.wiring import MotorConfig


@dataclass(frozen=True)
class PinLevel:
    """A GPIO pin (BCM) driven to the level that turns its motor off."""

    motor: str
    pin: int
    level: int
    #: 0 for a pin that cuts the bridge's power by itself (PWM, enable), 1 for a direction
    #: input: the guardian writes every 0 first, so each wheel stops after one write.
    order: int = 0


@dataclass(frozen=True)
class ChannelOff:
    """A PCA9685 channel of [[pca9685]] `chip` set fully off."""

    motor: str
    chip: str
    channel: int


@dataclass(frozen=True)
class StopFrame:
    """Bytes that stop one channel of the serial controller on [[serial]] `port`."""

    motor: str
    port: str
    frame: bytes


SafeState = PinLevel | ChannelOff | StopFrame
#: A row's second line: every output of one motor in its safe state.
SafeOff = Callable[[MotorConfig], Iterable[SafeState]]
