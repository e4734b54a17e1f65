"""A kinematic rover: wheel duties -> wheel speeds (first-order lag) -> pose, on the fake clock."""

from __future__ import annotations

import bisect
import math
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Protocol


class DutySource(Protocol):
    """Anything that reports a signed wheel duty and its changes (an H-bridge model)."""

    @property
    def duty(self) -> float:
        """Signed duty now."""
        ...

    def subscribe(self, listener: Callable[[float, float], None]) -> None:
        """Call listener(time, duty) on every change."""
        ...


@dataclass(frozen=True, slots=True)
class RoverState:
    """Where the rover is and how fast its wheels turn, at `time`."""

    time: float
    x_mm: float = 0.0
    y_mm: float = 0.0
    heading_rad: float = 0.0
    left_mm_s: float = 0.0
    right_mm_s: float = 0.0
    odometer_mm: float = 0.0

    @property
    def speed_mm_s(self) -> float:
        """Speed of the rover's centre (signed, + forward)."""
        return (self.left_mm_s + self.right_mm_s) / 2


class FakeRover:
    """Integrates a differential-drive rover from the duties its H-bridges report.

    Each side's target speed is the mean duty of its motors times ``max_speed_mm_s``; the wheels
    approach it with time constant ``time_constant`` seconds. The pose starts at (0, 0) facing
    +x; +heading is a left turn. Any past time can be queried (``state_at``), so a test can ask
    how far the rover rolled between a session's deadline and now.
    """

    def __init__(
        self,
        left: Sequence[DutySource],
        right: Sequence[DutySource],
        *,
        width_mm: float = 200.0,
        max_speed_mm_s: float = 500.0,
        time_constant: float = 0.05,
        clock: Callable[[], float] = time.monotonic,
        step: float = 0.001,
    ) -> None:
        if not left or not right:
            raise ValueError("FakeRover needs at least one duty source per side")
        self.left = list(left)
        self.right = list(right)
        self.width_mm = width_mm
        self.max_speed_mm_s = max_speed_mm_s
        self.time_constant = time_constant
        self.clock = clock
        self.step = step
        self._lock = threading.Lock()
        start = clock()
        self._changes: list[tuple[float, float, float]] = [(start, *self._duties())]
        self._times = [start]
        self._states = [RoverState(start)]
        for source in (*self.left, *self.right):
            source.subscribe(self._on_duty)

    def state(self) -> RoverState:
        """The rover now."""
        return self.state_at(self.clock())

    def state_at(self, when: float) -> RoverState:
        """The rover at any time since it was built."""
        with self._lock:
            index = max(0, bisect.bisect_right(self._times, when) - 1)
            while len(self._states) <= index:
                done = len(self._states)
                _, left, right = self._changes[done - 1]
                self._states.append(
                    self._integrate(self._states[-1], left, right, self._times[done])
                )
            _, left, right = self._changes[index]
            return self._integrate(self._states[index], left, right, when)

    def travelled(self, since: float, until: float | None = None) -> float:
        """Path length in mm covered between two times (until defaults to now)."""
        end = self.clock() if until is None else until
        return self.state_at(end).odometer_mm - self.state_at(since).odometer_mm

    def duties(self) -> tuple[float, float]:
        """Mean (left, right) duty now."""
        return self._duties()

    def _duties(self) -> tuple[float, float]:
        left = sum(s.duty for s in self.left) / len(self.left)
        right = sum(s.duty for s in self.right) / len(self.right)
        return left, right

    def _on_duty(self, when: float, _duty: float) -> None:
        """Log the new duties only; integration happens when someone asks (keeps stops fast)."""
        with self._lock:
            when = max(when, self._times[-1])
            self._changes.append((when, *self._duties()))
            self._times.append(when)

    def _integrate(self, state: RoverState, left: float, right: float, until: float) -> RoverState:
        target_l, target_r = left * self.max_speed_mm_s, right * self.max_speed_mm_s
        x, y, heading = state.x_mm, state.y_mm, state.heading_rad
        v_l, v_r, odometer, now = state.left_mm_s, state.right_mm_s, state.odometer_mm, state.time
        while now < until:
            dt = min(self.step, until - now)
            blend = 1.0 - math.exp(-dt / self.time_constant) if self.time_constant > 0 else 1.0
            v_l += (target_l - v_l) * blend
            v_r += (target_r - v_r) * blend
            speed = (v_l + v_r) / 2
            heading += (v_r - v_l) / self.width_mm * dt
            x += speed * math.cos(heading) * dt
            y += speed * math.sin(heading) * dt
            odometer += abs(speed) * dt
            now += dt
        return replace(
            state, time=max(now, state.time), x_mm=x, y_mm=y, heading_rad=heading,
            left_mm_s=v_l, right_mm_s=v_r, odometer_mm=odometer,
        )
