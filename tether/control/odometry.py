"""Differential-drive odometry: pose and body velocity from the two wheels' revolutions."""

from __future__ import annotations

import math
import threading
from collections import deque
from dataclasses import dataclass, replace

from tether.contract.checks import check_finite, check_option

#: The mean Earth radius golang-geo (and so Viam's wheeled odometry) uses, in metres.
EARTH_RADIUS_M = 6_371_000.0


@dataclass(frozen=True, slots=True)
class Pose:
    """Where the base is relative to where odometry started, and how fast it moves.

    x is forward of the start, y to its left (mm); heading is counter-clockwise seen from above
    (+ turned left, as DifferentialBase's +angular), in degrees and not wrapped, so two full
    spins read 720. Velocities are the body's: mm/s forward and deg/s to the left.
    """

    time: float
    x_mm: float = 0.0
    y_mm: float = 0.0
    heading_deg: float = 0.0
    mm_per_s: float = 0.0
    deg_per_s: float = 0.0
    travelled_mm: float = 0.0

    @property
    def theta_deg(self) -> float:
        """Heading in [0, 360): Viam's Orientation theta about +z (a left turn of 90 reads 90)."""
        return self.heading_deg % 360.0

    @property
    def compass_deg(self) -> float:
        """Heading clockwise from the start direction in [0, 360), as a compass reads."""
        return -self.heading_deg % 360.0


def geo_point(pose: Pose, latitude: float = 0.0, longitude: float = 0.0) -> tuple[float, float]:
    """(latitude, longitude) of the pose when the start is at the given point facing north."""
    distance = math.hypot(pose.x_mm, pose.y_mm) / 1000 / EARTH_RADIUS_M
    bearing = math.atan2(-pose.y_mm, pose.x_mm)  # clockwise from north; +y (left) is west
    lat1, lon1 = math.radians(latitude), math.radians(longitude)
    lat2 = math.asin(
        math.sin(lat1) * math.cos(distance)
        + math.cos(lat1) * math.sin(distance) * math.cos(bearing)
    )
    lon2 = lon1 + math.atan2(
        math.sin(bearing) * math.sin(distance) * math.cos(lat1),
        math.cos(distance) - math.sin(lat1) * math.sin(lat2),
    )
    return math.degrees(lat2), (math.degrees(lon2) + 540.0) % 360.0 - 180.0


class DifferentialOdometry:
    """Integrates wheel revolutions into a Pose, each step as an exact circular arc.

    Between two updates the wheels moved dl and dr mm: the centre moved (dl + dr) / 2 along an
    arc that turned (dr - dl) / width radians (right wheel faster: a left turn). The first
    update only sets the starting counts. Thread-safe: a poller updates it while the API reads.
    """

    def __init__(self, name: str, *, wheel_circumference_mm: float, width_mm: float,
                 velocity_window: float = 0.0) -> None:
        where = f"odometry {name!r}"
        self.name = name
        self.wheel_circumference_mm = check_option(
            wheel_circumference_mm, f"{where} wheel_circumference_mm", 1.0, 1e5
        )
        self.width_mm = check_option(width_mm, f"{where} width_mm", 1.0, 1e5)
        #: Seconds the body velocity is measured over (0: the last update's step, as Viam's
        #: wheeled odometry does). Counts over one short step quantize it: at 20 ms, one count
        #: of a 1440-count, 204 mm wheel is 7 mm/s and 2.5 deg/s on a 160 mm track.
        self.velocity_window = check_option(velocity_window, f"{where} velocity_window",
                                            0.0, 10.0)
        self._lock = threading.Lock()
        self._pose: Pose | None = None
        self._wheels: tuple[float, float] = (0.0, 0.0)
        #: (time, left, right) of the updates within the velocity window, and one before it.
        self._recent: deque[tuple[float, float, float]] = deque()

    def pose(self) -> Pose:
        """The latest pose (all zero before the first update)."""
        with self._lock:
            return self._pose if self._pose is not None else Pose(0.0)

    def reset(self) -> None:
        """Start again from (0, 0, 0) at the next update's wheel counts."""
        with self._lock:
            self._pose = None

    def update(self, now: float, left_revolutions: float, right_revolutions: float) -> Pose:
        """Advance to the wheel counts read at time `now` (seconds) and return the pose."""
        where = f"odometry {self.name!r} update"
        at = check_finite(now, f"{where} time")
        left = check_finite(left_revolutions, f"{where} left_revolutions")
        right = check_finite(right_revolutions, f"{where} right_revolutions")
        with self._lock:
            last = self._pose
            last_left, last_right = self._wheels
            self._wheels = (left, right)
            if last is None:
                self._pose = Pose(at)
                self._recent.clear()
                self._recent.append((at, left, right))
                return self._pose
            self._pose = self._advance(
                last, at, (left - last_left) * self.wheel_circumference_mm,
                (right - last_right) * self.wheel_circumference_mm,
            )
            if self.velocity_window > 0:
                self._pose = self._windowed(self._pose, left, right)
            return self._pose

    def _windowed(self, pose: Pose, left: float, right: float) -> Pose:
        """The pose with its velocity measured from the window's first update to this one."""
        recent = self._recent
        recent.append((pose.time, left, right))
        while len(recent) > 2 and recent[1][0] <= pose.time - self.velocity_window:
            recent.popleft()
        then, left_then, right_then = recent[0]
        if pose.time <= then:
            return pose
        left_mm = (left - left_then) * self.wheel_circumference_mm
        right_mm = (right - right_then) * self.wheel_circumference_mm
        seconds = pose.time - then
        return replace(pose, mm_per_s=(left_mm + right_mm) / 2 / seconds,
                       deg_per_s=math.degrees((right_mm - left_mm) / self.width_mm) / seconds)

    def _advance(self, last: Pose, now: float, left_mm: float, right_mm: float) -> Pose:
        distance = (left_mm + right_mm) / 2
        turn = (right_mm - left_mm) / self.width_mm
        half = turn / 2
        chord = distance if half == 0 else distance * math.sin(half) / half
        direction = math.radians(last.heading_deg) + half
        dt = now - last.time
        speed, spin = (
            (distance / dt, math.degrees(turn) / dt) if dt > 0 else (last.mm_per_s, last.deg_per_s)
        )
        return Pose(
            now,
            last.x_mm + chord * math.cos(direction),
            last.y_mm + chord * math.sin(direction),
            last.heading_deg + math.degrees(turn),
            speed,
            spin,
            last.travelled_mm + distance,
        )
