"""The Motor base class: validation, scaling, locking and timed moves; backends write duty only."""

from __future__ import annotations

import logging
import math
from abc import abstractmethod
from dataclasses import dataclass
from typing import TypedDict

from tether.contract.properties import MotorProperties as MotorProperties  # noqa: PLC0414
from tether.drivers.actuator import ActuatorLifecycle
from tether.drivers.validate import check_duration, check_finite, check_number, check_option
from tether.errors import HardwareError, InvalidCommand, TetherError, Unsupported

log = logging.getLogger("tether.drivers")


class MotorTuning(TypedDict, total=False):
    """How a motor is tuned, whatever drives it: every Motor constructor takes these keywords
    (as ``**tuning: Unpack[MotorTuning]``) and hands them to Motor, which checks them."""

    invert: bool
    max_power: float
    min_power: float
    max_rpm: float | None


@dataclass(frozen=True, slots=True)
class MotorMove:
    """A validated go_for: `power` for `seconds`, then stop; None seconds runs on (Viam's
    revolutions 0); 0 seconds or power 0 stops at once."""

    seconds: float | None
    power: float


class Motor(ActuatorLifecycle):
    """A DC motor driven by signed power in [-1, 1]; subclasses implement the device writes.

    ``max_power`` scales the whole command range (power 1.0 becomes duty ``max_power``), so a
    6 V motor on a 12 V supply can be limited to 0.5. A duty below ``min_power`` is written as 0,
    since a motor that cannot turn at it would only hum. ``invert`` flips direction. ``max_rpm``
    (the motor's speed at full duty) enables open-loop ``go_for``. Backends take these four
    as MotorTuning keywords and pass them on untouched.
    """

    kind = "motor"
    #: True when a write can block for milliseconds (serial): bases stop such motors in parallel.
    slow_io = False

    def __init__(
        self,
        name: str,
        *,
        invert: bool = False,
        max_power: float = 1.0,
        min_power: float = 0.0,
        max_rpm: float | None = None,
    ) -> None:
        super().__init__(name)
        where = f"motor {name!r}"
        self.max_power = check_option(max_power, f"{where} max_power", 0.0, 1.0)
        if self.max_power == 0:
            raise InvalidCommand(f"{where} max_power=0: expected a number in (0, 1]")
        self.min_power = check_option(min_power, f"{where} min_power", 0.0, self.max_power)
        self.max_rpm = (
            None if max_rpm is None else check_option(max_rpm, f"{where} max_rpm", 1e-3, 1e6)
        )
        self.invert = bool(invert)
        self._power = 0.0

    # -- commands -------------------------------------------------------------------------

    def check_power(self, power: float) -> float:
        """Validate a set_power without applying it (callers check before they claim it)."""
        return check_number(power, f"motor {self.name!r} set_power power", -1.0, 1.0)

    def set_power(self, power: float) -> None:
        """Drive at signed power in [-1, 1] until the next command; cancels a timed move."""
        value = self.check_power(power)
        self._command(lambda: self._apply(value))

    def plan_go_for(self, rpm: float, revolutions: float) -> MotorMove:
        """Validate a go_for without moving (|rpm| <= max_rpm, at most MAX_MOVE_SECONDS).

        Viam's rules: revolutions 0 runs on at rpm (like set_rpm); tether plans rpm 0 as a
        stop, as a base's zero speed is, rather than refusing it and leaving the motor running.
        """
        where = f"motor {self.name!r} go_for"
        speed = check_finite(rpm, f"{where} rpm")
        turns = check_finite(revolutions, f"{where} revolutions")
        if speed == 0:
            return MotorMove(0.0, 0.0)
        if self.max_rpm is None:
            raise Unsupported(f"{where}: needs max_rpm (rpm at full power) to run open loop")
        check_number(rpm, f"{where} rpm", -self.max_rpm, self.max_rpm)
        if turns == 0:
            return MotorMove(None, speed / self.max_rpm)
        seconds = check_duration(
            abs(turns) / abs(speed) * 60.0, f"{where} revolutions={revolutions!r} at rpm={rpm!r}"
        )
        return MotorMove(seconds, math.copysign(abs(speed) / self.max_rpm, speed * turns))

    def go_for(self, rpm: float, revolutions: float) -> bool:
        """Turn `revolutions` at `rpm` (open loop: power = rpm / max_rpm), then stop.

        Blocks until done; returns False if stop(), a newer command or an exception in the
        caller (Ctrl-C, cancellation) ended it early, in which case the motor is stopped too
        unless a newer command took over. See plan_go_for for the zero rules.
        """
        return self.perform(self.plan_go_for(rpm, revolutions))

    def perform(self, move: MotorMove) -> bool:
        """Run a planned move: power for its seconds (blocking), on for good, or a stop."""
        if move.seconds is None:
            self.set_power(move.power)
            return True
        check_duration(move.seconds, f"motor {self.name!r} move of {move.seconds!r} s")
        power = self.check_power(move.power)
        if move.seconds == 0 or power == 0:
            return self._stop_as_command()
        return self._run_timed(move.seconds, lambda: self._apply(power))

    # -- state ----------------------------------------------------------------------------

    def is_powered(self) -> tuple[bool, float]:
        """Whether power is applied, and the commanded power in [-1, 1]."""
        power = self._power
        return power != 0.0, power

    def is_moving(self) -> bool:
        """True while power is applied (open loop: no encoder to say otherwise)."""
        return self._power != 0.0

    def position(self) -> float:
        """Revolutions from zero; only motors with an encoder have one."""
        raise Unsupported(f"motor {self.name!r} has no encoder to report position")

    def properties(self) -> MotorProperties:
        """What this motor supports."""
        return MotorProperties(position_reporting=False)

    def __repr__(self) -> str:
        state = "closed" if self._closed else f"power={self._power:+.3f}"
        return f"<{type(self).__name__} {self.name!r} {state}>"

    # -- for subclasses -------------------------------------------------------------------

    def _apply(self, power: float) -> None:
        duty = power * self.max_power
        if abs(duty) < self.min_power:
            duty = 0.0
        if self.invert:
            duty = -duty
        if duty == 0.0:
            self._stop_locked()
            return
        try:
            self._write_duty(duty)
        except TetherError:
            self._stop_after_failure("a failed write")
            raise
        except Exception as exc:
            self._stop_after_failure("a failed write")
            raise HardwareError(f"motor {self.name!r}: write failed: {exc}") from exc
        self._power = power

    def _stop_locked(self) -> None:
        self._power = 0.0
        self._stop_hw()

    def _release_in_lock(self) -> None:
        self._release()

    @abstractmethod
    def _write_duty(self, duty: float) -> None:
        """Put signed duty in [-max_power, max_power] (already inverted) on the hardware."""

    @abstractmethod
    def _stop_hw(self) -> None:
        """Drive every output of the motor inactive; must not raise for 'already stopped'."""

    @abstractmethod
    def _release(self) -> None:
        """Give the hardware back (after the motor is stopped)."""
