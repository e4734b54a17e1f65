"""The lifecycle Motor and Base share: stop, close, timed moves, the stop after a failure, and
the stop a refused bus still owes.

As gpiozero's devices inherit GPIOBase, tether's actuators inherit ActuatorLifecycle, so what a
stop, a close or a cut-short move does is written once; subclasses supply the device writes.
"""

from __future__ import annotations

import logging
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import ClassVar, Self

from tether.drivers.motion import MotionSlot
from tether.errors import HardwareError, InvalidCommand, TetherError

log = logging.getLogger(__name__)

#: How long a stop refused by a bus that never says it is back (I2C) is retried in the background.
OWED_STOP_RETRY_SECONDS = 600.0
#: The pause between two of those retries.
OWED_STOP_RETRY_PERIOD = 0.05
#: How often a move that ends itself is looked at by its caller (its loop stops it on time).
MOVE_POLL_SECONDS = 0.005


class ActuatorLifecycle(ABC):
    """One device lock, at most one timed move, and a close that stops before it releases.

    Release happens in one of two hooks, for a reason each: a Motor releases inside its device
    lock (``_release_in_lock``), so no write interleaves with giving the hardware back, and
    because SerialMotor's keepalive waits on a Condition of that lock, which can only be
    notified with the lock held. A Base releases once the lock is free (``_release_after_lock``):
    its ramp thread takes the device lock for every step, so joining that thread with the lock
    held would wait out the join's timeout and leave the thread running.
    """

    #: The word errors and logs use for this actuator ("motor", "base").
    kind: ClassVar[str] = "actuator"

    def __init__(self, name: str) -> None:
        if not isinstance(name, str) or not name:
            raise InvalidCommand(f"{self.kind} name={name!r}: expected a non-empty string")
        self.name = name
        self._lock = threading.RLock()
        self._motion = MotionSlot()
        self._closed = False
        self._stops_asked = 0
        self._stops_asked_lock = threading.Lock()

    # -- what callers may rely on (the server reads both before every command) -------------

    @property
    def slow_io(self) -> bool:
        """True when a command can block for milliseconds (serial): callers on an event loop
        then run it in a thread, and bases stop such motors in parallel."""
        return False

    @property
    def command_locks(self) -> list[threading.RLock]:
        """The locks a command and a stop take, device lock first: all free means a command
        won't wait behind a stop in progress, and holding the first orders a command after it."""
        return [self._lock]

    @property
    def closed(self) -> bool:
        """True after close()."""
        return self._closed

    @property
    def stop_asked(self) -> bool:
        """True while a stop or close waits for the device lock or runs: a background resend
        that already holds the lock (SerialMotor's keepalive) must then not write."""
        return self._stops_asked > 0

    # -- the lifecycle ----------------------------------------------------------------------

    def stop(self) -> None:
        """Stop now and end any timed move; idempotent, and safe after close()."""
        self._note_stop(1)
        try:
            with self._lock:
                self._motion.cancel()
                if not self._closed:
                    self._stop_locked()
        finally:
            self._note_stop(-1)

    def close(self) -> None:
        """Stop, then release (also after a failed stop, whose error follows); idempotent."""
        self._note_stop(1)
        try:
            self._close()
        finally:
            self._note_stop(-1)

    def _close(self) -> None:
        closing = False
        try:
            with self._lock:
                if self._closed:
                    return
                closing = True
                self._motion.cancel()
                try:
                    self._stop_locked()
                finally:
                    self._closed = True
                    self._release_in_lock()
        finally:
            if closing:
                self._release_after_lock()

    def _note_stop(self, step: int) -> None:
        """Count a stop asked (+1, before it waits for the device lock) or done (-1)."""
        with self._stops_asked_lock:
            self._stops_asked += step

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- for subclasses: commands and timed moves -------------------------------------------

    def _command(self, write: Callable[[], None]) -> None:
        """Run a command that replaces whatever the actuator was doing, timed move included."""
        with self._lock:
            self._check_open()
            self._motion.cancel()
            write()

    def _stop_as_command(self) -> bool:
        """A move of zero (Viam's rule for a zero distance, angle or speed): stop, as a command."""
        self._command(self._stop_locked)
        return True

    def _run_timed(self, seconds: float, start: Callable[[], None]) -> bool:
        """Start a move, wait out its seconds, then stop unless stop() or a newer command took
        over; False if cut short. The wait is the caller's, so its cancellation (Ctrl-C, a
        cancelled task, a thread that goes away) stops the actuator too."""
        with self._lock:
            self._check_open()
            motion = self._motion.begin()
            start()
        completed = False
        try:
            completed = motion.wait(seconds)
        finally:
            with self._lock:
                if self._motion.current is motion:
                    self._motion.current = None
                    if not self._closed:
                        self._stop_locked()
        return completed

    def _run_until(self, seconds: float, start: Callable[[], threading.Event]) -> bool:
        """Start a move that ends itself (on an encoder's position, on odometry's distance):
        `start` (device lock held) returns the event its control loop sets once the goal is
        met. Wait for it at most `seconds`, then stop unless stop() or a newer command took
        over; False if cut short or out of time. Like _run_timed, the wait is the caller's."""
        with self._lock:
            self._check_open()
            motion = self._motion.begin()
            reached = start()
        deadline = time.monotonic() + seconds
        try:
            while not reached.wait(MOVE_POLL_SECONDS):
                if motion.cancelled:
                    break
                if time.monotonic() > deadline:
                    log.warning("%s %r: move not done after %.1f s; stopping", self.kind,
                                self.name, seconds)
                    break
        finally:
            with self._lock:
                if self._motion.current is motion:
                    self._motion.current = None
                    if not self._closed:
                        self._stop_locked()
        return reached.is_set() and not motion.cancelled

    def _stop_after_failure(self, failure: str) -> None:
        """Stop after `failure` (lock held); a stop that fails too is logged, not raised, so the
        caller reports the first failure."""
        try:
            self._stop_locked()
        except TetherError as exc:
            log.warning("%s %r: the stop after %s failed as well: %s", self.kind, self.name,
                        failure, exc)
        except Exception:
            log.exception("%s %r: the stop after %s failed as well", self.kind, self.name, failure)

    def _check_open(self) -> None:
        if self._closed:
            raise InvalidCommand(f"{self.kind} {self.name!r} is closed")

    # -- hooks ------------------------------------------------------------------------------

    @abstractmethod
    def is_moving(self) -> bool:
        """Whether the actuator is commanded to move now."""

    @abstractmethod
    def _stop_locked(self) -> None:
        """Stop every output now (device lock held); must not raise for 'already stopped'."""

    def _release_in_lock(self) -> None:  # noqa: B027 - optional hook
        """Release what must go with the device lock held (after the stop)."""

    def _release_after_lock(self) -> None:  # noqa: B027 - optional hook
        """Release what must go with the device lock free (threads that take it)."""


class OwedStop:
    """A stop the bus refused, still owed to the device: delivered as soon as it answers again.

    The backend marks the stop owed before it writes it (``owe``) and settled once the write
    that stops the motor lands, or a newer command does (``settle``). It also knows when the
    device may answer again: a serial port that reopens calls ``deliver``; an I2C bus gives no
    such sign, so ``keep_retrying`` polls from a thread of its own until the stop lands.
    """

    def __init__(self, name: str, send_stop: Callable[[], None]) -> None:
        self.name = name
        self.owed = False
        self._send_stop = send_stop
        self._retrier: threading.Thread | None = None

    def owe(self) -> None:
        """A stop is being written (or was refused): it is owed until it lands."""
        self.owed = True

    def settle(self) -> None:
        """The stop, or a newer command, reached the device: nothing is owed any more."""
        self.owed = False

    def deliver(self, when: str, *, quiet: bool = False) -> bool:
        """Send the owed stop now, if one is owed; True once nothing is owed."""
        if not self.owed:
            return True
        try:
            self._send_stop()
        except HardwareError as exc:
            if not quiet:
                log.warning("motor %r: owed stop still not delivered: %s", self.name, exc)
            return False
        self.owed = False
        log.warning("motor %r: owed stop delivered %s", self.name, when)
        return True

    def keep_retrying(self, lock: threading.RLock, closed: Callable[[], bool]) -> None:
        """Retry the owed stop under the device lock until it lands, is settled, the device is
        closed, or OWED_STOP_RETRY_SECONDS pass; without a thread to spare, the next stop or
        command is the retry."""
        if self._retrier is not None and self._retrier.is_alive():
            return
        retrier = threading.Thread(
            target=self._retry, args=(lock, closed), name=f"tether-owed-stop-{self.name}",
            daemon=True,
        )
        try:
            retrier.start()
        except RuntimeError as exc:  # the thread limit: the bus error is what the caller needs
            log.error("motor %r: no thread to retry the refused stop (%s); the next stop or "
                      "command retries it", self.name, exc)
            return
        self._retrier = retrier

    def _retry(self, lock: threading.RLock, closed: Callable[[], bool]) -> None:
        give_up = time.monotonic() + OWED_STOP_RETRY_SECONDS
        while time.monotonic() < give_up:
            time.sleep(OWED_STOP_RETRY_PERIOD)
            with lock:
                if closed() or self.deliver("once the bus answered", quiet=True):
                    return
        log.error("motor %r: stop still not delivered after %.0f s", self.name,
                  OWED_STOP_RETRY_SECONDS)
