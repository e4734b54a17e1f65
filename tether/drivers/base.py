"""Mobile bases: the Base class (validation, timed moves) and the differential base over motors."""

from __future__ import annotations

import math
import threading
from abc import abstractmethod
from collections.abc import Sequence

from tether.contract.properties import BaseProperties as BaseProperties  # noqa: PLC0414
from tether.drivers.actuator import ActuatorLifecycle
from tether.drivers.motion import TimedMove
from tether.drivers.motor import Motor, log
from tether.drivers.parallel_stop import ParallelStopper
from tether.drivers.ramp import PowerRamp
from tether.drivers.validate import check_duration, check_finite, check_number, check_option
from tether.errors import HardwareError, InvalidCommand, Unsupported


class Base(ActuatorLifecycle):
    """A mobile base: +linear drives forward, +angular turns left; subclasses move the wheels."""

    kind = "base"

    def check_power(self, linear: float, angular: float) -> tuple[float, float]:
        """Validate a set_power without applying it (callers check before they claim the base)."""
        where = f"base {self.name!r} set_power"
        lin = check_number(linear, f"{where} linear", -1.0, 1.0)
        return lin, check_number(angular, f"{where} angular", -1.0, 1.0)

    def set_power(self, linear: float, angular: float) -> None:
        """Drive at linear and angular power, each in [-1, 1]; cancels a timed move."""
        lin, ang = self.check_power(linear, angular)
        self._command(lambda: self._drive_power(lin, ang))

    def check_velocity(self, mm_per_s: float, deg_per_s: float) -> tuple[float, float]:
        """Validate a set_velocity against the base's top speeds, without applying it."""
        where = f"base {self.name!r} set_velocity"
        max_speed, max_spin = self._velocity_limits(where)
        speed = check_number(mm_per_s, f"{where} mm_per_s", -max_speed, max_speed)
        return speed, check_number(deg_per_s, f"{where} deg_per_s", -max_spin, max_spin)

    def set_velocity(self, mm_per_s: float, deg_per_s: float) -> None:
        """Drive at a linear (mm/s) and angular (deg/s, +left) velocity; cancels a timed move."""
        speed, spin = self.check_velocity(mm_per_s, deg_per_s)
        self._command(lambda: self._drive_velocity(speed, spin))

    def plan_straight(self, distance_mm: float, mm_per_s: float) -> TimedMove:
        """Validate a move_straight (top speed, at most MAX_MOVE_SECONDS) without moving;
        a distance or speed of 0 plans a stop, as Viam's Base API documents."""
        seconds, speed = self._plan("move_straight", "distance_mm", distance_mm,
                                    "mm_per_s", mm_per_s, top=0)
        return TimedMove(seconds, mm_per_s=speed)

    def plan_spin(self, angle_deg: float, deg_per_s: float) -> TimedMove:
        """Validate a spin without moving; an angle or rate of 0 plans a stop (Viam's rule)."""
        seconds, rate = self._plan("spin", "angle_deg", angle_deg, "deg_per_s", deg_per_s, top=1)
        return TimedMove(seconds, deg_per_s=rate)

    def _plan(
        self, command: str, amount_key: str, amount: float, rate_key: str, rate: float, *, top: int
    ) -> tuple[float, float]:
        """(seconds, signed rate) to cover `amount` at `rate` within the base's `top` velocity
        limit (0: linear, 1: angular); (0, 0), a stop, when either is 0."""
        where = f"base {self.name!r} {command}"
        size = check_finite(amount, f"{where} {amount_key}")
        speed = check_finite(rate, f"{where} {rate_key}")
        if size == 0 or speed == 0:
            return 0.0, 0.0
        limit = self._velocity_limits(where)[top]
        check_number(rate, f"{where} {rate_key}", -limit, limit)
        seconds = check_duration(
            abs(size / speed), f"{where} {amount_key}={amount!r} at {rate_key}={rate!r}"
        )
        return seconds, math.copysign(abs(speed), size * speed)

    def move_straight(self, distance_mm: float, mm_per_s: float) -> bool:
        """Drive distance_mm (negative: backwards) at mm_per_s, then stop; False if cut short.

        A distance or speed of 0 stops the base at once (Viam's Base API)."""
        return self.perform(self.plan_straight(distance_mm, mm_per_s))

    def spin(self, angle_deg: float, deg_per_s: float) -> bool:
        """Turn in place by angle_deg (+left) at deg_per_s, then stop; False if cut short.

        An angle or rate of 0 stops the base at once (Viam's Base API)."""
        return self.perform(self.plan_spin(angle_deg, deg_per_s))

    def perform(self, move: TimedMove) -> bool:
        """Run a planned move (blocks); False if stop(), a newer command or the caller's
        cancellation cut it short. A move of 0 seconds stops the base."""
        check_duration(move.seconds, f"base {self.name!r} move of {move.seconds!r} s")
        if move.seconds > 0:
            return self._run_timed(
                move.seconds, lambda: self._drive_velocity(move.mm_per_s, move.deg_per_s)
            )
        return self._stop_as_command()

    @abstractmethod
    def is_moving(self) -> bool:
        """True while any wheel is powered."""

    @abstractmethod
    def properties(self) -> BaseProperties:
        """The base's geometry."""

    @abstractmethod
    def _velocity_limits(self, where: str) -> tuple[float, float]:
        """(max mm/s, max deg/s), or Unsupported if the base cannot do velocity."""

    @abstractmethod
    def _drive_power(self, linear: float, angular: float) -> None:
        """Apply validated powers (lock held)."""

    @abstractmethod
    def _drive_velocity(self, mm_per_s: float, deg_per_s: float) -> None:
        """Apply a validated velocity (lock held)."""

    @abstractmethod
    def _stop_hw(self) -> None:
        """Stop every wheel immediately (lock held)."""

    def _release(self) -> None:
        """Release anything the base holds besides its motors (device lock free)."""

    def _stop_locked(self) -> None:
        self._stop_hw()

    def _release_after_lock(self) -> None:
        self._release()


def _normalized(left: float, right: float) -> tuple[float, float]:
    """Scale both wheels down together so neither exceeds 1, keeping the arc's curvature."""
    scale = max(1.0, abs(left), abs(right))
    return (max(-1.0, min(1.0, left / scale)), max(-1.0, min(1.0, right / scale)))


class DifferentialBase(Base):
    """Wheeled or skid-steer base: a list of motors per side, all on a side driven alike.

    Mixing: left = linear - angular, right = linear + angular, scaled down together when either
    exceeds 1. Velocity commands need ``max_rpm`` (given, or the smallest of the motors'), from
    which the top speed is ``max_rpm * wheel_circumference_mm / 60``. ``max_acceleration``
    (power per second) ramps commands; stop() is always immediate. Closing the base stops it
    but leaves the motors open (they are resources of their own).
    """

    def __init__(
        self,
        name: str,
        left: Sequence[Motor],
        right: Sequence[Motor],
        *,
        width_mm: float,
        wheel_circumference_mm: float,
        max_rpm: float | None = None,
        max_acceleration: float | None = None,
    ) -> None:
        super().__init__(name)
        where = f"base {name!r}"
        if not left or not right:
            raise InvalidCommand(f"{where}: expected at least one motor on each side")
        self.left = list(left)
        self.right = list(right)
        self.width_mm = check_option(width_mm, f"{where} width_mm", 1.0, 1e5)
        self.wheel_circumference_mm = check_option(
            wheel_circumference_mm, f"{where} wheel_circumference_mm", 1.0, 1e5
        )
        rpms = [m.max_rpm for m in self.motors]
        if max_rpm is not None:
            self.max_rpm: float | None = check_option(max_rpm, f"{where} max_rpm", 1e-3, 1e6)
        else:
            known = [r for r in rpms if r is not None]
            self.max_rpm = min(known) if len(known) == len(rpms) else None
        self._ramp: PowerRamp | None = None
        if max_acceleration is not None:
            rate = check_option(max_acceleration, f"{where} max_acceleration", 0.01, 1000.0)
            self._ramp = PowerRamp(self._write_wheels, rate, self._lock, on_error=self._ramp_failed)
        sides = [(m, True) for m in self.left], [(m, False) for m in self.right]
        self._order = [m for pair in zip(*sides, strict=False) for m in pair]
        self._order += [m for m in (*sides[0], *sides[1]) if m not in self._order]
        self._commands = 0
        self._stopper = ParallelStopper([m for m, _ in self._order], lambda: self._commands)

    @property
    def motors(self) -> list[Motor]:
        """Every motor, left side first."""
        return [*self.left, *self.right]

    @property
    def slow_io(self) -> bool:
        """Slow if any of its motors is."""
        return any(m.slow_io for m in self.motors)

    @property
    def command_locks(self) -> list[threading.RLock]:
        """The base's lock and its motors': all free means a command won't wait on a stop."""
        return [self._lock, *(lock for m in self.motors for lock in m.command_locks)]

    @property
    def max_speed_mm_s(self) -> float | None:
        """Top linear speed, from max_rpm and the wheel circumference."""
        return None if self.max_rpm is None else self.max_rpm * self.wheel_circumference_mm / 60

    def wheel_powers(self) -> tuple[float, float]:
        """The (left, right) power last applied (mid-ramp when ramping)."""
        if self._ramp is not None:
            return self._ramp.current
        return self.left[0].is_powered()[1], self.right[0].is_powered()[1]

    def is_moving(self) -> bool:
        """True while any motor is powered."""
        return any(m.is_moving() for m in self.motors)

    def properties(self) -> BaseProperties:
        """Width, turning radius (0: turns in place) and wheel circumference, in meters."""
        return BaseProperties(self.width_mm / 1000, 0.0, self.wheel_circumference_mm / 1000)

    def _velocity_limits(self, where: str) -> tuple[float, float]:
        top = self.max_speed_mm_s
        if top is None:
            raise Unsupported(f"{where}: needs max_rpm (on the base or every motor)")
        return top, math.degrees(top / (self.width_mm / 2))

    def _drive_power(self, linear: float, angular: float) -> None:
        self._set_wheels(*_normalized(linear - angular, linear + angular))

    def _drive_velocity(self, mm_per_s: float, deg_per_s: float) -> None:
        top, _ = self._velocity_limits(f"base {self.name!r}")
        half_track = math.radians(deg_per_s) * self.width_mm / 2
        self._set_wheels(*_normalized((mm_per_s - half_track) / top, (mm_per_s + half_track) / top))

    def _set_wheels(self, left: float, right: float) -> None:
        if self._ramp is not None:
            self._ramp.set_target(left, right)
        else:
            self._write_wheels(left, right)

    def _write_wheels(self, left: float, right: float) -> None:
        self._commands += 1
        for motor, on_left in self._order:
            try:
                motor.set_power(left if on_left else right)
            except Exception as exc:
                self._stop_after_failure(f"a failed write to motor {motor.name!r}")
                raise HardwareError(
                    f"base {self.name!r}: motor {motor.name!r} failed ({exc}); base stopped"
                ) from exc

    def _note_stop(self, step: int) -> None:
        """A base's stop is asked of every wheel too, before it waits for the base's lock: a
        wheel's keepalive holds back from then on, not only once the wheel's own stop begins."""
        super()._note_stop(step)
        for motor in self.motors:
            motor._note_stop(step)

    def _ramp_failed(self, exc: Exception) -> None:
        log.error("base %r: ramp step failed (%s); stopping", self.name, exc)
        self._stop_after_failure("a failed ramp step")

    def _stop_hw(self) -> None:
        if self._ramp is not None:
            self._ramp.cancel()
        errors = self._stopper.stop_all()
        if errors:
            raise HardwareError(f"base {self.name!r}: stop failed for {'; '.join(errors)}")

    def _release(self) -> None:
        self._stopper.close()
        if self._ramp is not None:
            self._ramp.close()
