"""A differential base on encoded wheels: odometry, closed-loop velocity, moves ended on distance.

A tracker thread reads the wheels' positions every period and integrates them into a pose
(tether.control.DifferentialOdometry), as Viam's wheeled-odometry sensor does. In closed loop
(the default), set_velocity holds each wheel's speed with its own loop and the heading against
the reference the angular velocity draws, so a loaded wheel neither slows the base nor turns it;
move_straight and spin end on the distance and angle odometry measures, slowing for the end.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from tether.control.odometry import DifferentialOdometry, Pose
from tether.control.stall import FaultStop
from tether.drivers.base import DifferentialBase
from tether.drivers.encoded_motor import LATE_TICKS, EncodedMotor
from tether.drivers.motion import TimedMove
from tether.drivers.validate import check_option
from tether.errors import HardwareError, TetherError

log = logging.getLogger(__name__)

#: deg/s of turn per degree of heading error: how hard the base steers back onto its heading,
#: and the most it adds (a wheel's late edges can look like a sudden heading error for a step).
HEADING_GAIN = 6.0
MOST_CORRECTION = 30.0
#: A move's speed near its end: what is left, covered in this many seconds.
APPROACH_SECONDS = 0.25
#: The slowest a move creeps to its end, as a fraction of its speed.
CRAWL_FRACTION = 0.05
#: When a move counts as done: within this much of its distance (mm) or angle (degrees).
DISTANCE_TOLERANCE_MM = 1.0
ANGLE_TOLERANCE_DEG = 0.3
#: A move gets its nominal time this many times over, plus GRACE_SECONDS, before it gives up.
TIME_ALLOWANCE = 3.0
GRACE_SECONDS = 2.0
#: The tracker reads the wheels this many times less often while the base is still.
IDLE_SLOWDOWN = 5
#: Seconds odometry measures the body velocity over (a few tracker periods: one period's counts
#: make a wheel's count difference read as a turn of degrees per second).
VELOCITY_WINDOW = 0.1


@dataclass(frozen=True, slots=True)
class _Hold:
    """What the closed loop steers toward: a velocity, or a distance or angle to end at."""

    mm_per_s: float
    deg_per_s: float
    since: float
    start: Pose
    distance_mm: float | None = None
    angle_deg: float | None = None
    #: How fast the linear speed asked for may change (mm/s^2): both wheels' loops then track
    #: a ramp they can follow, so a loaded one does not fall behind its twin at the start.
    acceleration: float = math.inf

    def command(self, pose: Pose, now: float) -> tuple[float, float] | None:
        """(mm/s, deg/s) to drive now; None once the move is done."""
        if self.distance_mm is not None:
            return self._straight(pose, self.distance_mm, now)
        if self.angle_deg is not None:
            return self._spin(pose, self.angle_deg)
        heading = self.start.heading_deg + self.deg_per_s * (now - self.since)
        return self._ramped(self.mm_per_s, now), self.deg_per_s + _steer(
            heading - pose.heading_deg)

    def _ramped(self, speed: float, now: float) -> float:
        """`speed`, or as near to it from the start's speed as the acceleration allows."""
        reach = self.acceleration * max(0.0, now - self.since)
        begin = self.start.mm_per_s
        return max(begin - reach, min(begin + reach, speed))

    def _straight(self, pose: Pose, distance: float, now: float) -> tuple[float, float] | None:
        way = math.copysign(1.0, distance)
        left = abs(distance) - (pose.travelled_mm - self.start.travelled_mm) * way
        if left <= DISTANCE_TOLERANCE_MM:
            return None
        speed = self._ramped(way * _approach(abs(self.mm_per_s), left), now)
        return speed, _steer(self.start.heading_deg - pose.heading_deg)

    def _spin(self, pose: Pose, angle: float) -> tuple[float, float] | None:
        way = math.copysign(1.0, angle)
        left = abs(angle) - (pose.heading_deg - self.start.heading_deg) * way
        if left <= ANGLE_TOLERANCE_DEG:
            return None
        return 0.0, way * _approach(abs(self.deg_per_s), left)


def _steer(error_deg: float) -> float:
    """The turn (deg/s) that brings the heading back, within MOST_CORRECTION."""
    return max(-MOST_CORRECTION, min(MOST_CORRECTION, HEADING_GAIN * error_deg))


def _approach(top: float, left: float) -> float:
    """The speed that covers `left` in APPROACH_SECONDS, within [crawl, top]."""
    return min(top, max(CRAWL_FRACTION * top, left / APPROACH_SECONDS))


class EncodedBase(DifferentialBase):
    """A DifferentialBase whose every wheel is an EncodedMotor; see the module docstring.

    ``closed_loop=False`` keeps the open-loop velocity and timed moves of DifferentialBase
    (odometry still tracks). A wheel stopped by its stall check stops the whole base.
    """

    def __init__(
        self,
        name: str,
        left: Sequence[EncodedMotor],
        right: Sequence[EncodedMotor],
        *,
        width_mm: float,
        wheel_circumference_mm: float,
        max_rpm: float | None = None,
        max_acceleration: float | None = None,
        closed_loop: bool = True,
        period: float = 0.02,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(name, left, right, width_mm=width_mm,
                         wheel_circumference_mm=wheel_circumference_mm, max_rpm=max_rpm,
                         max_acceleration=max_acceleration)
        self.encoded_left, self.encoded_right = list(left), list(right)
        self.closed_loop = bool(closed_loop)
        self.period = check_option(period, f"base {name!r} period", 0.001, 1.0)
        self.clock = clock
        self.odometry = DifferentialOdometry(
            name, wheel_circumference_mm=wheel_circumference_mm, width_mm=width_mm,
            velocity_window=VELOCITY_WINDOW,
        )
        #: The last wheel faults (at most 100), and how many there were in all.
        #: mm/s^2 the closed loop's linear speed may change by: max_acceleration (power per
        #: second) times the top speed; unlimited without it.
        self.acceleration = math.inf if max_acceleration is None else (
            max_acceleration * (self.max_speed_mm_s or 1000.0))
        self.faults: list[FaultStop] = []
        self.fault_count = 0
        self._hold: _Hold | None = None
        self._reached = threading.Event()
        self._stopping = threading.Event()
        self._track()
        self._tracker = threading.Thread(target=self._run, name=f"tether-odometry-{name}",
                                         daemon=True)
        self._tracker.start()
        for motor in (*left, *right):
            motor.add_fault_listener(self._wheel_faulted)

    def pose(self) -> Pose:
        """Where odometry puts the base now (and its body velocity)."""
        return self.odometry.pose()

    def perform(self, move: TimedMove) -> bool:
        """Closed loop: run a planned move until odometry says its distance or angle is covered
        (its seconds bound it); a wheel's stall raises HardwareError naming it."""
        if not self.closed_loop or move.seconds == 0:
            return super().perform(move)
        faults = self.fault_count
        bound = move.seconds * TIME_ALLOWANCE + GRACE_SECONDS

        def start() -> threading.Event:
            distance = move.seconds * move.mm_per_s if move.mm_per_s else None
            angle = move.seconds * move.deg_per_s if move.deg_per_s else None
            self._start_hold(move.mm_per_s, move.deg_per_s, distance, angle)
            return self._reached

        done = self._run_until(bound, start)
        if self.fault_count != faults:
            raise HardwareError(f"base {self.name!r} stopped: {self.faults[-1].describe()}")
        return done

    # -- DifferentialBase hooks -------------------------------------------------------------

    def _drive_power(self, linear: float, angular: float) -> None:
        self._hold = None
        super()._drive_power(linear, angular)

    def _drive_velocity(self, mm_per_s: float, deg_per_s: float) -> None:
        if not self.closed_loop:
            self._hold = None
            super()._drive_velocity(mm_per_s, deg_per_s)
            return
        if mm_per_s == 0 and deg_per_s == 0:
            self._stop_locked()
            return
        self._start_hold(mm_per_s, deg_per_s, None, None)

    def _stop_hw(self) -> None:
        self._hold = None
        super()._stop_hw()

    def _release(self) -> None:
        self._stopping.set()
        if self._tracker is not threading.current_thread():
            self._tracker.join(2.0)
        super()._release()

    # -- the loop -------------------------------------------------------------------------

    def _start_hold(self, mm_per_s: float, deg_per_s: float, distance: float | None,
                    angle: float | None) -> None:
        """Steer toward a velocity (or a distance or angle), starting the wheels now (lock
        held): the wheels' own loops start afresh, forgetting any fault."""
        if self._ramp is not None:
            self._ramp.cancel()
        self._reached = threading.Event()
        self._hold = _Hold(mm_per_s, deg_per_s, self.clock(), self.odometry.pose(),
                           distance, angle, self.acceleration)
        self._commands += 1
        first = self._hold.command(self.odometry.pose(), self.clock()) or (0.0, 0.0)
        left, right = self._wheel_rpms(*first)
        try:
            for motor, on_left in self._order:
                assert isinstance(motor, EncodedMotor)
                motor.hold(left if on_left else right)
        except Exception as exc:
            self._stop_after_failure("a failed wheel command")
            raise HardwareError(f"base {self.name!r}: wheel command failed ({exc}); "
                                "base stopped") from exc

    def _wheel_rpms(self, mm_per_s: float, deg_per_s: float) -> tuple[float, float]:
        """Each side's rpm for a body velocity, scaled down together to the top speed."""
        half = math.radians(deg_per_s) * self.width_mm / 2
        per_rpm = self.wheel_circumference_mm / 60
        left, right = (mm_per_s - half) / per_rpm, (mm_per_s + half) / per_rpm
        top = self.max_rpm or max(abs(left), abs(right), 1.0)
        scale = max(1.0, abs(left) / top, abs(right) / top)
        return left / scale, right / scale

    def _run(self) -> None:
        idle, woke, skipped = 0, time.monotonic(), False
        while not self._stopping.wait(self.period):
            now, late = time.monotonic(), time.monotonic() - woke > LATE_TICKS * self.period
            woke = now
            if late and not skipped:
                skipped = True  # the process was paused: wait for the encoders' late edges
                continue
            skipped = False
            if self._hold is None and not self._turning():
                idle = (idle + 1) % IDLE_SLOWDOWN
                if idle:
                    continue
            try:
                self._step()
            except TetherError as exc:
                log.warning("base %r: odometry step failed: %s", self.name, exc)
            except Exception:
                log.exception("base %r: odometry step failed", self.name)

    def _turning(self) -> bool:
        pose = self.odometry.pose()
        return pose.mm_per_s != 0.0 or pose.deg_per_s != 0.0

    def _track(self) -> Pose:
        """Read the wheels and move the pose on."""
        left = sum(m.position() for m in self.encoded_left) / len(self.encoded_left)
        right = sum(m.position() for m in self.encoded_right) / len(self.encoded_right)
        return self.odometry.update(self.clock(), left, right)

    def _step(self) -> None:
        pose = self._track()
        with self._lock:
            hold = self._hold
            if hold is None or self._closed:
                return
            wanted = hold.command(pose, self.clock())
            if wanted is None:
                self._reached.set()
                self._stop_locked()
                return
            left, right = self._wheel_rpms(*wanted)
            for motor, on_left in self._order:
                assert isinstance(motor, EncodedMotor)
                if not motor.hold_rpm(left if on_left else right):
                    log.warning("base %r: wheel %r stopped holding its speed; stopping the "
                                "base", self.name, motor.name)
                    self._motion.cancel()
                    self._stop_after_failure(f"wheel {motor.name!r} stopping")
                    return

    def _wheel_faulted(self, stop: FaultStop) -> None:
        """A wheel's stall check stopped it: stop the rest of the base (its moves end)."""
        self.faults.append(stop)
        del self.faults[:-100]
        self.fault_count += 1
        log.warning("base %r: stopping, wheel %r stopped (%s)", self.name, stop.motor,
                    stop.reason)
        self.stop()
