"""A 4x quadrature decoder fed edge by edge, as pigpio and lgpio report them."""

from __future__ import annotations

import time
from collections.abc import Callable

from tether.encoders.counter import WATCHDOG_LEVEL, EdgeCounter, check_level
from tether.errors import InvalidCommand

CHANNEL_A = 0
CHANNEL_B = 1
#: States as (A << 1) | B in forward order: A leads B.
FORWARD = (0b00, 0b10, 0b11, 0b01)
_STEP = {
    (FORWARD[i], FORWARD[(i + s) % 4]): s if s == 1 else -1 for i in range(4) for s in (1, 3)
}
_BIT = {CHANNEL_A: 0b10, CHANNEL_B: 0b01}


class QuadratureDecoder(EdgeCounter):
    """Counts every edge of both channels (four per cycle), +1 when A leads B, without bound.

    Feed ``edge(channel, level, tick_us)`` from the pin library's callback. Both channels
    changing within one tick is an illegal transition: its direction cannot be known, so it is
    counted in ``illegal`` and not in the ticks. A report of a level the channel already has is
    counted in ``missed`` (an edge between them was lost; the wheel dithered or the pin
    library dropped a report). ``a`` and ``b`` are the levels read when the decoder starts.
    """

    def __init__(
        self,
        name: str,
        *,
        ticks_per_revolution: float,
        a: int = 0,
        b: int = 0,
        speed_timeout: float = 0.5,
        delivery_delay: float = 0.02,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(
            name, ticks_per_revolution=ticks_per_revolution, speed_timeout=speed_timeout,
            delivery_delay=delivery_delay, clock=clock,
        )
        where = f"encoder {name!r} start"
        self._state = (check_level(a, f"{where} A") & 1) << 1 | (check_level(b, f"{where} B") & 1)
        self._last: tuple[int, int, int] | None = None  # (channel, tick, step) of the last edge

    @property
    def levels(self) -> tuple[int, int]:
        """The (A, B) levels as the decoder last saw them."""
        return self._state >> 1, self._state & 1

    def edge(self, channel: int, level: int, tick_us: int) -> None:
        """One channel changed to `level` at `tick_us` (µs, wrapping at 2^32)."""
        if channel not in _BIT or isinstance(channel, bool):
            raise InvalidCommand(
                f"encoder {self.name!r} channel={channel!r}: expected 0 (A) or 1 (B)"
            )
        if check_level(level, f"encoder {self.name!r} channel {channel}") == WATCHDOG_LEVEL:
            return
        with self._lock:
            self._edge(channel, level, tick_us)

    def levels_changed(self, a: int, b: int, tick_us: int) -> None:
        """Both levels at `tick_us`, for a source that reports whole states (a sampled pair)."""
        where = f"encoder {self.name!r}"
        new = (check_level(a, f"{where} A") & 1) << 1 | (check_level(b, f"{where} B") & 1)
        with self._lock:
            self._last = None
            if new == self._state:
                return
            step = _STEP.get((self._state, new))
            self._state = new
            if step is None:
                self._illegal_transition()
            else:
                self._count(step, tick_us)

    def _edge(self, channel: int, level: int, tick_us: int) -> None:
        bit = _BIT[channel]
        if bool(self._state & bit) == bool(level):
            self._missed += 1
            self._last = None
            self._speed.restart()
            return
        new = self._state ^ bit
        last = self._last
        if last is not None and last[0] != channel and last[1] == tick_us:
            self._ticks -= last[2]
            self._state = new
            self._illegal_transition()
            return
        step = _STEP[(self._state, new)]
        self._state = new
        self._count(step, tick_us)
        self._last = (channel, tick_us, step)

    def _illegal_transition(self) -> None:
        self._illegal += 1
        self._last = None
        self._speed.restart()
