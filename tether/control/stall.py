"""Stall and runaway: a wheel driven hard that does not turn, or turns far faster than asked."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from tether.contract.checks import check_finite, check_number
from tether.control.pid import check_gain
from tether.errors import InvalidCommand

Reason = Literal["stall", "runaway"]


@dataclass(frozen=True, slots=True)
class StallSettings:
    """When a driven wheel counts as stalled or running away (rpm at the motor shaft).

    stall: |power| >= ``stall_power`` with |speed| <= ``still_rpm`` for ``stall_seconds``
    (a dead encoder reads 0 rpm, so it stalls too: the two cannot be told apart). A decoder's
    speed falls under ``still_rpm`` after 60 / (ticks_per_revolution * still_rpm) s without an
    edge, or its speed_timeout, whichever is first: that adds to ``stall_seconds``.
    runaway: |speed| > ``runaway_ratio`` * |expected| + ``runaway_margin_rpm``, or turning
    against the expected direction faster than the margin, for ``runaway_seconds``.
    """

    stall_power: float = 0.2
    still_rpm: float = 2.0
    stall_seconds: float = 1.0
    runaway_ratio: float = 1.5
    runaway_margin_rpm: float = 10.0
    runaway_seconds: float = 1.0

    def checked(self, where: str) -> StallSettings:
        """These settings if every value is sane, else InvalidCommand naming the bad one."""
        check_number(self.stall_power, f"{where} stall_power", 0.0, 1.0)
        for key in ("still_rpm", "runaway_margin_rpm"):
            check_gain(getattr(self, key), f"{where} {key}")
        for key in ("stall_seconds", "runaway_seconds"):
            check_number(getattr(self, key), f"{where} {key}", 0.01, 600.0)
        check_number(self.runaway_ratio, f"{where} runaway_ratio", 1.0, 1000.0)
        return self


@dataclass(frozen=True, slots=True)
class MotorFault:
    """Why a motor must stop, for the stop event: its name, the reason and what was seen."""

    motor: str
    reason: Reason
    since: float
    detail: str


class StallDetector:
    """Watches one motor: feed ``update`` every control step; it returns a MotorFault once a
    condition has held for its time, and keeps returning it until ``reset`` (after the stop)."""

    def __init__(self, motor: str, settings: StallSettings | None = None) -> None:
        self.motor = motor
        self.settings = (settings or StallSettings()).checked(f"motor {motor!r}")
        self.fault: MotorFault | None = None
        self._stall_since: float | None = None
        self._runaway_since: float | None = None

    def reset(self) -> None:
        """Forget the fault and the timers (the motor was stopped, or commanded anew)."""
        self.fault = None
        self._stall_since = self._runaway_since = None

    def update(
        self, now: float, power: float, measured_rpm: float, expected_rpm: float | None = None
    ) -> MotorFault | None:
        """Judge one sample: commanded `power` in [-1, 1], the measured speed, and the speed
        the command asks for (None when unknown: open loop with no max_rpm)."""
        where = f"motor {self.motor!r} stall check"
        at = check_finite(now, f"{where} time")
        check_number(power, f"{where} power", -1.0, 1.0)
        rpm = check_finite(measured_rpm, f"{where} measured_rpm")
        if expected_rpm is not None:
            check_finite(expected_rpm, f"{where} expected_rpm")
        if self.fault is not None:
            return self.fault
        self.fault = self._stall(at, power, rpm) or self._runaway(at, rpm, expected_rpm)
        return self.fault

    def _stall(self, now: float, power: float, rpm: float) -> MotorFault | None:
        s = self.settings
        if abs(power) < s.stall_power or abs(rpm) > s.still_rpm:
            self._stall_since = None
            return None
        since = now if self._stall_since is None else self._stall_since
        self._stall_since = since
        if now - since < s.stall_seconds:
            return None
        return MotorFault(
            self.motor, "stall", since,
            f"power {power:+.2f} for {now - since:.2f} s with {rpm:+.1f} rpm "
            f"(|rpm| <= {s.still_rpm:g}: stalled wheel or dead encoder)",
        )

    def _runaway(self, now: float, rpm: float, expected: float | None) -> MotorFault | None:
        s = self.settings
        if expected is None or not self._running_away(rpm, expected):
            self._runaway_since = None
            return None
        since = now if self._runaway_since is None else self._runaway_since
        self._runaway_since = since
        if now - since < s.runaway_seconds:
            return None
        return MotorFault(
            self.motor, "runaway", since,
            f"{rpm:+.1f} rpm for {now - since:.2f} s against {expected:+.1f} rpm expected",
        )

    def _running_away(self, rpm: float, expected: float) -> bool:
        s = self.settings
        too_fast = abs(rpm) > s.runaway_ratio * abs(expected) + s.runaway_margin_rpm
        wrong_way = rpm * expected < 0 and abs(rpm) > s.runaway_margin_rpm
        return too_fast or wrong_way


def expected_rpm(power: float, max_rpm: float | None) -> float | None:
    """The speed an open-loop power asks for, when the motor's max_rpm is known."""
    if max_rpm is None:
        return None
    if not math.isfinite(max_rpm) or max_rpm <= 0:
        raise InvalidCommand(f"max_rpm={max_rpm!r}: expected a finite number > 0")
    return power * max_rpm


@dataclass(frozen=True, slots=True)
class FaultStop:
    """A motor its stall or runaway check stopped: the stop event the daemon's Status and log
    show, beside the session layer's (which it leaves alone)."""

    fault: MotorFault
    #: When the stop was written (the motor's clock), and what went wrong if it failed.
    stopped: float
    error: str | None = None

    @property
    def motor(self) -> str:
        """The motor that stopped."""
        return self.fault.motor

    @property
    def reason(self) -> Reason:
        """'stall' or 'runaway'."""
        return self.fault.reason

    @property
    def delay(self) -> float:
        """Seconds from the moment the condition began until the motor was stopped."""
        return self.stopped - self.fault.since

    def describe(self) -> str:
        """One line, as logged and shown by `tether status`."""
        outcome = "stopped" if self.error is None else f"stop failed ({self.error})"
        return (f"motor {self.motor!r} {outcome} ({self.reason}) {self.delay:.2f} s after it "
                f"began: {self.fault.detail}")
