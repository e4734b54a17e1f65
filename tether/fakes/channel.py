"""A motor output of a fake device: its signed duty over time, and who to tell when it changes."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

DutyListener = Callable[[float, float], None]
#: Histories keep at most this many samples (the oldest half goes), so a long --sim run is bounded.
MAX_HISTORY = 20_000


@dataclass(frozen=True, slots=True)
class DutySample:
    """The motor terminals' signed duty (-1..1) from `time` on."""

    time: float
    duty: float


class DutyRecord(Protocol):
    """What a test reads of a motor output: a DutyChannel here, or one in the simulated-hardware
    process read through tether.sim's client."""

    @property
    def duty(self) -> float:
        """Signed duty now."""
        ...

    @property
    def history(self) -> list[DutySample]:
        """Every change, oldest first."""
        ...

    def duty_at(self, when: float) -> float:
        """Signed duty at time `when`."""
        ...

    def zero_since(self) -> float | None:
        """When the duty last became 0, or None if it is not 0 now."""
        ...


class DutyChannel:
    """Signed duty history of one motor output; a DutySource for the rover simulator."""

    def __init__(self, now: float) -> None:
        self.history = [DutySample(now, 0.0)]
        self._listeners: list[DutyListener] = []
        self._duty_lock = threading.Lock()

    @property
    def duty(self) -> float:
        """Signed duty at the motor terminals now."""
        return self.history[-1].duty

    def duty_at(self, when: float) -> float:
        """Signed duty at time `when`."""
        duty = self.history[0].duty
        for sample in self.history:
            if sample.time > when:
                break
            duty = sample.duty
        return duty

    def zero_since(self) -> float | None:
        """When the duty last became 0, or None if it is not 0 now."""
        return self.history[-1].time if self.duty == 0.0 else None

    def subscribe(self, listener: DutyListener) -> None:
        """Call listener(time, duty) after every change of duty."""
        with self._duty_lock:
            self._listeners.append(listener)

    def set_duty(self, now: float, duty: float) -> None:
        """Record a new duty (no-op if unchanged) and tell the listeners."""
        duty += 0.0  # -0.0 reads as 0.0
        with self._duty_lock:
            if duty == self.history[-1].duty:
                return
            self.history.append(DutySample(now, duty))
            if len(self.history) > MAX_HISTORY:
                del self.history[: MAX_HISTORY // 2]
            listeners = list(self._listeners)
        for listener in listeners:
            listener(now, duty)


class MirroredOutput:
    """A motor mounted mirror-image: the wheel turns opposite to the terminals' duty."""

    def __init__(self, source: DutyChannel) -> None:
        self.source = source

    @property
    def duty(self) -> float:
        """The wheel's duty (forward positive)."""
        return -self.source.duty + 0.0

    def subscribe(self, listener: DutyListener) -> None:
        """Pass changes on, mirrored."""
        self.source.subscribe(lambda now, duty: listener(now, -duty + 0.0))
