"""The simulated wheel: first-order lag, and the load, slope, battery, slip and blocking that
closed loop is tested against; any past instant reads the same whenever it is asked."""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest

from tether.fakes import FakeClock, FakeRover
from tether.fakes.wheel import SimWheel


class Duty:
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


def wheel(tau: float = 0.05) -> tuple[FakeClock, Duty, SimWheel]:
    clock = FakeClock()
    source = Duty(clock)
    return clock, source, SimWheel(source, top_speed=500.0, time_constant=tau, clock=clock)


def test_speed_follows_duty_with_its_lag_and_travel_is_its_integral() -> None:
    clock, duty, simulated = wheel(tau=0.1)
    duty.set(0.5)
    clock.advance(0.1)
    assert simulated.speed() == pytest.approx(250 * (1 - math.exp(-1)))
    clock.advance(2.9)
    assert simulated.speed() == pytest.approx(250.0, rel=1e-9)
    assert simulated.travel() == pytest.approx(250 * 3.0 - 250 * 0.1, rel=1e-6)


@pytest.mark.parametrize(
    ("knob", "value", "settles_at"),
    [("load", 0.3, 350.0), ("battery", 0.8, 400.0), ("slope", 0.1, 450.0), ("slope", -0.1, 550.0)],
)
def test_load_battery_and_slope_take_their_share_of_the_speed(
    knob: str, value: float, settles_at: float
) -> None:
    clock, duty, simulated = wheel()
    setattr(simulated, knob, value)
    duty.set(1.0)
    clock.advance(2.0)
    assert simulated.speed() == pytest.approx(settles_at, rel=1e-6)


def test_a_blocked_wheel_stands_still_and_starts_again_from_rest() -> None:
    clock, duty, simulated = wheel()
    duty.set(1.0)
    clock.advance(1.0)
    simulated.blocked = True
    held = simulated.travel()
    clock.advance(1.0)
    assert (simulated.speed(), simulated.travel()) == (0.0, held)
    simulated.blocked = False
    clock.advance(0.05)
    assert simulated.speed() == pytest.approx(500 * (1 - math.exp(-1)))


def test_slip_moves_the_ground_less_than_the_wheel_turns() -> None:
    clock, duty, simulated = wheel(tau=0.0)
    simulated.slip = 0.25
    duty.set(1.0)
    clock.advance(2.0)
    assert simulated.travel() == pytest.approx(1000.0)
    assert simulated.ground_at(clock()) == pytest.approx(750.0)


def test_a_past_instant_reads_the_same_after_later_changes() -> None:
    clock, duty, simulated = wheel()
    duty.set(0.7)
    clock.advance(0.3)
    early = (simulated.speed_at(0.2), simulated.travel_at(0.2))
    simulated.load = 0.5
    clock.advance(1.0)
    duty.set(-1.0)
    assert (simulated.speed_at(0.2), simulated.travel_at(0.2)) == early


@pytest.mark.parametrize(("knob", "value"), [("load", 1.5), ("slip", -0.1), ("battery", math.nan)])
def test_a_knob_outside_its_range_is_refused(knob: str, value: float) -> None:
    _, _, simulated = wheel()
    with pytest.raises(ValueError, match=f"{knob}="):
        setattr(simulated, knob, value)


def test_a_loaded_wheel_turns_the_rover_toward_it_and_slip_shortens_the_path() -> None:
    clock = FakeClock()
    left, right = Duty(clock), Duty(clock)
    rover = FakeRover([left], [right], width_mm=200, max_speed_mm_s=500, time_constant=0.0,
                      clock=clock)
    rover.left_wheels[0].load = 0.2
    left.set(1.0)
    right.set(1.0)
    clock.advance(1.0)
    state = rover.state()
    assert state.heading_rad == pytest.approx((500 - 400) / 200, rel=1e-3), "a left turn"
    assert state.odometer_mm == pytest.approx(450.0, rel=1e-3)
    for simulated in rover.wheels:
        simulated.load, simulated.slip = 0.0, 0.5
    before = rover.state().odometer_mm
    clock.advance(1.0)
    assert rover.state().odometer_mm - before == pytest.approx(250.0, rel=1e-3)
    assert rover.wheels[0].travel() == pytest.approx(400.0 + 500.0)
