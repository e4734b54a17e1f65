"""The kinematic rover: straight lines, turns, lag, and queries about the past."""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest

from tether.fakes import FakeClock, FakeRover


class Wheel:
    """A duty source a test sets by hand."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.duty = 0.0
        self.listeners: list[Callable[[float, float], None]] = []

    def subscribe(self, listener: Callable[[float, float], None]) -> None:
        self.listeners.append(listener)

    def set(self, duty: float) -> None:
        self.duty = duty
        for listener in self.listeners:
            listener(self.clock(), duty)


def rig(time_constant: float = 0.0) -> tuple[FakeClock, Wheel, Wheel, FakeRover]:
    clock = FakeClock()
    left, right = Wheel(clock), Wheel(clock)
    rover = FakeRover(
        [left], [right], width_mm=200, max_speed_mm_s=500, time_constant=time_constant,
        clock=clock,
    )
    return clock, left, right, rover


def test_full_duty_straight_line_without_lag() -> None:
    clock, left, right, rover = rig()
    left.set(1.0)
    right.set(1.0)
    clock.advance(2.0)
    state = rover.state()
    assert state.x_mm == pytest.approx(1000, rel=1e-3)
    assert state.y_mm == pytest.approx(0, abs=1e-6)
    assert state.odometer_mm == pytest.approx(1000, rel=1e-3)


def test_spin_in_place_turns_left_for_positive_right_wheel() -> None:
    clock, left, right, rover = rig()
    left.set(-0.2)
    right.set(0.2)
    clock.advance(1.0)
    state = rover.state()
    assert state.heading_rad == pytest.approx(1.0, rel=1e-3)  # (100 - -100) / 200 rad/s
    assert math.hypot(state.x_mm, state.y_mm) == pytest.approx(0, abs=1e-6)


def test_lag_makes_the_rover_coast_after_a_stop() -> None:
    clock, left, right, rover = rig(time_constant=0.1)
    left.set(1.0)
    right.set(1.0)
    clock.advance(1.0)
    stopped = clock()
    left.set(0.0)
    right.set(0.0)
    clock.advance(1.0)
    assert rover.travelled(since=stopped) == pytest.approx(500 * 0.1, rel=0.02)
    assert rover.state_at(stopped).speed_mm_s == pytest.approx(500, rel=1e-3)


def test_past_states_do_not_change_when_queried_later() -> None:
    clock, left, right, rover = rig(time_constant=0.05)
    left.set(0.5)
    right.set(0.5)
    clock.advance(0.3)
    early = rover.state_at(0.2)
    clock.advance(5)
    left.set(0.0)
    right.set(0.0)
    assert rover.state_at(0.2) == early
