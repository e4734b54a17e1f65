"""What every wheel encoder decoder shares: a count that never saturates, revolutions, speed."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from tether.contract.checks import check_number
from tether.encoders.speed import EdgeSpeed
from tether.errors import InvalidCommand

#: pigpio reports this level when a watchdog fires on a pin: no edge happened.
WATCHDOG_LEVEL = 2


@dataclass(frozen=True, slots=True)
class EncoderReading:
    """One consistent look at an encoder: every field taken under the same lock."""

    ticks: int
    revolutions: float
    rpm: float
    illegal: int
    missed: int


def check_positive(value: object, where: str) -> float:
    """A finite number > 0, else InvalidCommand naming it."""
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or value <= 0
    ):
        raise InvalidCommand(f"{where}={value!r}: expected a finite number > 0")
    return float(value)


def check_level(level: object, where: str) -> int:
    """0 or 1 (2, pigpio's watchdog report, is passed through for the caller to ignore)."""
    if isinstance(level, bool) or not isinstance(level, int) or level not in (0, 1, WATCHDOG_LEVEL):
        raise InvalidCommand(f"{where} level={level!r}: expected 0 or 1 (2: watchdog)")
    return level


class EdgeCounter:
    """A decoder's count, zero and speed, behind one lock (edges arrive on the pin library's
    callback thread while the motor and the API read from theirs).

    ``ticks_per_revolution`` is in counted edges (a quadrature decoder counts four per cycle of
    a channel). ``delivery_delay`` is how late the pin library may hand over an edge: a silence
    shorter than it never reads as a slowing wheel. ``position()`` follows Viam's encoded
    motor: ``reset_zero_position(offset)`` makes the current place read ``-offset`` revolutions.
    """

    def __init__(
        self,
        name: str,
        *,
        ticks_per_revolution: float,
        speed_timeout: float = 0.5,
        delivery_delay: float = 0.02,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        where = f"encoder {name!r}"
        self.name = name
        self.ticks_per_revolution = check_positive(
            ticks_per_revolution, f"{where} ticks_per_revolution"
        )
        timeout = check_number(speed_timeout, f"{where} speed_timeout", 0.001, 60.0)
        self._lock = threading.Lock()
        self._ticks = 0
        self._offset_ticks = 0.0
        self._illegal = 0
        self._missed = 0
        delay = check_number(delivery_delay, f"{where} delivery_delay", 0.0, 10.0)
        self._speed = EdgeSpeed(timeout_s=timeout, clock=clock, min_silence_s=delay)

    @property
    def illegal(self) -> int:
        """Transitions where both quadrature channels changed at once (direction unknown)."""
        return self._illegal

    @property
    def missed(self) -> int:
        """Reports of a level the channel already had: an edge between them was lost."""
        return self._missed

    def ticks(self) -> int:
        """Counted edges since the last reset (Viam's Encoder position in ticks)."""
        return self._ticks

    def position(self) -> float:
        """Revolutions from the zero position."""
        with self._lock:
            return self._revolutions()

    def rpm(self, now_tick_us: int | None = None) -> float:
        """Signed revolutions per minute from the edge timestamps (0 once edges stop)."""
        with self._lock:
            return self._rpm(now_tick_us)

    def reading(self, now_tick_us: int | None = None) -> EncoderReading:
        """Ticks, revolutions, rpm and error counts, all from the same instant."""
        with self._lock:
            return EncoderReading(
                self._ticks, self._revolutions(), self._rpm(now_tick_us),
                self._illegal, self._missed,
            )

    def reset_position(self) -> None:
        """Make the count 0 (Viam's Encoder ResetPosition); the zero offset goes too."""
        self.reset_zero_position(0.0)

    def reset_zero_position(self, offset: float = 0.0) -> None:
        """Make the current place the zero, +/- offset (Viam: position() then reads -offset)."""
        turns = check_number(offset, f"encoder {self.name!r} reset_zero_position offset",
                             -1e9, 1e9)
        with self._lock:
            self._ticks = 0
            self._offset_ticks = -turns * self.ticks_per_revolution
            self._speed.restart()

    def _revolutions(self) -> float:
        return (self._ticks + self._offset_ticks) / self.ticks_per_revolution

    def _rpm(self, now_tick_us: int | None) -> float:
        return self._speed.ticks_per_second(now_tick_us) / self.ticks_per_revolution * 60.0

    def _count(self, step: int, tick_us: int) -> None:
        """Add a counted step (lock held) and time it."""
        self._ticks += step
        self._speed.edge(tick_us, self._ticks)
