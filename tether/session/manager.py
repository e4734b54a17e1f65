"""The session manager: the one public face of the session layer's three parts.

    registry.py   which sessions are live, their deadlines, who owns each resource
    stopper.py    runs, retries, times out and reports the stops the registry hands out
    watchdog.py   the thread that expires sessions at their deadlines

The manager checks its arguments, wires the parts together and forwards to them.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from tether.contract.resource import Resource
from tether.errors import InvalidCommand
from tether.session.context import to_context
from tether.session.events import OwnershipChange, StopEvent
from tether.session.registry import SessionRegistry
from tether.session.session import MAX_WINDOW, MIN_WINDOW, Session, check_window
from tether.session.stopper import Resolver, Stopper
from tether.session.stops import StopJob
from tether.session.watchdog import Watchdog

__all__ = ["MAX_WINDOW", "MIN_WINDOW", "SessionManager", "check_window"]

log = logging.getLogger("tether.session")

StopListener = Callable[[StopEvent], None]
OwnershipListener = Callable[[OwnershipChange], None]


class SessionManager:
    """Live sessions, resource ownership and the watchdog that stops what expired sessions own.

    With the default real clock a watchdog thread expires sessions at their deadlines. With an
    injected manual clock pass ``watchdog=False`` and call ``expire_due()`` to drive expiry.
    """

    def __init__(
        self,
        resolve: Resolver | None = None,
        *,
        heartbeat_window: float = 2.0,
        stop_timeout: float = 1.0,
        max_sessions: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
        stop_attempts: int = 3,
        watchdog: bool = True,
    ) -> None:
        self.heartbeat_window = check_window(heartbeat_window)
        self.stop_timeout = _check_stop_timeout(stop_timeout)
        self.max_sessions = _check_max_sessions(max_sessions)
        self.stop_attempts = _check_stop_attempts(stop_attempts)
        self.clock = clock
        self._registry = SessionRegistry(self, clock, max_sessions)
        self._stopper = Stopper(
            resolve, holds=self._registry.holds, clock=clock,
            stop_timeout=self.stop_timeout, stop_attempts=stop_attempts,
        )
        self._watchdog: Watchdog | None = None
        if watchdog:
            self._watchdog = Watchdog(self._registry, self._stopper, clock)
            self._registry.wake_watchdog = self._watchdog.poke
            self._stopper.wake_watchdog = self._watchdog.poke
            self._watchdog.start()

    @property
    def watchdog(self) -> Watchdog | None:
        """The thread that expires sessions (None with an injected clock): the guardian's
        second proof of life."""
        return self._watchdog

    # -- sessions -------------------------------------------------------------------------

    def start(
        self, owner: str = "", heartbeat_window: float | None = None, resume: str | None = None
    ) -> Session:
        """Start a session (or resume `resume` if it is alive and owned by `owner`)."""
        window = self.heartbeat_window if heartbeat_window is None else check_window(
            heartbeat_window
        )
        session = self._registry.start(owner, window, resume)
        log.debug("session %s started (owner=%r, window=%ss)", session.id, owner,
                  session.heartbeat_window)
        return session

    def heartbeat(self, session_id: str, owner: str = "") -> Session:
        """Extend a live session by one window; unknown, lapsed or foreign ids raise."""
        return self._registry.heartbeat(session_id, owner)

    def get(self, session_id: str, owner: str = "") -> Session:
        """Return the live session with that id and owner, without heartbeating it."""
        return self._registry.get(session_id, owner)

    def sessions(self) -> list[Session]:
        """The sessions that are live now."""
        return self._registry.live()

    def end(self, session_id: str, owner: str | None = None) -> bool:
        """End a session now and stop what it owns; False if it was unknown, gone or foreign."""
        jobs = self._ended(session_id, owner)
        if jobs is None:
            return False
        self._stop(jobs)
        return True

    def end_soon(self, session_id: str) -> bool:
        """End a session now and start its stops without waiting for them: for a caller that
        must not block (the event loop). Overruns are reported by the watchdog, when running."""
        jobs = self._ended(session_id, None)
        if jobs is None:
            return False
        self._stopper.dispatch(jobs)
        return True

    def _ended(self, session_id: str, owner: str | None) -> list[StopJob] | None:
        """Remove the session: the stops it owes, or None if it was unknown, gone or foreign."""
        jobs = self._registry.end(session_id, owner)
        if jobs is not None:
            log.debug("session %s ended", session_id)
        return jobs

    @contextmanager
    def session(
        self, owner: str = "", heartbeat_window: float | None = None
    ) -> Iterator[Session]:
        """Start a session, put it in the context, and end it on leaving (also on exceptions)."""
        session = self.start(owner=owner, heartbeat_window=heartbeat_window)
        try:
            with to_context(session):
                yield session
        finally:
            self.end(session.id)

    # -- ownership ------------------------------------------------------------------------

    def associate(
        self,
        session_id: str | None,
        name: str,
        resource: Resource | None = None,
        *,
        owner: str | None = None,
    ) -> None:
        """Make the session the owner of `name` (last monitor wins); None releases ownership.

        Given the caller's key (`owner`), a release is refused with OwnedByAnotherKey while a
        live session of a different key owns `name`: one key may not disarm another's safety.
        A live session that loses `name` is recorded and reported to ownership listeners.
        """
        if session_id is not None and resource is None:
            self._stopper.check_resolvable(name)
        self._registry.associate(session_id, name, resource, owner)

    def check_release(self, name: str, owner: str) -> None:
        """Raise OwnedByAnotherKey if a sessionless call with this key may not take `name` over
        now (the same rule associate(None, ...) applies; checked early, before any work)."""
        self._registry.check_release(name, owner)

    def owns(self, session_id: str, name: str) -> bool:
        """Whether that live session is the owner of `name` right now."""
        return self._registry.owns(session_id, name)

    def owner_of(self, name: str) -> Session | None:
        """The live session that owns `name`, if any."""
        return self._registry.owner_of(name)

    # -- observability --------------------------------------------------------------------

    def add_listener(self, listener: StopListener) -> None:
        """Call listener with every StopEvent (from a stop worker thread)."""
        self._stopper.events.add(listener)

    def remove_listener(self, listener: StopListener) -> None:
        """Stop calling listener."""
        self._stopper.events.remove(listener)

    def add_ownership_listener(self, listener: OwnershipListener) -> None:
        """Call listener with every OwnershipChange (on the thread that moved ownership: be quick
        and never block)."""
        self._registry.changes.add(listener)

    def remove_ownership_listener(self, listener: OwnershipListener) -> None:
        """Stop calling listener."""
        self._registry.changes.remove(listener)

    def recent_ownership_changes(self) -> list[OwnershipChange]:
        """The last 256 times a live session lost a resource, oldest first."""
        return self._registry.changes.recent()

    def recent_stops(self) -> list[StopEvent]:
        """The last 256 stop reports, oldest first."""
        return self._stopper.events.recent()

    @property
    def stop_workers(self) -> int:
        """Stop worker threads alive (grows only while stops block)."""
        return self._stopper.workers

    # -- expiry ---------------------------------------------------------------------------

    def expire_due(self) -> list[StopEvent]:
        """Expire every session whose deadline has passed and wait (bounded) for the stops."""
        jobs = self._registry.collect_due(self.clock())
        self._stop(jobs)
        return [job.final for job in jobs if job.final is not None]

    def close(self) -> None:
        """Stop everything any live session owns, end all sessions, stop the watchdog."""
        jobs = self._registry.close()
        if jobs is None:
            return
        if self._watchdog is not None:
            self._watchdog.close()
        self._stop(jobs)
        if self._watchdog is not None:
            self._watchdog.join(self.stop_timeout)
        self._stopper.close()

    def __enter__(self) -> SessionManager:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _stop(self, jobs: list[StopJob]) -> None:
        """Start every stop at once, then wait for them (bounded by stop_timeout)."""
        self._stopper.dispatch(jobs)
        self._stopper.wait(jobs)


def _check_stop_timeout(stop_timeout: float) -> float:
    if not (isinstance(stop_timeout, int | float) and 0 < stop_timeout <= 60):
        raise InvalidCommand(f"stop_timeout={stop_timeout!r}: expected seconds in (0, 60]")
    return float(stop_timeout)


def _check_max_sessions(max_sessions: int) -> int:
    if isinstance(max_sessions, bool) or not isinstance(max_sessions, int) or max_sessions < 1:
        raise InvalidCommand(f"max_sessions={max_sessions!r}: expected an integer >= 1")
    return max_sessions


def _check_stop_attempts(stop_attempts: int) -> int:
    if (isinstance(stop_attempts, bool) or not isinstance(stop_attempts, int)
            or not 1 <= stop_attempts <= 10):
        raise InvalidCommand(f"stop_attempts={stop_attempts!r}: expected an integer in [1, 10]")
    return stop_attempts
