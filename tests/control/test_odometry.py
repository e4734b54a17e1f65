"""Odometry from wheel revolutions: straight lines, spins, a known arc, and Viam's own vectors."""

from __future__ import annotations

import math

import pytest

from tether.control import DifferentialOdometry, Pose, geo_point
from tether.errors import InvalidCommand


def odometry(circumference: float = 100.0, width: float = 200.0) -> DifferentialOdometry:
    odo = DifferentialOdometry("odometry", wheel_circumference_mm=circumference, width_mm=width)
    odo.update(0.0, 0.0, 0.0)
    return odo


def test_equal_wheels_drive_straight_forward_and_back() -> None:
    odo = odometry()
    pose = odo.update(2.0, 5.0, 5.0)
    assert (pose.x_mm, pose.y_mm, pose.heading_deg) == pytest.approx((500.0, 0.0, 0.0))
    assert (pose.mm_per_s, pose.deg_per_s) == pytest.approx((250.0, 0.0))
    pose = odo.update(3.0, 2.0, 2.0)
    assert pose.x_mm == pytest.approx(200.0)
    assert pose.mm_per_s == pytest.approx(-300.0)
    assert pose.travelled_mm == pytest.approx(200.0)


def test_right_wheel_forward_left_back_spins_left_in_place() -> None:
    odo = odometry()
    quarter = (math.pi / 2) * 200 / 2 / 100  # each wheel's revolutions for a 90 degree spin
    pose = odo.update(1.0, -quarter, quarter)
    assert pose.heading_deg == pytest.approx(90.0)
    assert (pose.x_mm, pose.y_mm) == pytest.approx((0.0, 0.0), abs=1e-9)
    assert pose.deg_per_s == pytest.approx(90.0)
    pose = odo.update(9.0, -9 * quarter, 9 * quarter)  # 8 more quarters: two full turns
    assert pose.heading_deg == pytest.approx(810.0), "the heading is not wrapped"
    assert pose.theta_deg == pytest.approx(90.0)
    assert pose.compass_deg == pytest.approx(270.0)


@pytest.mark.parametrize("steps", [1, 7, 400])
def test_a_quarter_circle_of_radius_500_ends_where_geometry_says(steps: int) -> None:
    """The centre on a 500 mm arc turning left (track 200 mm: wheels on 400 and 600 mm arcs),
    over 2 s: it ends 500 mm forward and 500 mm left, facing left, however it was sampled."""
    odo = odometry(circumference=100.0, width=200.0)
    left_total = 400 * math.pi / 2 / 100
    right_total = 600 * math.pi / 2 / 100
    for n in range(1, steps + 1):
        pose = odo.update(2.0 * n / steps, left_total * n / steps, right_total * n / steps)
    assert (pose.x_mm, pose.y_mm, pose.heading_deg) == pytest.approx((500.0, 500.0, 90.0))
    assert pose.mm_per_s == pytest.approx(500 * math.pi / 2 / 2)
    assert pose.deg_per_s == pytest.approx(45.0)


def test_viams_wheeled_odometry_path_reads_the_same() -> None:
    """rdk's wheeledodometry_test.go TestComplicatedPath (1 m wheels, 1 m track, metres): its
    relative position (lat = forward, lng = left) and orientation theta, step by step."""
    odo = DifferentialOdometry("odometry", wheel_circumference_mm=1000.0, width_mm=1000.0)
    odo.update(0.0, 0.0, 0.0)
    left = right = 0.0
    expected = [
        ((5, 5), 0.0, (5.0, 0.0)),
        ((math.pi / 4, -math.pi / 4), 270.0, (5.0, 0.0)),
        ((5, 5), 270.0, (5.0, -5.0)),
        ((-math.pi / 8, math.pi / 8), 315.0, (5.0, -5.0)),
        ((2, 2), 315.0, (6.4, -6.4)),
    ]
    for n, ((dl, dr), theta, (forward_m, left_m)) in enumerate(expected, start=1):
        left, right = left + dl, right + dr
        pose = odo.update(n * 0.5, left, right)
        assert pose.theta_deg == pytest.approx(theta, abs=0.1)
        assert pose.x_mm / 1000 == pytest.approx(forward_m, abs=0.1)
        assert pose.y_mm / 1000 == pytest.approx(left_m, abs=0.1)


def test_viams_velocity_vectors_read_the_same() -> None:
    """rdk's TestVelocities: 10 revolutions in 0.5 s is 20 m/s; pi/8 each way is 90 deg/s."""
    odo = DifferentialOdometry("odometry", wheel_circumference_mm=1000.0, width_mm=1000.0)
    odo.update(0.0, 0.0, 0.0)
    pose = odo.update(0.5, 10.0, 10.0)
    assert (pose.mm_per_s / 1000, pose.deg_per_s) == pytest.approx((20.0, 0.0))
    pose = odo.update(1.0, 10 - math.pi / 8, 10 + math.pi / 8)
    assert (pose.mm_per_s, pose.deg_per_s) == pytest.approx((0.0, 90.0), abs=1e-9)


def test_geo_point_puts_forward_north_and_left_west() -> None:
    one_km_degrees = math.degrees(1000 / 6_371_000)
    north = geo_point(Pose(0.0, x_mm=1e6))
    assert north == pytest.approx((one_km_degrees, 0.0), abs=1e-12)
    west = geo_point(Pose(0.0, y_mm=1e6))
    assert west[0] == pytest.approx(0.0, abs=1e-12)
    assert west[1] == pytest.approx(-one_km_degrees, rel=1e-9)
    moved = geo_point(Pose(0.0, x_mm=3e5, y_mm=-4e5), 48.0, 11.0)
    assert haversine_m((48.0, 11.0), moved) == pytest.approx(500.0, rel=1e-6)


def haversine_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(
        (lon2 - lon1) / 2
    ) ** 2
    return 2 * 6_371_000 * math.asin(math.sqrt(h))


def test_the_first_update_only_sets_the_start_and_reset_starts_again() -> None:
    odo = DifferentialOdometry("odometry", wheel_circumference_mm=100, width_mm=200)
    assert odo.update(5.0, 17.0, 17.0).x_mm == 0.0
    assert odo.update(6.0, 18.0, 18.0).x_mm == pytest.approx(100.0)
    odo.reset()
    assert odo.update(7.0, 30.0, 30.0).x_mm == 0.0
    assert odo.pose().time == 7.0


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: DifferentialOdometry("o", wheel_circumference_mm=0, width_mm=200),
         "wheel_circumference_mm=0"),
        (lambda: DifferentialOdometry("o", wheel_circumference_mm=100, width_mm=float("nan")),
         "width_mm=nan"),
        (lambda: odometry().update(1.0, float("inf"), 0.0), "left_revolutions=inf"),
    ],
)
def test_bad_geometry_and_counts_are_refused(make: object, message: str) -> None:
    with pytest.raises(InvalidCommand, match=message):
        make()  # type: ignore[operator]



def straight_at_150_in_whole_counts(window: float) -> tuple[list[float], list[float]]:
    """Both wheels at 150 mm/s read in whole counts (1440 per 204 mm turn) every 20 ms, the
    right half a count behind; (|deg/s|, mm/s) read after the first 0.2 s."""
    odo = DifferentialOdometry("odometry", wheel_circumference_mm=204.0, width_mm=160.0,
                               velocity_window=window)
    per_s = 150 / 204 * 1440
    spins, speeds = [], []
    for step in range(200):
        t = step * 0.02
        pose = odo.update(t, math.floor(per_s * t) / 1440, math.floor(per_s * t - 0.5) / 1440)
        if t >= 0.2:
            spins.append(abs(pose.deg_per_s))
            speeds.append(pose.mm_per_s)
    return spins, speeds


def test_a_velocity_window_smooths_the_count_a_short_step_turns_into_a_spin() -> None:
    """One step's counts make a count's difference read as 2.5 deg/s of turning on a rover
    driving straight; over a 100 ms window it reads under 0.6."""
    step_spins, _ = straight_at_150_in_whole_counts(0.0)
    spins, speeds = straight_at_150_in_whole_counts(0.1)
    print(f"\nstraight at 150 mm/s: worst turn read {max(step_spins):.2f} deg/s per 20 ms step, "
          f"{max(spins):.2f} over 100 ms (speed {min(speeds):.1f}-{max(speeds):.1f} mm/s)")
    assert max(step_spins) > 2.0, "the quantization the window is for"
    assert max(spins) < 0.6
    assert speeds == pytest.approx([150.0] * len(speeds), rel=0.01)
