"""A fake motor that records every power change on a clock, for tests and the demo."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from tether.errors import InvalidCommand


@dataclass(frozen=True, slots=True)
class PowerSample:
    """The motor's power from `time` on."""

    time: float
    power: float


class FakeMotor:
    """A Resource whose power history can be asserted: 'duty reached 0 at t'."""

    def __init__(self, name: str, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.name = name
        self.clock = clock
        self.history: list[PowerSample] = [PowerSample(clock(), 0.0)]
        self.stop_calls = 0
        self.closed = False
        self._lock = threading.Lock()

    @property
    def power(self) -> float:
        """The power applied now."""
        return self.history[-1].power

    def set_power(self, power: float) -> None:
        """Apply power in [-1, 1]; anything else raises InvalidCommand and changes nothing."""
        if isinstance(power, bool) or not isinstance(power, int | float) or not (
            math.isfinite(power) and -1.0 <= power <= 1.0
        ):
            raise InvalidCommand(
                f"motor {self.name!r} set_power power={power!r}: expected a number in [-1, 1]"
            )
        with self._lock:
            if self.closed:
                raise InvalidCommand(f"motor {self.name!r} is closed")
            self._record(float(power))

    def stop(self) -> None:
        """Cut power; idempotent."""
        with self._lock:
            self.stop_calls += 1
            if self.history[-1].power != 0.0:
                self._record(0.0)

    def is_moving(self) -> bool:
        """True while power is non-zero."""
        return self.power != 0.0

    def is_powered(self) -> tuple[bool, float]:
        """Whether power is applied, and how much."""
        power = self.power
        return power != 0.0, power

    def stopped_at(self) -> float | None:
        """When power last went to 0 (None if it is not 0 now)."""
        last = self.history[-1]
        return last.time if last.power == 0.0 else None

    def close(self) -> None:
        """Stop, then refuse further commands; idempotent."""
        self.stop()
        self.closed = True

    def _record(self, power: float) -> None:
        self.history.append(PowerSample(self.clock(), power))
