"""A simulated wheel behind an encoder: duty in, encoder counts per second out."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from tether.fakes.wheel import SimWheel


class EncodedWheel(Protocol):
    """What a fake controller needs from the wheel it drives (swap in a rover-backed one)."""

    def step(self, duty: float, dt: float) -> float:
        """Run `dt` seconds at signed `duty`; the encoder speed (counts/s, signed) after it."""
        ...


@dataclass
class FirstOrderWheel:
    """A DC motor and wheel: speed approaches duty * max_qpps * (1 - load) with
    ``time_constant``; ``blocked`` holds it at 0 (a wheel against a wall).

    ``load`` is the fraction of speed the load takes at any duty (0.3: a wheel 30 % harder
    to turn); tests set it, and ``blocked``, while the controller runs.
    """

    max_qpps: float = 3000.0
    time_constant: float = 0.05
    load: float = 0.0
    blocked: bool = False
    speed: float = 0.0

    def step(self, duty: float, dt: float) -> float:
        """Advance the speed by `dt` seconds at `duty` and return it."""
        if self.blocked:
            self.speed = 0.0
            return 0.0
        target = duty * self.max_qpps * (1.0 - self.load)
        blend = 1.0 - math.exp(-dt / self.time_constant) if self.time_constant > 0 else 1.0
        self.speed += (target - self.speed) * blend
        return self.speed


@runtime_checkable
class TimedWheel(Protocol):
    """A wheel modelled elsewhere, asked for its speed at the controller's model time."""

    def speed_at(self, when: float) -> float:
        """The encoder speed (counts/s, signed) at clock time `when`."""
        ...


class SimWheelCounts:
    """A TimedWheel that reads a SimWheel (a rover's wheel) instead of modelling its own: a
    fake controller's encoder on the same wheel the rover rolls on, so the counts it reports and
    the ground truth come from one model.

    ``counts_per_unit`` turns the wheel's speed (its travel units per second) into encoder
    counts per second, signed as the controller's channel sees them. The SimWheel follows the
    channel's duty itself.
    """

    def __init__(self, wheel: SimWheel, counts_per_unit: float) -> None:
        self.wheel = wheel
        self.counts_per_unit = counts_per_unit

    def speed_at(self, when: float) -> float:
        """The encoder speed (counts/s) at `when`."""
        return self.wheel.speed_at(when) * self.counts_per_unit
