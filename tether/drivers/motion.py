"""Blocking moves (go_for, move_straight, spin) that end when stopped, superseded or abandoned."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class TimedMove:
    """A validated blocking base move: drive at the velocity for `seconds`, then stop.

    0 seconds is Viam's rule for a zero distance, angle or speed: the base stops at once."""

    seconds: float
    mm_per_s: float = 0.0
    deg_per_s: float = 0.0


class Motion:
    """One timed move; cancelled by stop(), by a newer command, or by its caller's cancellation."""

    __slots__ = ("_cancelled",)

    def __init__(self) -> None:
        self._cancelled = threading.Event()

    def cancel(self) -> None:
        """End the wait early; the owner decides whether to stop the hardware."""
        self._cancelled.set()

    @property
    def cancelled(self) -> bool:
        """True once stop() or a newer command ended this move."""
        return self._cancelled.is_set()

    def wait(self, seconds: float) -> bool:
        """Sleep for the move's duration; True if it ran to the end, False if cancelled."""
        return not self._cancelled.wait(seconds)


class MotionSlot:
    """The at-most-one move in progress on a device; callers hold the device lock around use."""

    __slots__ = ("current",)

    def __init__(self) -> None:
        self.current: Motion | None = None

    def begin(self) -> Motion:
        """Cancel whatever move was running and start a new one."""
        self.cancel()
        self.current = Motion()
        return self.current

    def cancel(self) -> None:
        """Cancel the running move, if any."""
        if self.current is not None:
            self.current.cancel()
            self.current = None


async def run_blocking_move(move: Callable[[], bool], stop: Callable[[], None]) -> bool:
    """Run a blocking move in a worker thread; if the awaiting task is cancelled, stop first."""
    try:
        return await asyncio.to_thread(move)
    except asyncio.CancelledError:
        await asyncio.to_thread(stop)
        raise
