"""A motor with an encoder: closed-loop speed, moves that end on position, a stall watch.

Like Viam's encoded motor, EncodedMotor wraps the motor that drives the wheel: the wrapped one
still does the device writes (and its scaling, inversion and keepalive); this one measures the
shaft and decides what to write. A loop thread runs while the motor is driven: it holds the
speed (tether's PID for GPIO and HAT motors, or the controller's own velocity PID where there is
one), ends go_for/go_to at their position, and stops the motor when it stalls or runs away.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from tether.control.pid import PID, PidGains
from tether.control.stall import FaultStop, MotorFault, StallDetector, StallSettings
from tether.drivers.encoder import WheelEncoder
from tether.drivers.motor import Motor, MotorMove, MotorProperties
from tether.drivers.validate import (
    MAX_MOVE_SECONDS,
    check_duration,
    check_finite,
    check_number,
    check_option,
)
from tether.errors import HardwareError, InvalidCommand, TetherError

log = logging.getLogger(__name__)

FaultListener = Callable[[FaultStop], None]
#: A move's speed setpoint near its goal: the distance left covered in this many seconds.
APPROACH_SECONDS = 0.2
#: The slowest a move creeps to its goal, as a fraction of its speed (and at least 3 rpm).
CRAWL_FRACTION = 0.05
#: A move that ends on position gets its nominal time this many times over, plus GRACE_SECONDS.
TIME_ALLOWANCE = 3.0
GRACE_SECONDS = 2.0
#: A loop step this many periods late follows a pause of the whole process (a garbage
#: collection, a busy CPU): the edges delivered late would read as a slowed wheel, so that step
#: only re-times (one step at most: a loop that is always late still steers and judges).
LATE_TICKS = 3.0
#: tether's speed loop gains unless the config says otherwise (tuned on the simulated rover).
DEFAULT_GAINS = PidGains(kp=1.0, ki=10.0, kd=0.02)


@dataclass(frozen=True, slots=True)
class SpeedLoop:
    """How tether's own speed loop runs: PID gains on the speed error as a fraction of max_rpm
    (the command's max_rpm fraction is fed forward), the integral's clamp, the output limits,
    and the loop period in seconds."""

    gains: PidGains = DEFAULT_GAINS
    integral_limit: float = 0.5
    output_min: float = -1.0
    output_max: float = 1.0
    period: float = 0.02


@dataclass(frozen=True, slots=True)
class EncodedMove(MotorMove):
    """A go_for or go_to ended by the encoder: run at `rpm` (signed, toward the goal) until the
    position reaches `revolutions` from the start (go_for) or `position` (go_to). `seconds`
    bounds the move; None runs on at `rpm` (go_for with revolutions 0)."""

    rpm: float = 0.0
    revolutions: float | None = None
    position: float | None = None


@runtime_checkable
class HoldsSpeed(Protocol):
    """A controller that holds an encoder speed itself (a RoboClaw with qpps configured)."""

    @property
    def has_speed_loop(self) -> bool:
        """True when its speed loop is configured."""
        ...

    def hold_speed(self, counts_per_second: float) -> None:
        """Hold a signed speed in encoder counts per second (motor frame); 0 stops."""
        ...


class EncodedMotor(Motor):
    """`motor` with `encoder` on its shaft (in the motor's frame: `invert` flips both).

    ``set_rpm`` holds a speed closed loop; ``go_for`` and ``go_to`` end on the encoder's
    position (slowing for the last APPROACH_SECONDS of it); ``position()`` is in revolutions;
    ``is_moving()`` is true while powered or while the shaft turns. Every driven moment is
    watched: a stall (power with no turning, also a dead encoder) or a runaway stops the motor
    and is reported to the fault listeners as a FaultStop. ``controller_loop`` uses the motor's
    own speed loop (HoldsSpeed) instead of tether's PID.
    """

    def __init__(
        self,
        motor: Motor,
        encoder: WheelEncoder,
        *,
        loop: SpeedLoop | None = None,
        stall: StallSettings | None = None,
        controller_loop: bool = False,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        where = f"motor {motor.name!r}"
        if motor.max_rpm is None:
            raise InvalidCommand(f"{where} max_rpm=None: an encoded motor needs max_rpm (its "
                                 "speed at full power) for its speed loop")
        super().__init__(motor.name, max_power=motor.max_power, min_power=motor.min_power,
                         max_rpm=motor.max_rpm)
        self.invert = motor.invert
        self.slow_io = motor.slow_io  # as slow as the wrapped motor's writes
        self.motor, self.encoder = motor, encoder
        self.loop = loop or SpeedLoop()
        check_option(self.loop.period, f"{where} period", 0.001, 1.0)
        self._pid = PID(motor.name, self.loop.gains, integral_limit=self.loop.integral_limit,
                        output_min=self.loop.output_min, output_max=self.loop.output_max)
        self._stall = StallDetector(motor.name, stall)
        if controller_loop and not (isinstance(motor, HoldsSpeed) and motor.has_speed_loop):
            raise InvalidCommand(f"{where}: controller_loop needs a controller with its speed "
                                 "loop configured (a RoboClaw with qpps)")
        self._controller = motor if controller_loop and isinstance(motor, HoldsSpeed) else None
        self.clock = clock
        self._sign = -1.0 if motor.invert else 1.0
        self._setpoint: float | None = None  # closed-loop rpm, motor frame
        self._goal: float | None = None  # the position a move ends at
        self._reached = threading.Event()
        self._sent = 0.0  # the last power (or controller speed) written by the loop
        self._last_tick: float | None = None
        self._skipped = False
        self._listeners: list[FaultListener] = []
        self.fault: MotorFault | None = None
        self.faults = 0
        self._wake = threading.Condition(self._lock)
        self._thread: threading.Thread | None = None

    # -- what the wrapped motor says --------------------------------------------------------

    @property
    def command_locks(self) -> list[threading.RLock]:
        """This motor's lock, then the wrapped motor's."""
        return [self._lock, *self.motor.command_locks]

    def is_powered(self) -> tuple[bool, float]:
        """Whether power is applied, and the power (the loop's output while it holds speed)."""
        return self.motor.is_powered()

    # -- measurements -----------------------------------------------------------------------

    def position(self) -> float:
        """Revolutions from the zero position, + in the direction +power drives."""
        return self._sign * self.encoder.position() + 0.0

    def rpm(self) -> float:
        """The measured speed, + in the direction +power drives."""
        return self._sign * self.encoder.rpm() + 0.0

    def is_moving(self) -> bool:
        """True while powered, or while the shaft still turns (coasting, or pushed)."""
        if self.motor.is_powered()[0]:
            return True
        return abs(self.rpm()) > self._stall.settings.still_rpm

    def properties(self) -> MotorProperties:
        """An encoded motor reports its position."""
        return MotorProperties(position_reporting=True)

    def add_fault_listener(self, listener: FaultListener) -> None:
        """Call listener(FaultStop) after the stall check stops this motor (on its loop thread,
        with no lock held)."""
        self._listeners.append(listener)

    # -- commands ---------------------------------------------------------------------------

    def check_rpm(self, rpm: float) -> float:
        """Validate a set_rpm without applying it: finite, within +/- max_rpm."""
        top = self.max_rpm or 0.0
        return check_number(rpm, f"motor {self.name!r} set_rpm rpm", -top, top)

    def set_rpm(self, rpm: float) -> None:
        """Hold `rpm` closed loop until the next command (0 stops); cancels a move."""
        speed = self.check_rpm(rpm)
        self._command(lambda: self._drive_speed(speed, None))

    def hold(self, rpm: float) -> None:
        """Start holding `rpm` afresh, 0 included (a base starting its wheels: 0 is a speed to
        hold, not a stop); cancels a move and forgets a fault, as set_rpm does."""
        speed = self.check_rpm(rpm)
        self._command(lambda: self._drive_speed(speed, None, hold=True))

    def hold_rpm(self, rpm: float) -> bool:
        """Move the setpoint of a speed already held (a base's loop, every step) without
        starting afresh; False, and nothing written, if the motor no longer holds a speed (it
        was stopped: by a fault, a stop or another command)."""
        speed = check_finite(rpm, f"motor {self.name!r} hold_rpm rpm")
        top = self.max_rpm or 0.0
        with self._lock:
            if self._closed or self._setpoint is None or self._goal is not None:
                return False
            self._setpoint = max(-top, min(top, speed))
            return True

    def reset_zero_position(self, offset: float = 0.0) -> None:
        """Make the present place read -offset revolutions (Viam's ResetZeroPosition)."""
        turns = check_number(offset, f"motor {self.name!r} reset_zero_position offset",
                             -1e9, 1e9)
        self.encoder.reset_zero_position(self._sign * turns)

    def plan_go_for(self, rpm: float, revolutions: float) -> MotorMove:
        """Validate a go_for: Viam's rules (revolutions 0 runs on at rpm; the signs of rpm and
        revolutions together give the direction), ended by the encoder, not a timer."""
        where = f"motor {self.name!r} go_for"
        speed = check_finite(rpm, f"{where} rpm")
        turns = check_finite(revolutions, f"{where} revolutions")
        if speed == 0:
            return MotorMove(0.0, 0.0)
        top = self.max_rpm or 0.0
        check_number(rpm, f"{where} rpm", -top, top)
        if turns == 0:
            return EncodedMove(None, speed / top, rpm=speed)
        direction = math.copysign(1.0, speed * turns)
        seconds = self._allowance(abs(turns), abs(speed),
                                  f"{where} revolutions={revolutions!r} at rpm={rpm!r}")
        return EncodedMove(seconds, direction * abs(speed) / top, rpm=direction * abs(speed),
                           revolutions=direction * abs(turns))

    def plan_go_to(self, rpm: float, position: float) -> MotorMove:
        """Validate a go_to: to `position` revolutions from zero at |rpm| (its sign is
        ignored, as Viam's is); an rpm of 0 plans a stop."""
        where = f"motor {self.name!r} go_to"
        speed = abs(check_finite(rpm, f"{where} rpm"))
        goal = check_number(position, f"{where} position", -1e9, 1e9)
        if speed == 0:
            return MotorMove(0.0, 0.0)
        top = self.max_rpm or 0.0
        check_number(rpm, f"{where} rpm", -top, top)
        distance = abs(goal - self.position())
        seconds = self._allowance(distance, speed, f"{where} position={position!r} at "
                                                   f"rpm={rpm!r}")
        return EncodedMove(seconds, speed / top, rpm=speed, position=goal)

    def go_to(self, rpm: float, position: float) -> bool:
        """Turn to `position` revolutions from zero at |rpm|, then stop; False if cut short."""
        return self.perform(self.plan_go_to(rpm, position))

    def perform(self, move: MotorMove) -> bool:
        """Run a planned move: to its position (blocking), on at its rpm, or a stop. A move a
        stall or runaway ended raises HardwareError naming it."""
        if not isinstance(move, EncodedMove):
            return super().perform(move)
        if move.seconds is None:
            self.set_rpm(move.rpm)
            return True
        longest = MAX_MOVE_SECONDS * TIME_ALLOWANCE + GRACE_SECONDS
        check_number(move.seconds, f"motor {self.name!r} move seconds", 0.0, longest)
        if move.seconds == 0 or move.rpm == 0:
            return self._stop_as_command()
        faults = self.faults

        def start() -> threading.Event:
            here = self.position()
            goal = here + move.revolutions if move.revolutions is not None else move.position
            assert goal is not None
            self._drive_speed(math.copysign(abs(move.rpm), goal - here), goal)
            return self._reached

        done = self._run_until(move.seconds, start)
        if self.faults != faults and self.fault is not None:
            raise HardwareError(f"motor {self.name!r} stopped by its {self.fault.reason} "
                                f"check: {self.fault.detail}")
        return done

    # -- Motor hooks ------------------------------------------------------------------------

    def _apply(self, power: float) -> None:
        """Open loop: the wrapped motor at `power`, watched for a stall."""
        self._begin()
        if power == 0.0:
            self._stop_locked()
            return
        self.encoder.set_direction(self._sign * power)
        self.motor.set_power(power)
        self._power = power
        self._sent = power
        self._start_loop()

    def _write_duty(self, duty: float) -> None:
        self.motor.set_power(duty)

    def _stop_hw(self) -> None:
        self._setpoint = self._goal = None
        self._sent = 0.0
        self.motor.stop()

    def _release(self) -> None:
        self._wake.notify_all()  # the loop waits on the device lock: held here
        self.motor.close()

    def _release_after_lock(self) -> None:
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(2.0)

    # -- the loop -------------------------------------------------------------------------

    def _allowance(self, turns: float, rpm: float, where: str) -> float:
        """How long a move of `turns` at `rpm` may take before it is given up."""
        return check_duration(turns / rpm * 60.0, where) * TIME_ALLOWANCE + GRACE_SECONDS

    def _begin(self) -> None:
        """A new command: forget the last one's loop state and any fault (lock held)."""
        self._stall.reset()
        self._pid.reset()
        self.fault = None
        self._setpoint = self._goal = None
        self._reached = threading.Event()
        self._last_tick = None

    def _drive_speed(self, rpm: float, goal: float | None, *, hold: bool = False) -> None:
        """Hold `rpm` (toward `goal`, if a move), writing the first output now (lock held);
        0 stops unless `hold` keeps the loop holding it."""
        self._begin()
        if rpm == 0.0 and not hold:
            self._stop_locked()
            return
        self._setpoint, self._goal = rpm, goal
        self._write_speed(rpm, rpm / (self.max_rpm or 1.0))
        self._start_loop()

    def _write_speed(self, rpm: float, power: float) -> None:
        """The controller's speed command, or tether's loop output (lock held)."""
        if self._controller is not None:
            counts = rpm / 60.0 * self.encoder.ticks_per_revolution
            self._controller.hold_speed(counts)
            self._power, self._sent = rpm / (self.max_rpm or 1.0), rpm
            return
        self.encoder.set_direction(self._sign * power)
        self.motor.set_power(power)
        self._power, self._sent = power, power

    def _start_loop(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name=f"tether-loop-{self.name}",
                                            daemon=True)
            self._thread.start()
        self._wake.notify_all()

    def _driven(self) -> bool:
        return self._setpoint is not None or self._power != 0.0

    def _run(self) -> None:
        while True:
            report: FaultStop | None = None
            with self._lock:
                while not self._closed and not self._driven():
                    self._wake.wait()
                if self._closed:
                    return
                self._wake.wait(self.loop.period)
                if self._closed:
                    return
                if self._driven():
                    report = self._tick()
            if report is not None:
                self._report(report)

    def _tick(self) -> FaultStop | None:
        """One step of the loop (lock held): measure, steer, judge."""
        now = self.clock()
        dt = self.loop.period if self._last_tick is None else now - self._last_tick
        self._last_tick = now
        if dt > LATE_TICKS * self.loop.period and not self._skipped:
            self._skipped = True  # paused (a GC pass, a busy CPU): the edges are still coming
            return None
        self._skipped = False
        measured = self._measure()
        power, expected = self._power, self._power * (self.max_rpm or 0.0)
        if self._setpoint is not None:
            setpoint = self._approach(self._setpoint)
            if setpoint is None:
                self._reached.set()
                self._stop_locked()
                return None
            power, expected = self._steer(setpoint, measured, max(dt, 1e-3)), setpoint
        fault = self._stall.update(now, max(-1.0, min(1.0, power)), measured, expected)
        return None if fault is None else self._stop_for(fault)

    def _measure(self) -> float:
        """The shaft's speed; a failed read counts as a still shaft (a dead encoder stalls)."""
        try:
            return self.rpm()
        except TetherError as exc:
            log.warning("motor %r: encoder read failed: %s", self.name, exc)
            return 0.0

    def _approach(self, rpm: float) -> float | None:
        """The setpoint for a move near its goal (slower as it closes in); None once there."""
        if self._goal is None:
            return rpm
        ticks = self.encoder.ticks_per_revolution
        tolerance = max(2.0 / ticks, 0.001)
        try:
            left = (self._goal - self.position()) * math.copysign(1.0, rpm)
        except TetherError:
            return rpm
        if left <= tolerance:
            return None
        crawl = max(3.0, CRAWL_FRACTION * abs(rpm))
        return math.copysign(min(abs(rpm), max(crawl, left * 60.0 / APPROACH_SECONDS)), rpm)

    def _steer(self, setpoint: float, measured: float, dt: float) -> float:
        """Write what holds `setpoint`; returns the power the stall check judges."""
        top = self.max_rpm or 1.0
        if self._controller is not None:
            if abs(setpoint - self._sent) > 0.005 * top:
                self._write_speed(setpoint, setpoint / top)
            return setpoint / top
        out = self._pid.update(setpoint / top, measured / top, dt, feedforward=setpoint / top)
        if abs(out - self._sent) > 1e-4:
            self._write_speed(setpoint, out)
        return out

    def _stop_for(self, fault: MotorFault) -> FaultStop:
        """Stop (lock held) because of `fault`; the report the listeners get."""
        self.fault, self.faults = fault, self.faults + 1
        self._motion.cancel()
        error = None
        try:
            self._stop_locked()
        except Exception as exc:
            error = str(exc)
        return FaultStop(fault, self.clock(), error)

    def _report(self, stop: FaultStop) -> None:
        log.warning("%s", stop.describe())
        for listener in list(self._listeners):
            try:
                listener(stop)
            except Exception:
                log.exception("motor %r: fault listener %r raised", self.name, listener)
