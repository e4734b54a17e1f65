"""The one thread that expires sessions at their deadlines and reports stops that overran.

It sleeps until the next deadline or stop timeout (never polls); the registry and the stopper
wake it when an earlier one is queued.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from tether.session.registry import SessionRegistry
from tether.session.stopper import Stopper


class Watchdog:
    """Expires due sessions, hands their stops to the stopper, and reports overdue stops."""

    def __init__(
        self, registry: SessionRegistry, stopper: Stopper, clock: Callable[[], float]
    ) -> None:
        self._registry = registry
        self._stopper = stopper
        self._clock = clock
        self._wake = threading.Condition()
        self._woken = False
        self._closed = False
        self._beat: Callable[[], None] | None = None
        self._beat_every = 0.0
        self._next_beat = 0.0
        self._thread = threading.Thread(
            target=self._watch, name="tether-session-watchdog", daemon=True
        )

    def start(self) -> None:
        """Start watching."""
        self._thread.start()

    def poke(self) -> None:
        """Look again now: an earlier deadline or timeout was queued."""
        with self._wake:
            self._woken = True
            self._wake.notify()

    def beat_every(self, seconds: float, beat: Callable[[], None]) -> None:
        """Call `beat` from this thread at least every `seconds`: proof for the guardian that the
        thread which expires sessions still runs (it then never sleeps longer than that)."""
        with self._wake:
            self._beat, self._beat_every, self._next_beat = beat, seconds, 0.0
            self._woken = True
            self._wake.notify()

    def close(self) -> None:
        """Stop watching (the thread leaves at its next look; join() waits for it)."""
        with self._wake:
            self._closed = True
            self._wake.notify()

    def join(self, timeout: float) -> None:
        """Wait up to `timeout` for the thread to leave (unless called from it)."""
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    def is_alive(self) -> bool:
        """Whether the watchdog thread still runs."""
        return self._thread.is_alive()

    def _watch(self) -> None:
        while True:
            with self._wake:
                if self._closed:
                    return
                self._woken = False
            self._send_beat()
            jobs = self._registry.collect_due(self._clock())
            overdue = self._stopper.collect_overdue(time.monotonic())
            if jobs or overdue:
                self._stopper.dispatch(jobs)
                for job in overdue:
                    self._stopper.report_timeout(job)
                continue
            wait = self._next_wait()
            with self._wake:
                if not self._woken and not self._closed:
                    self._wake.wait(wait)

    def _send_beat(self) -> None:
        """The guardian's beat, when one is due."""
        now = time.monotonic()
        if self._beat is not None and now >= self._next_beat:
            self._next_beat = now + self._beat_every
            self._beat()

    def _next_wait(self) -> float | None:
        """Seconds until the next deadline, stop timeout or beat; None when none is queued."""
        waits = []
        if self._beat is not None:
            waits.append(self._next_beat - time.monotonic())
        deadline = self._registry.next_deadline()
        if deadline is not None:
            waits.append(deadline - self._clock())
        timeout = self._stopper.next_timeout()
        if timeout is not None:
            waits.append(timeout - time.monotonic())
        return max(0.0, min(waits)) if waits else None
