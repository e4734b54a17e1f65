"""A simulated DC motor and wheel: duty in, shaft travel out, with the loads closed loop answers.

The wheel's speed approaches what its duty asks for with a first-order lag; what the duty asks
for shrinks with the load on the wheel, the slope it climbs and the battery's sag, and a blocked
wheel does not turn. A slipping wheel turns (its encoder counts) further than the ground under it
moves. Between two changes (of duty or of a knob) speed and travel have a closed form, so any
past instant can be asked for exactly, from any thread, without stepping a model.
"""

from __future__ import annotations

import bisect
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Protocol

#: Segments kept per wheel (the oldest half goes beyond it), so a long --sim run is bounded.
MAX_SEGMENTS = 20_000


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
class WheelLoad:
    """What the world does to a wheel; every field 0 (or 1 for the battery) is a free wheel.

    ``load``: the fraction of its speed the wheel loses at any duty (0.3: 30 % harder to turn).
    ``slope``: the fraction of top speed a climb takes away while the motor drives (negative:
    downhill). ``battery``: the supply as a fraction of full (0.8: sagged by 20 %). ``slip``:
    the fraction of the wheel's turning the ground does not follow. ``blocked``: held still.
    """

    load: float = 0.0
    slope: float = 0.0
    battery: float = 1.0
    slip: float = 0.0
    blocked: bool = False


@dataclass(frozen=True, slots=True)
class _Segment:
    """From `start` on: the duty and load, and the speed and travel the wheel had at `start`."""

    start: float
    duty: float
    world: WheelLoad
    speed: float
    travel: float
    ground: float


class SimWheel:
    """One wheel driven by a duty source: ``top_speed`` (units/s) at full duty and free running,
    approached with ``time_constant`` seconds of lag. Travel is in the same units (mm for a
    rover's wheel, revolutions for a lone shaft).

    Tests change the world with the properties (``wheel.load = 0.3``, ``wheel.blocked = True``);
    each change takes effect at the clock's time of the change.
    """

    def __init__(
        self,
        source: DutySource,
        *,
        top_speed: float,
        time_constant: float = 0.05,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not (math.isfinite(top_speed) and top_speed > 0):
            raise ValueError(f"top_speed={top_speed!r}: expected a finite number > 0")
        if not (math.isfinite(time_constant) and time_constant >= 0):
            raise ValueError(f"time_constant={time_constant!r}: expected a finite number >= 0")
        self.top_speed = top_speed
        self.time_constant = time_constant
        self.clock = clock
        self._lock = threading.Lock()
        start = clock()
        self._segments = [_Segment(start, source.duty, WheelLoad(), 0.0, 0.0, 0.0)]
        self._starts = [start]
        self._listeners: list[Callable[[float], None]] = []
        source.subscribe(self._on_duty)

    # -- the world's knobs ------------------------------------------------------------------

    @property
    def world(self) -> WheelLoad:
        """The load, slope, battery, slip and blocking in force now."""
        with self._lock:
            return self._segments[-1].world

    @property
    def load(self) -> float:
        """The fraction of speed the load takes (0: free)."""
        return self.world.load

    @load.setter
    def load(self, value: float) -> None:
        self._change(load=_fraction(value, "load"))

    @property
    def slope(self) -> float:
        """The fraction of top speed a climb takes while driven (negative: downhill)."""
        return self.world.slope

    @slope.setter
    def slope(self, value: float) -> None:
        self._change(slope=_fraction(value, "slope", low=-1.0))

    @property
    def battery(self) -> float:
        """The supply as a fraction of full charge."""
        return self.world.battery

    @battery.setter
    def battery(self, value: float) -> None:
        self._change(battery=_fraction(value, "battery"))

    @property
    def slip(self) -> float:
        """The fraction of the wheel's turning the ground does not follow."""
        return self.world.slip

    @slip.setter
    def slip(self, value: float) -> None:
        self._change(slip=_fraction(value, "slip"))

    @property
    def blocked(self) -> bool:
        """True while the wheel is held still (against a wall)."""
        return self.world.blocked

    @blocked.setter
    def blocked(self, value: bool) -> None:
        self._change(blocked=bool(value))

    # -- what the wheel did -----------------------------------------------------------------

    def speed_at(self, when: float) -> float:
        """Signed surface speed (units/s) at any time since the wheel was built."""
        return self._at(when)[0]

    def travel_at(self, when: float) -> float:
        """Signed distance the wheel's surface turned through (what an encoder counts)."""
        return self._at(when)[1]

    def ground_at(self, when: float) -> float:
        """Signed distance the ground moved under the wheel (its turning less the slip)."""
        return self._at(when)[2]

    def ground_speed_at(self, when: float) -> float:
        """Signed speed of the ground under the wheel (its surface speed less the slip)."""
        speed, _travel, _ground, grip = self._at(when)
        return speed * grip

    def subscribe(self, listener: Callable[[float], None]) -> None:
        """Call listener(time) after every change of duty or of the world, with its time."""
        with self._lock:
            self._listeners.append(listener)

    def speed(self) -> float:
        """Signed surface speed now."""
        return self.speed_at(self.clock())

    def travel(self) -> float:
        """Signed surface travel now."""
        return self.travel_at(self.clock())

    # -- internals --------------------------------------------------------------------------

    def _on_duty(self, when: float, duty: float) -> None:
        self._append(when, duty=duty)

    def _change(self, **world: float | bool) -> None:
        self._append(self.clock(), **world)

    def _append(self, when: float, *, duty: float | None = None, **world: float | bool) -> None:
        with self._lock:
            last = self._segments[-1]
            when = max(when, last.start)
            speed, travel, ground, _grip = self._evaluate(last, when)
            segment = _Segment(
                when, last.duty if duty is None else duty,
                replace(last.world, **world) if world else last.world,  # type: ignore[arg-type]
                speed, travel, ground,
            )
            if when == last.start:
                self._segments[-1] = segment
            else:
                self._segments.append(segment)
                self._starts.append(when)
            if len(self._segments) > MAX_SEGMENTS:
                del self._segments[: MAX_SEGMENTS // 2]
                del self._starts[: MAX_SEGMENTS // 2]
            listeners = list(self._listeners)
        for listener in listeners:
            listener(when)

    def _at(self, when: float) -> tuple[float, float, float, float]:
        with self._lock:
            index = max(0, bisect.bisect_right(self._starts, when) - 1)
            return self._evaluate(self._segments[index], when)

    def _target(self, segment: _Segment) -> float:
        """The speed the segment's duty would settle at, in its world."""
        world = segment.world
        if world.blocked or segment.duty == 0.0:
            return 0.0
        driven = segment.duty * world.battery * (1.0 - world.load) * self.top_speed
        return driven - world.slope * self.top_speed

    def _evaluate(self, segment: _Segment, when: float) -> tuple[float, float, float, float]:
        """(speed, travel, ground, grip) at `when` from the segment's closed form."""
        elapsed = max(0.0, when - segment.start)
        grip = 1.0 - segment.world.slip
        if segment.world.blocked:
            return 0.0, segment.travel, segment.ground, grip
        target, tau = self._target(segment), self.time_constant
        if tau == 0.0:
            speed, moved = target, target * elapsed
        else:
            decay = math.exp(-elapsed / tau)
            speed = target + (segment.speed - target) * decay
            moved = target * elapsed + (segment.speed - target) * tau * (1.0 - decay)
        return speed, segment.travel + moved, segment.ground + moved * grip, grip


def _fraction(value: float, name: str, low: float = 0.0) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not (
        math.isfinite(value) and low <= value <= 1.0
    ):
        raise ValueError(f"{name}={value!r}: expected a number in [{low:g}, 1]")
    return float(value)
