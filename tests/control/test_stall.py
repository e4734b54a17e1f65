"""The stall and runaway check, on its own and fed by a decoder whose edges stop."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.encoders.signals import end_tick, quadrature
from tether.control import MotorFault, StallDetector, StallSettings, expected_rpm
from tether.encoders import QuadratureDecoder
from tether.errors import InvalidCommand
from tether.fakes.clock import FakeClock

STEP = 0.01


def first_fault(
    detector: StallDetector, seconds: float, sample: Callable[[float], tuple[float, float]],
    expected: float | None = None,
) -> MotorFault | None:
    """Feed (power, rpm) = sample(t) every STEP for `seconds`; the first fault, if any."""
    for n in range(round(seconds / STEP) + 1):
        power, rpm = sample(n * STEP)
        fault = detector.update(n * STEP, power, rpm, expected)
        if fault is not None:
            return fault
    return None


def test_full_power_at_zero_speed_for_the_configured_time_is_a_stall() -> None:
    detector = StallDetector("left")
    for n in range(100):
        assert detector.update(n * STEP, 0.6, 0.0) is None  # 0.00 .. 0.99 s
    fault = detector.update(1.0, 0.6, 0.0)
    assert fault is not None
    assert (fault.motor, fault.reason, fault.since) == ("left", "stall", 0.0)
    assert "power +0.60 for 1.00 s" in fault.detail
    assert detector.update(1.01, 0.0, 0.0) is fault, "a fault holds until reset"
    detector.reset()
    assert detector.update(1.02, 0.0, 0.0) is None


def test_a_turning_wheel_or_a_gentle_power_is_not_a_stall() -> None:
    assert first_fault(StallDetector("left"), 3.0, lambda t: (0.9, 30.0)) is None
    assert first_fault(StallDetector("left"), 3.0, lambda t: (0.15, 0.0)) is None
    blips = first_fault(StallDetector("left"), 3.0, lambda t: (0.9, 5.0 if t % 0.5 < 0.1 else 0))
    assert blips is None, "the wheel turns now and then: the timer restarts"


def test_the_stall_time_is_configurable() -> None:
    detector = StallDetector("left", StallSettings(stall_seconds=0.3))
    fault = first_fault(detector, 2.0, lambda t: (-0.5, 0.5))
    assert fault is not None
    assert fault.reason == "stall"
    assert "0.30 s" in fault.detail


def test_an_encoder_that_stops_counting_while_driven_is_a_stall() -> None:
    """Edges at 300 rpm, then none while the power stays on: the decoder's speed falls to 0
    and the check stops the motor a configured second later (a dead encoder looks the same)."""
    clock = FakeClock(100.0)
    encoder = QuadratureDecoder("left", ticks_per_revolution=400, clock=clock)
    for channel, level, tick in quadrature(500, 500):
        encoder.edge(channel, level, tick)
    silent_from = end_tick(500, 500)
    detector = StallDetector("left")
    fault = None
    elapsed = 0.0
    while fault is None and elapsed < 5.0:
        elapsed += STEP
        now_tick = silent_from + round(elapsed * 1e6)
        fault = detector.update(elapsed, 0.5, encoder.rpm(now_tick_us=now_tick), 300.0)
    assert fault is not None
    assert fault.reason == "stall"
    assert 1.0 <= elapsed <= 1.0 + 0.2, f"stopped {elapsed:.2f} s after the last edge"


def test_far_faster_than_asked_or_the_wrong_way_is_a_runaway() -> None:
    fast = first_fault(StallDetector("left"), 2.0, lambda t: (0.3, 300.0), expected=100.0)
    assert fast is not None
    assert fast.reason == "runaway"
    assert "+300.0 rpm" in fast.detail
    backwards = first_fault(StallDetector("left"), 2.0, lambda t: (0.3, -40.0), expected=100.0)
    assert backwards is not None
    assert backwards.reason == "runaway"
    within = first_fault(StallDetector("left"), 2.0, lambda t: (0.3, 155.0), expected=100.0)
    assert within is None, "1.5 x 100 + 10 = 160 rpm is the limit"
    unknown = first_fault(StallDetector("left"), 2.0, lambda t: (0.3, 900.0), expected=None)
    assert unknown is None, "no expected speed (open loop, no max_rpm): no runaway check"


def test_expected_rpm_from_power_and_max_rpm() -> None:
    assert expected_rpm(-0.5, 120.0) == -60.0
    assert expected_rpm(0.5, None) is None
    with pytest.raises(InvalidCommand, match="max_rpm=0"):
        expected_rpm(0.5, 0.0)


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (StallSettings(stall_power=1.5), "stall_power=1.5"),
        (StallSettings(still_rpm=-1), "still_rpm=-1"),
        (StallSettings(stall_seconds=float("nan")), "stall_seconds=nan"),
        (StallSettings(runaway_ratio=0.5), "runaway_ratio=0.5"),
    ],
)
def test_bad_settings_are_refused_naming_them(settings: StallSettings, message: str) -> None:
    with pytest.raises(InvalidCommand, match=f"motor 'left' {message}"):
        StallDetector("left", settings)


def test_bad_samples_are_refused() -> None:
    with pytest.raises(InvalidCommand, match="measured_rpm=nan"):
        StallDetector("left").update(0.0, 0.5, float("nan"))
    with pytest.raises(InvalidCommand, match=r"power=2: expected a number in \[-1, 1\]"):
        StallDetector("left").update(0.0, 2, 0.0)
