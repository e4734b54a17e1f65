"""The simulated encoder rover (examples/rover_encoders.toml in --sim), judged by the simulated
ground truth: what closed loop holds that open loop does not, and moves that end where asked.

Figures print with `pytest -s`; bench/closed_loop_bench.py prints the same for docs/encoders.md.
"""

from __future__ import annotations

import gc
import math
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tether.config import load_config
from tether.drivers.encoded_base import EncodedBase
from tether.fakes.rover import FakeRover
from tether.robot import Robot, build_robot

EXAMPLE = Path(__file__).resolve().parent.parent.parent / "examples" / "rover_encoders.toml"


@pytest.fixture
def robot() -> Iterator[Robot]:
    """The rover, in a test process whose earlier garbage is collected and whose older objects
    are frozen: a full collection of a big test process stalls the fake encoders' threads for
    100+ ms, as no encoder on a wheel ever stalls."""
    gc.collect()
    gc.freeze()
    built = build_robot(load_config(EXAMPLE), sim=True)
    try:
        yield built
    finally:
        built.close()
        gc.unfreeze()


def base_of(robot: Robot) -> EncodedBase:
    base = robot.bases["base"]
    assert isinstance(base, EncodedBase)
    return base


def drive_until(rover: FakeRover, done: str, limit: float, timeout: float = 30.0
                ) -> tuple[float, float]:
    """Poll the ground truth until its `done` attribute ('x_mm' or 'odometer_mm') reaches
    `limit`; (start, end) clock times."""
    began = rover.clock()
    while getattr(rover.state(), done) < limit and rover.clock() - began < timeout:
        time.sleep(0.01)
    return began, rover.clock()


def heading_deg(rover: FakeRover, when: float) -> float:
    return math.degrees(rover.state_at(when).heading_rad)


def test_open_loop_drifts_off_its_heading_with_one_wheel_loaded_30_percent(robot: Robot) -> None:
    base, rover = base_of(robot), robot.rovers["base"]
    base.closed_loop = False
    robot.wheels["left"].load = 0.3
    base.set_velocity(200, 0)
    began, ended = drive_until(rover, "odometer_mm", 2000)
    base.stop()
    error = heading_deg(rover, ended)
    speed = rover.state_at(ended).odometer_mm / (ended - began)
    print(f"\nopen loop, left wheel loaded 30 %, set_velocity(200 mm/s, 0) for 2 m of path: "
          f"heading error {error:+.1f} deg after {ended - began:.1f} s, mean speed "
          f"{speed:.0f} mm/s")
    assert error > 90, "the unloaded right wheel drives the rover round to the left"
    assert speed == pytest.approx(170, rel=0.03), "(200 + 140) / 2: open loop loses the load"


def test_closed_loop_holds_speed_within_5_percent_and_heading_within_2_degrees(
    robot: Robot,
) -> None:
    base, rover = base_of(robot), robot.rovers["base"]
    robot.wheels["left"].load = 0.3
    base.set_velocity(200, 0)
    began, ended = drive_until(rover, "x_mm", 2000)
    base.stop()
    samples = [began + 0.05 * k for k in range(int((ended - began) / 0.05) + 1)]
    settled = [rover.state_at(t).speed_mm_s for t in samples if t - began >= 1.0]
    headings = [heading_deg(rover, t) for t in samples]
    worst_speed = max(abs(v - 200) / 200 for v in settled)
    worst_heading = max(abs(h) for h in headings)
    final = rover.state_at(ended)
    print(f"\nclosed loop, same load: 2 m in {ended - began:.2f} s; speed after the first second "
          f"{min(settled):.1f}-{max(settled):.1f} mm/s (worst {worst_speed:.1%} off 200); "
          f"heading within {worst_heading:.2f} deg (end {heading_deg(rover, ended):+.2f}); "
          f"lateral {final.y_mm:+.1f} mm; odometry {base.pose().x_mm:.0f} mm")
    assert worst_speed <= 0.05
    assert worst_heading <= 2.0
    assert base.pose().x_mm == pytest.approx(final.x_mm, abs=10), "odometry agrees with truth"


def test_move_straight_1000_mm_ends_within_1_percent_with_a_load_change_midway(
    robot: Robot,
) -> None:
    base, rover = base_of(robot), robot.rovers["base"]
    start = rover.state()
    loaded = threading.Event()

    def load_the_right_wheel_at_half_way() -> None:
        while rover.state().odometer_mm - start.odometer_mm < 500 and not loaded.is_set():
            time.sleep(0.002)
        robot.wheels["right"].load = 0.4
        loaded.set()

    threading.Thread(target=load_the_right_wheel_at_half_way, daemon=True).start()
    assert base.move_straight(1000, 200) is True
    time.sleep(0.5)  # coasting ends
    loaded.set()
    end = rover.state()
    distance = math.hypot(end.x_mm - start.x_mm, end.y_mm - start.y_mm)
    print(f"\nmove_straight(1000 mm, 200 mm/s), right wheel loaded 40 % at 500 mm: ground "
          f"truth {distance:.1f} mm ({(distance - 1000) / 10:+.2f} %), heading "
          f"{math.degrees(end.heading_rad):+.2f} deg")
    assert robot.wheels["right"].load == 0.4, "the load changed during the move"
    assert distance == pytest.approx(1000, rel=0.01)
    assert not base.is_moving()


def test_spin_ends_on_the_angle_odometry_measures(robot: Robot) -> None:
    base, rover = base_of(robot), robot.rovers["base"]
    robot.wheels["left"].load = 0.3
    assert base.spin(-90, 60) is True
    time.sleep(0.5)
    turned = heading_deg(rover, rover.clock())
    print(f"\nspin(-90 deg, 60 deg/s), left wheel loaded 30 %: turned {turned:+.2f} deg")
    assert turned == pytest.approx(-90, abs=0.9)
    assert base.pose().heading_deg == pytest.approx(turned, abs=0.5)
