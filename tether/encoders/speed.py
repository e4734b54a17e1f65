"""Wheel speed from the timestamps the pin library gives each edge, not from sampling a count."""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable

#: pigpio's tick (and lgpio's, taken modulo 2^32 in µs) wraps every 2^32 µs, about 71.6 minutes.
TICK_WRAP = 1 << 32
#: A wrapped difference is only unambiguous below half the wrap; a longer silence restarts timing.
LONGEST_GAP_S = (TICK_WRAP // 2) / 1e6


class EdgeSpeed:
    """Ticks per second over the recent counted edges, from their µs timestamps.

    The rate is the count change over the time between the oldest and newest edge kept (edges
    within ``window_s`` of the newest, at most ``max_edges``, at least two). A reversal restarts
    the window. When no edge has come for longer than twice the recent edge interval and
    ``min_silence_s`` (which covers the pin library's delivery delay), the speed is at most one
    tick per silence; after ``timeout_s`` without an edge it is 0. Not locked: the decoder that
    owns it holds its own lock.
    """

    def __init__(
        self,
        *,
        timeout_s: float,
        clock: Callable[[], float],
        window_s: float = 0.05,
        max_edges: int = 256,
        min_silence_s: float = 0.02,
    ) -> None:
        self.timeout_s = timeout_s
        self.window_us = window_s * 1e6
        self.min_silence_us = min_silence_s * 1e6
        self._clock = clock
        self._edges: deque[tuple[int, int]] = deque(maxlen=max(2, max_edges))
        self._time_us = 0
        self._last_tick: int | None = None
        self._last_arrival = 0.0
        self._direction = 0

    def edge(self, tick_us: int, count: int) -> None:
        """Record a counted edge at `tick_us` (wrapping at 2^32) with the count after it."""
        arrival = self._clock()
        if self._last_tick is None or arrival - self._last_arrival > LONGEST_GAP_S:
            self._edges.clear()
        else:
            self._time_us += (tick_us - self._last_tick) % TICK_WRAP
        self._last_tick, self._last_arrival = tick_us, arrival
        if self._edges:
            direction = (count > self._edges[-1][1]) - (count < self._edges[-1][1])
            if direction not in (self._direction, 0):
                self._edges = deque([self._edges[-1]], maxlen=self._edges.maxlen)
                self._direction = direction
        self._edges.append((self._time_us, count))
        while len(self._edges) > 2 and self._time_us - self._edges[0][0] > self.window_us:
            self._edges.popleft()

    def restart(self) -> None:
        """Forget the edges so far (after an illegal transition or a lost edge)."""
        self._edges.clear()
        self._direction = 0

    def ticks_per_second(self, now_tick_us: int | None = None) -> float:
        """Signed speed now; `now_tick_us` is the pin library's current tick (else the clock's
        time since the last edge arrived is used)."""
        if len(self._edges) < 2 or self._last_tick is None:
            return 0.0
        if now_tick_us is None:
            silence_us = max(0.0, (self._clock() - self._last_arrival) * 1e6)
        else:
            silence_us = float((now_tick_us - self._last_tick) % TICK_WRAP)
        if silence_us > self.timeout_s * 1e6:
            return 0.0
        (first_us, first_count), (last_us, last_count) = self._edges[0], self._edges[-1]
        span_us = last_us - first_us
        if span_us <= 0:
            return 0.0
        rate = (last_count - first_count) / span_us * 1e6
        interval_us = span_us / (len(self._edges) - 1)
        if silence_us > max(2 * interval_us, self.min_silence_us):
            rate = math.copysign(min(abs(rate), 1e6 / silence_us), rate)
        return rate
