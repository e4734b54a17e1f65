"""A kinematic rover: wheel duties -> wheel speeds (first-order lag, loads) -> pose, on the fake
clock."""

from __future__ import annotations

import bisect
import math
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from tether.fakes.wheel import DutySource, SimWheel

#: Integration steps between two kept states: a query integrates at most this many steps.
CHECKPOINT_STEPS = 100
#: States kept (the oldest half goes beyond it): about 30 minutes at 1 ms steps.
MAX_CHECKPOINTS = 20_000

__all__ = ["DutySource", "FakeRover", "RoverState"]


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

    Each duty source turns a SimWheel (``wheels``: the left side's, then the right side's) whose
    speed approaches duty times ``max_speed_mm_s`` with time constant ``time_constant`` seconds,
    less what its load, slope and battery take; a side moves as the mean of the ground under its
    wheels (so a slipping wheel moves the rover less than its encoder says). The pose starts at
    (0, 0) facing +x; +heading is a left turn. Any past time can be queried (``state_at``), so a
    test can ask how far the rover rolled between a session's deadline and now.
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
        self.width_mm = width_mm
        self.max_speed_mm_s = max_speed_mm_s
        self.time_constant = time_constant
        self.clock = clock
        self.step = step

        def wheel(source: DutySource) -> SimWheel:
            return SimWheel(
                source, top_speed=max_speed_mm_s, time_constant=time_constant, clock=clock
            )

        self.left_wheels = [wheel(s) for s in left]
        self.right_wheels = [wheel(s) for s in right]
        self.left = list(left)
        self.right = list(right)
        self._lock = threading.Lock()
        self._start = clock()
        self._checkpoints = [RoverState(self._start)]
        self._first = 0  # the index (from the start) of the oldest kept checkpoint
        for simulated in self.wheels:
            simulated.subscribe(self._on_change)

    @property
    def wheels(self) -> list[SimWheel]:
        """Every wheel, the left side's first."""
        return [*self.left_wheels, *self.right_wheels]

    def state(self) -> RoverState:
        """The rover now."""
        return self.state_at(self.clock())

    def state_at(self, when: float) -> RoverState:
        """The rover at any time since it was built."""
        with self._lock:
            span = self.step * CHECKPOINT_STEPS
            wanted = int((max(when, self._start) - self._start) // span)
            while self._first + len(self._checkpoints) - 1 < wanted:
                last = self._checkpoints[-1]
                index = self._first + len(self._checkpoints)
                self._checkpoints.append(self._integrate(last, self._start + index * span))
            if len(self._checkpoints) > MAX_CHECKPOINTS:
                del self._checkpoints[: MAX_CHECKPOINTS // 2]
                self._first += MAX_CHECKPOINTS // 2
            index = min(max(0, wanted - self._first), len(self._checkpoints) - 1)
            return self._integrate(self._checkpoints[index], when)

    def travelled(self, since: float, until: float | None = None) -> float:
        """Path length in mm covered between two times (until defaults to now)."""
        end = self.clock() if until is None else until
        return self.state_at(end).odometer_mm - self.state_at(since).odometer_mm

    def duties(self) -> tuple[float, float]:
        """Mean (left, right) duty now."""
        left = sum(s.duty for s in self.left) / len(self.left)
        right = sum(s.duty for s in self.right) / len(self.right)
        return left, right

    def _on_change(self, when: float) -> None:
        """A wheel's duty or world changed at `when`: forget the states computed beyond it."""
        with self._lock:
            keep = bisect.bisect_right([c.time for c in self._checkpoints], when)
            del self._checkpoints[max(1, keep):]

    def _side(self, wheels: list[SimWheel], when: float) -> tuple[float, float]:
        """(ground travel, ground speed) of one side: the mean of its wheels."""
        travel = sum(w.ground_at(when) for w in wheels) / len(wheels)
        speed = sum(w.ground_speed_at(when) for w in wheels) / len(wheels)
        return travel, speed

    def _integrate(self, state: RoverState, until: float) -> RoverState:
        """The state at `until`, stepping from `state` on a fixed grid (so a time asked for twice
        gives the same answer whatever was asked in between)."""
        if until <= state.time:
            return state
        x, y, heading, odometer = state.x_mm, state.y_mm, state.heading_rad, state.odometer_mm
        left, _ = self._side(self.left_wheels, state.time)
        right, _ = self._side(self.right_wheels, state.time)
        steps = max(1, math.ceil((until - state.time) / self.step - 1e-9))
        for k in range(1, steps + 1):
            now = until if k == steps else state.time + k * self.step
            new_left, _ = self._side(self.left_wheels, now)
            new_right, _ = self._side(self.right_wheels, now)
            moved_left, moved_right = new_left - left, new_right - right
            left, right = new_left, new_right
            moved = (moved_left + moved_right) / 2
            turned = (moved_right - moved_left) / self.width_mm
            x += moved * math.cos(heading + turned / 2)
            y += moved * math.sin(heading + turned / 2)
            heading += turned
            odometer += abs(moved)
        _, left_speed = self._side(self.left_wheels, until)
        _, right_speed = self._side(self.right_wheels, until)
        return RoverState(until, x, y, heading, left_speed, right_speed, odometer)
