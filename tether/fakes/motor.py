"""A fake Motor that records its duty on a clock and can be told to fail, for tests."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Unpack

from tether.drivers.motor import Motor, MotorTuning


@dataclass(frozen=True, slots=True)
class PowerSample:
    """The motor's signed duty from `time` on."""

    time: float
    power: float


class FakeMotor(Motor):
    """A Motor with no hardware: every duty change is recorded, and faults can be injected.

    Set ``write_error`` to make the next writes raise it, ``stop_error`` to make stops raise it,
    or ``stop_gate`` to make stop() block until the event is set.
    """

    def __init__(
        self,
        name: str,
        *,
        clock: Callable[[], float] = time.monotonic,
        **tuning: Unpack[MotorTuning],
    ) -> None:
        super().__init__(name, **tuning)
        self.clock = clock
        self.history: list[PowerSample] = [PowerSample(clock(), 0.0)]
        self.stop_calls = 0
        self.write_error: Exception | None = None
        self.stop_error: Exception | None = None
        self.stop_gate: threading.Event | None = None

    @property
    def power(self) -> float:
        """The duty at the motor now (after max_power and invert)."""
        return self.history[-1].power

    def stopped_at(self) -> float | None:
        """When the duty last went to 0 (None if it is not 0 now)."""
        last = self.history[-1]
        return last.time if last.power == 0.0 else None

    def stop(self) -> None:
        """Count the call, honour an injected fault, then stop as any Motor does."""
        self.stop_calls += 1
        gate = self.stop_gate
        if gate is not None:
            gate.wait()
        if self.stop_error is not None:
            raise self.stop_error
        super().stop()

    def _write_duty(self, duty: float) -> None:
        if self.write_error is not None:
            raise self.write_error
        self._record(duty)

    def _stop_hw(self) -> None:
        if self.history[-1].power != 0.0:
            self._record(0.0)

    def _release(self) -> None:
        """Nothing to release."""

    def _record(self, duty: float) -> None:
        self.history.append(PowerSample(self.clock(), duty))
