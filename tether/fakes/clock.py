"""A manual clock for tests: time moves only when the test says so."""

from __future__ import annotations

import math
import threading


class FakeClock:
    """Callable like time.monotonic; `advance()` moves it forward, never back."""

    def __init__(self, start: float = 0.0) -> None:
        self._now = float(start)
        self._lock = threading.Lock()

    def __call__(self) -> float:
        return self._now

    def advance(self, seconds: float) -> float:
        """Move time forward by seconds and return the new time."""
        if not math.isfinite(seconds) or seconds < 0:
            raise ValueError(f"advance seconds={seconds!r}: expected a finite number >= 0")
        with self._lock:
            self._now += seconds
            return self._now
