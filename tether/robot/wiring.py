"""What a config wires: its chips, its serial ports, its motors, and the line each motor claims.

A GPIO pin, a PCA9685 channel, a serial controller's channel: two motors on one of them fight
(and one motor's stop leaves the other's output driven), so `tether check` refuses them. Every
hardware family's builders read these checked descriptions; nothing here touches hardware.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tether.control.pid import PidGains
from tether.control.stall import StallSettings


@dataclass(frozen=True)
class ChipConfig:
    """A PCA9685 on an I2C bus."""

    name: str
    bus: int | str = 1
    address: int = 0x40
    frequency: float = 1000.0


@dataclass(frozen=True)
class PortConfig:
    """A serial port shared by the controllers on it."""

    name: str
    port: str
    baudrate: int = 9600


@dataclass(frozen=True)
class LoopConfig:
    """An encoded motor's closed loop: tether's PID (gains on the speed error as a fraction of
    max_rpm, the integral's clamp, output limits) and when it counts as stalled."""

    gains: PidGains | None = None
    integral_limit: float | None = None
    output_min: float | None = None
    output_max: float | None = None
    stall: StallSettings = field(default_factory=StallSettings)


@dataclass(frozen=True)
class MotorConfig:
    """One motor: its driver and the driver's options (already checked); with an encoder (the
    name of an [[encoder]]) it runs closed loop as `loop` says."""

    name: str
    driver: str
    options: dict[str, Any] = field(default_factory=dict)
    encoder: str | None = None
    loop: LoopConfig | None = None


@dataclass(frozen=True)
class EncoderConfig:
    """One wheel encoder: its driver (quadrature, single, roboclaw) and its checked options."""

    name: str
    driver: str
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Claim:
    """One thing a motor drives, named by the option that claims it."""

    motor: str
    key: str
    thing: tuple[Any, ...]
    says: str

    def clashes(self, other: Claim) -> bool:
        """The same thing, or all of a device the other drives a part of (an SMC's port)."""
        short, long = sorted((self.thing, other.thing), key=len)
        return long[: len(short)] == short
