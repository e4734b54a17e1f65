"""DifferentialBase: exact wheel duties, validation, timed moves, failures, ramp."""

from __future__ import annotations

import math
import threading
import time

import pytest

from tether.drivers import DifferentialBase
from tether.errors import HardwareError, InvalidCommand, Unsupported
from tether.fakes import FakeMotor


def make_base(
    per_side: int = 1, *, max_rpm: float | None = 60, **options: float
) -> tuple[DifferentialBase, list[FakeMotor], list[FakeMotor]]:
    """Width 200 mm, wheel circumference 200 mm, 60 rpm: top speed 200 mm/s."""
    left = [FakeMotor(f"l{i}", max_rpm=max_rpm) for i in range(per_side)]
    right = [FakeMotor(f"r{i}", max_rpm=max_rpm) for i in range(per_side)]
    base = DifferentialBase(
        "base", left, right, width_mm=200, wheel_circumference_mm=200, **options
    )
    return base, left, right


def duties(left: list[FakeMotor], right: list[FakeMotor]) -> tuple[list[object], list[object]]:
    """Per-side duties, typed loosely so tests can compare with pytest.approx."""
    return [m.power for m in left], [m.power for m in right]


@pytest.mark.parametrize(
    ("linear", "angular", "expected_left", "expected_right"),
    [
        (0.5, 0.0, 0.5, 0.5),  # forward
        (-0.4, 0.0, -0.4, -0.4),  # backward
        (0.0, 0.5, -0.5, 0.5),  # spin left in place
        (0.0, -1.0, 1.0, -1.0),  # spin right in place, full
        (0.5, 0.25, 0.25, 0.75),  # arc to the left
        (1.0, 0.5, 1 / 3, 1.0),  # clamped: scaled together, curvature kept
        (1.0, 1.0, 0.0, 1.0),  # clamped: pivot on the left wheel
        (-1.0, -1.0, 0.0, -1.0),
        (0.0, 0.0, 0.0, 0.0),
    ],
)
def test_set_power_mixes_exactly(
    linear: float, angular: float, expected_left: float, expected_right: float
) -> None:
    base, left, right = make_base(per_side=2)
    base.set_power(linear, angular)
    assert duties(left, right) == (
        [pytest.approx(expected_left)] * 2,
        [pytest.approx(expected_right)] * 2,
    )


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf, 1.01, -3, "1", None])
@pytest.mark.parametrize("field", ["linear", "angular"])
def test_bad_power_names_the_field_and_moves_nothing(field: str, bad: object) -> None:
    base, left, right = make_base()
    base.set_power(0.2, 0.1)
    history = [len(m.history) for m in (*left, *right)]
    args = {"linear": 0.5, "angular": 0.0, field: bad}
    with pytest.raises(InvalidCommand) as error:
        base.set_power(**args)  # type: ignore[arg-type]
    assert str(error.value) == (
        f"base 'base' set_power {field}={bad!r}: expected a number in [-1, 1]"
    )
    assert [len(m.history) for m in (*left, *right)] == history


def test_set_velocity_from_geometry() -> None:
    base, left, right = make_base()
    base.set_velocity(100, 0)
    assert duties(left, right) == ([pytest.approx(0.5)], [pytest.approx(0.5)])
    base.set_velocity(0, math.degrees(1.0))  # 1 rad/s: wheels at +-100 mm/s
    assert duties(left, right) == ([pytest.approx(-0.5)], [pytest.approx(0.5)])
    base.set_velocity(200, math.degrees(1.0))  # 100/300 mm/s: scaled to keep the arc
    assert duties(left, right) == ([pytest.approx(1 / 3)], [pytest.approx(1.0)])


def test_set_velocity_beyond_the_top_speed_is_rejected() -> None:
    base, _left, _right = make_base()
    with pytest.raises(InvalidCommand, match=r"mm_per_s=201: expected a number in \[-200, 200\]"):
        base.set_velocity(201, 0)
    assert not base.is_moving()


def test_velocity_commands_need_max_rpm() -> None:
    base, _, _ = make_base(max_rpm=None)
    with pytest.raises(Unsupported, match="max_rpm"):
        base.set_velocity(10, 0)
    with pytest.raises(Unsupported, match="max_rpm"):
        base.move_straight(10, 10)
    base.set_power(0.1, 0)
    assert base.is_moving()


def test_move_straight_drives_for_distance_over_speed_then_stops() -> None:
    base, left, _right = make_base()
    began = time.monotonic()
    assert base.move_straight(-20, 200) is True
    elapsed = time.monotonic() - began
    assert 0.1 <= elapsed < 0.6
    assert [s.power for s in left[0].history] == [0.0, pytest.approx(-1.0), 0.0]
    assert not base.is_moving()


def test_spin_turns_in_place_then_stops() -> None:
    base, left, right = make_base()
    assert base.spin(-5.73, 57.3) is True  # 0.1 s clockwise at 1 rad/s
    assert [s.power for s in left[0].history] == [0.0, pytest.approx(0.5, rel=1e-3), 0.0]
    assert [s.power for s in right[0].history] == [0.0, pytest.approx(-0.5, rel=1e-3), 0.0]


def test_move_straight_is_cut_short_by_stop() -> None:
    base, _left, _right = make_base()
    results: list[bool] = []
    mover = threading.Thread(target=lambda: results.append(base.move_straight(1000, 100)))
    mover.start()
    time.sleep(0.05)
    base.stop()
    mover.join(2)
    assert results == [False]
    assert not base.is_moving()


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda b: b.move_straight(math.nan, 10), "distance_mm=nan"),
        (lambda b: b.move_straight(10, 1e9), r"mm_per_s=1000000000.0: expected a number in"),
        (lambda b: b.spin(90, math.inf), "deg_per_s=inf"),
        (lambda b: b.move_straight(2**63, 10), r"distance_mm=9223372036854775808 at mm_per_s=10: "
         r"the move would take 9.22e\+17 s; expected at most 3600 s"),
        (lambda b: b.spin(1e300, 30), "angle_deg=1e\\+300 at deg_per_s=30: the move would take"),
    ],
)
def test_timed_moves_validate_before_anything_moves(call: object, message: str) -> None:
    base, left, right = make_base()
    base.set_power(0.3, 0)
    with pytest.raises(InvalidCommand, match=message):
        call(base)  # type: ignore[operator]
    assert [m.is_powered()[1] for m in (*left, *right)] == [0.3, 0.3], "nothing changed"


@pytest.mark.parametrize(
    "call",
    [lambda b: b.move_straight(0, 100), lambda b: b.move_straight(100, 0),
     lambda b: b.spin(0, 30), lambda b: b.spin(90, 0)],
    ids=["distance 0", "speed 0", "angle 0", "rate 0"],
)
def test_a_zero_move_stops_the_base_as_viam_documents(call: object) -> None:
    """Viam's Base API: 'When distance or velocity is 0, the base will stop.' Before: these
    returned at once (or were refused) and left the base driving."""
    base, _, _ = make_base()
    base.set_power(0.3, 0)
    assert call(base) is True  # type: ignore[operator]
    assert not base.is_moving()


def test_stop_reaches_every_motor_even_if_one_raises() -> None:
    base, left, right = make_base(per_side=2)
    base.set_power(0.5, 0)
    left[0].stop_error = OSError("I2C NACK")
    with pytest.raises(HardwareError, match="motor 'l0': I2C NACK"):
        base.stop()
    assert [m.power for m in (left[1], *right)] == [0.0, 0.0, 0.0]


def test_a_failing_write_stops_the_whole_base_and_names_the_motor() -> None:
    base, left, right = make_base(per_side=2)
    base.set_power(0.5, 0)
    right[1].write_error = OSError("serial port gone")
    with pytest.raises(HardwareError, match=r"motor 'r1' failed .*serial port gone.*base stopped"):
        base.set_power(0.8, 0)
    assert [m.power for m in (*left, *right)] == [0.0] * 4


def test_slow_motors_are_stopped_in_parallel() -> None:
    barrier = threading.Barrier(2, timeout=2)

    class SlowMotor(FakeMotor):
        slow_io = True
        met = False

        def _stop_hw(self) -> None:
            if not self.met:  # the first stop of each must meet the other's: they overlap
                self.met = True
                barrier.wait()
            super()._stop_hw()

    base = DifferentialBase(
        "base", [SlowMotor("l")], [SlowMotor("r")], width_mm=200, wheel_circumference_mm=200
    )
    base.set_power(0.5, 0)
    base.stop()  # a serial stop one after the other would break the 2-way barrier
    assert not base.is_moving()


def test_ramp_limits_acceleration_but_stop_is_immediate() -> None:
    base, left, right = make_base(max_acceleration=5.0)
    base.set_power(1.0, 0)
    assert 0 < left[0].power <= 0.11, "first ramp step only"
    time.sleep(0.08)
    assert 0.1 < left[0].power < 1.0
    base.stop()
    assert left[0].power == 0.0 and right[0].power == 0.0
    time.sleep(0.1)
    assert left[0].power == 0.0, "the ramp did not resume after stop"
    base.set_power(1.0, 0)
    deadline = time.monotonic() + 2
    while left[0].power < 1.0 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert left[0].power == pytest.approx(1.0)
    base.close()


def test_properties_and_is_moving() -> None:
    base, _, _ = make_base()
    properties = base.properties()
    assert (properties.width_meters, properties.wheel_circumference_meters) == (0.2, 0.2)
    assert properties.turning_radius_meters == 0.0
    assert not base.is_moving()
    base.set_power(0, 0.1)
    assert base.is_moving()
    base.close()
    assert not base.is_moving()
    with pytest.raises(InvalidCommand, match="closed"):
        base.set_power(0.1, 0)
    base.stop()
    base.close()


def test_base_needs_motors_on_both_sides() -> None:
    with pytest.raises(InvalidCommand, match="at least one motor on each side"):
        DifferentialBase("base", [], [FakeMotor("r")], width_mm=1, wheel_circumference_mm=1)
