"""A single-channel encoder: it counts edges, and the motor's command says which way they go."""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from tether.encoders.counter import WATCHDOG_LEVEL, EdgeCounter, check_level
from tether.errors import InvalidCommand


class SingleChannelDecoder(EdgeCounter):
    """Counts both edges of one channel (two per cycle) in the direction last commanded.

    One channel cannot tell direction, so the motor tells it with ``set_direction`` each time it
    is commanded; a command of 0 keeps the last direction (a coasting wheel keeps turning the
    same way). A report of the level the channel already has means a cycle went unreported: it
    is counted in ``missed`` and as two edges.
    """

    def __init__(
        self,
        name: str,
        *,
        ticks_per_revolution: float,
        level: int = 0,
        speed_timeout: float = 0.5,
        delivery_delay: float = 0.02,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(
            name, ticks_per_revolution=ticks_per_revolution, speed_timeout=speed_timeout,
            delivery_delay=delivery_delay, clock=clock,
        )
        self._level = check_level(level, f"encoder {name!r} start") & 1
        self._direction = 1

    @property
    def direction(self) -> int:
        """+1 or -1: the way the next edges are counted."""
        return self._direction

    def set_direction(self, commanded: float) -> None:
        """Count the next edges in the sign of `commanded` (power or rpm); 0 keeps the last."""
        if isinstance(commanded, bool) or not isinstance(commanded, int | float) or not (
            math.isfinite(commanded)
        ):
            raise InvalidCommand(
                f"encoder {self.name!r} direction={commanded!r}: expected a finite number"
            )
        if commanded != 0:
            with self._lock:
                if (commanded > 0) != (self._direction > 0):
                    self._speed.restart()
                self._direction = 1 if commanded > 0 else -1

    def edge(self, level: int, tick_us: int) -> None:
        """The channel changed to `level` at `tick_us` (µs, wrapping at 2^32)."""
        if check_level(level, f"encoder {self.name!r}") == WATCHDOG_LEVEL:
            return
        with self._lock:
            if level == self._level:
                self._missed += 1
                self._ticks += 2 * self._direction
                self._speed.restart()
                return
            self._level = level
            self._count(self._direction, tick_us)
