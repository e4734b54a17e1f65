"""The session manager: tracks live sessions and who owns which resource, and stops on expiry."""

from __future__ import annotations

import functools
import heapq
import hmac
import itertools
import logging
import math
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from tether.drivers.resource import Resource
from tether.errors import (
    InvalidCommand,
    ManagerClosed,
    OwnedByAnotherKey,
    SessionExpired,
    TooManySessions,
    UnknownResource,
)
from tether.session.context import to_context
from tether.session.events import OwnershipChange, StopEvent, StopOutcome, StopReason
from tether.session.pool import StopPool
from tether.session.session import Session
from tether.session.stops import StopJob

log = logging.getLogger("tether.session")

MIN_WINDOW = 0.03
MAX_WINDOW = 60.0
_RETRY_BACKOFF = 0.01

Resolver = Callable[[str], Resource | None]
StopListener = Callable[[StopEvent], None]
OwnershipListener = Callable[[OwnershipChange], None]


def check_window(window: float, what: str = "heartbeat_window") -> float:
    """Return window as a float if it lies in [30 ms, 60 s]; raise InvalidCommand naming it."""
    if isinstance(window, bool) or not isinstance(window, int | float):
        raise InvalidCommand(f"{what}={window!r}: expected seconds in [0.03, 60]")
    value = float(window)
    if not math.isfinite(value) or not MIN_WINDOW <= value <= MAX_WINDOW:
        raise InvalidCommand(f"{what}={window!r}: expected seconds in [0.03, 60]")
    return value


@dataclass(slots=True)
class _Ownership:
    """Which session last safety-monitored a resource name, and with which object."""

    session_id: str
    resource: Resource | None
    claim: int


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
        if not (isinstance(stop_timeout, int | float) and 0 < stop_timeout <= 60):
            raise InvalidCommand(f"stop_timeout={stop_timeout!r}: expected seconds in (0, 60]")
        if isinstance(max_sessions, bool) or not isinstance(max_sessions, int) or max_sessions < 1:
            raise InvalidCommand(f"max_sessions={max_sessions!r}: expected an integer >= 1")
        if isinstance(stop_attempts, bool) or not isinstance(stop_attempts, int):
            raise InvalidCommand(f"stop_attempts={stop_attempts!r}: expected an integer in [1, 10]")
        if not 1 <= stop_attempts <= 10:
            raise InvalidCommand(f"stop_attempts={stop_attempts!r}: expected an integer in [1, 10]")
        self.stop_timeout = float(stop_timeout)
        self.max_sessions = max_sessions
        self.stop_attempts = stop_attempts
        self.clock = clock
        self._resolve = resolve
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._sessions: dict[str, Session] = {}
        self._owners: dict[str, _Ownership] = {}
        self._claims: dict[str, int] = {}
        self._claim_seq = itertools.count(1)
        self._heap_seq = itertools.count()
        self._expiries: list[tuple[float, int, str]] = []
        self._timeouts: list[tuple[float, int, StopJob]] = []
        self._listeners: list[StopListener] = []
        self._ownership_listeners: list[OwnershipListener] = []
        self._changes: deque[OwnershipChange] = deque(maxlen=256)
        self._recent: deque[StopEvent] = deque(maxlen=256)
        self._closed = False
        self._pool = StopPool()
        self._watchdog: threading.Thread | None = None
        if watchdog:
            self._watchdog = threading.Thread(
                target=self._watch, name="tether-session-watchdog", daemon=True
            )
            self._watchdog.start()

    # -- sessions -------------------------------------------------------------------------

    def start(
        self, owner: str = "", heartbeat_window: float | None = None, resume: str | None = None
    ) -> Session:
        """Start a session (or resume `resume` if it is alive and owned by `owner`)."""
        window = self.heartbeat_window if heartbeat_window is None else check_window(
            heartbeat_window
        )
        with self._lock:
            if self._closed:
                raise ManagerClosed("session manager is closed; it starts no new sessions")
            now = self.clock()
            if resume:
                alive = self._sessions.get(resume)
                if alive is not None and self._is_live(alive, owner.encode(), now):
                    alive._deadline = now + alive.heartbeat_window
                    return alive
            if len(self._sessions) >= self.max_sessions:
                raise TooManySessions(
                    f"session limit reached: {len(self._sessions)} live sessions "
                    f"(max_sessions={self.max_sessions}); end a session or let one expire"
                )
            session = Session(self, str(uuid.uuid4()), owner, window, now)
            self._sessions[session.id] = session
            self._queue_expiry_locked(session)
        log.debug("session %s started (owner=%r, window=%ss)", session.id, owner, window)
        return session

    def heartbeat(self, session_id: str, owner: str = "") -> Session:
        """Extend a live session by one window; unknown, lapsed or foreign ids raise."""
        key = owner.encode()
        with self._lock:
            session = self._sessions.get(session_id)
            now = self.clock()
            if session is None or not self._is_live(session, key, now):
                raise SessionExpired(session_id)
            session._deadline = now + session.heartbeat_window
            return session

    def get(self, session_id: str, owner: str = "") -> Session:
        """Return the live session with that id and owner, without heartbeating it."""
        key = owner.encode()
        with self._lock:
            session = self._sessions.get(session_id)
            if session is None or not self._is_live(session, key, self.clock()):
                raise SessionExpired(session_id)
            return session

    def sessions(self) -> list[Session]:
        """The sessions that are live now."""
        with self._lock:
            now = self.clock()
            return [s for s in self._sessions.values() if now < s._deadline]

    def end(self, session_id: str, owner: str | None = None) -> bool:
        """End a session now and stop what it owns; False if it was unknown, gone or foreign."""
        with self._lock:
            session = self._sessions.get(session_id)
            if session is None:
                return False
            if owner is not None and not hmac.compare_digest(session._owner_key, owner.encode()):
                return False
            jobs = self._remove_locked(session, StopReason.ENDED, self.clock())
        log.debug("session %s ended", session_id)
        self._dispatch(jobs)
        self._wait(jobs)
        return True

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
            self._check_resolvable(name)
        with self._lock:
            now = self.clock()
            loser = self._live_owner_locked(name, now)
            previous = self._owners.get(name)
            if session_id is None:
                if loser is not None and owner is not None:
                    self._refuse_foreign_release_locked(loser, name, owner)
                self._claims[name] = next(self._claim_seq)
                if previous is not None:
                    self._disown_locked(previous, name)
                    del self._owners[name]
                change = self._record_change_locked(loser, name, None, owner, now)
            else:
                session = self._sessions.get(session_id)
                if session is None:
                    raise SessionExpired(session_id)
                key = session._owner_key if owner is None else owner.encode()
                if not self._is_live(session, key, now):
                    raise SessionExpired(session_id)
                session._deadline = now + session.heartbeat_window
                if previous is not None and previous.session_id != session_id:
                    self._disown_locked(previous, name)
                claim = next(self._claim_seq)
                self._claims[name] = claim
                self._owners[name] = _Ownership(session_id, resource, claim)
                session._owned.add(name)
                change = self._record_change_locked(loser, name, session, owner, now)
            listeners = list(self._ownership_listeners) if change is not None else []
        if change is not None:
            self._announce(change, listeners)

    def check_release(self, name: str, owner: str) -> None:
        """Raise OwnedByAnotherKey if a sessionless call with this key may not take `name` over
        now (the same rule associate(None, ...) applies; checked early, before any work)."""
        with self._lock:
            loser = self._live_owner_locked(name, self.clock())
            if loser is not None:
                self._refuse_foreign_release_locked(loser, name, owner)

    def owns(self, session_id: str, name: str) -> bool:
        """Whether that live session is the owner of `name` right now."""
        with self._lock:
            ownership = self._owners.get(name)
            session = self._sessions.get(session_id)
            return (
                ownership is not None and ownership.session_id == session_id
                and session is not None and self.clock() < session._deadline
            )

    def owner_of(self, name: str) -> Session | None:
        """The live session that owns `name`, if any."""
        with self._lock:
            ownership = self._owners.get(name)
            return None if ownership is None else self._sessions.get(ownership.session_id)

    # -- observability --------------------------------------------------------------------

    def add_listener(self, listener: StopListener) -> None:
        """Call listener with every StopEvent (from a stop worker thread)."""
        with self._lock:
            self._listeners.append(listener)

    def remove_listener(self, listener: StopListener) -> None:
        """Stop calling listener."""
        with self._lock:
            self._listeners.remove(listener)

    def add_ownership_listener(self, listener: OwnershipListener) -> None:
        """Call listener with every OwnershipChange (on the thread that moved ownership: be quick
        and never block)."""
        with self._lock:
            self._ownership_listeners.append(listener)

    def remove_ownership_listener(self, listener: OwnershipListener) -> None:
        """Stop calling listener."""
        with self._lock:
            self._ownership_listeners.remove(listener)

    def recent_ownership_changes(self) -> list[OwnershipChange]:
        """The last 256 times a live session lost a resource, oldest first."""
        with self._lock:
            return list(self._changes)

    def recent_stops(self) -> list[StopEvent]:
        """The last 256 stop reports, oldest first."""
        with self._lock:
            return list(self._recent)

    @property
    def stop_workers(self) -> int:
        """Stop worker threads alive (grows only while stops block)."""
        return self._pool.workers

    # -- expiry ---------------------------------------------------------------------------

    def expire_due(self) -> list[StopEvent]:
        """Expire every session whose deadline has passed and wait (bounded) for the stops."""
        with self._lock:
            jobs = self._collect_due_locked(self.clock())
        self._dispatch(jobs)
        self._wait(jobs)
        return [job.final for job in jobs if job.final is not None]

    def close(self) -> None:
        """Stop everything any live session owns, end all sessions, stop the watchdog."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            now = self.clock()
            jobs: list[StopJob] = []
            for session in list(self._sessions.values()):
                jobs.extend(self._remove_locked(session, StopReason.CLOSED, now))
            self._wake.notify_all()
        self._dispatch(jobs)
        self._wait(jobs)
        if self._watchdog is not None and self._watchdog is not threading.current_thread():
            self._watchdog.join(timeout=self.stop_timeout)
        self._pool.close()

    def __enter__(self) -> SessionManager:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- internals ------------------------------------------------------------------------

    def _is_live(self, session: Session, owner_key: bytes, now: float) -> bool:
        return (
            not session._ended
            and now < session._deadline
            and hmac.compare_digest(session._owner_key, owner_key)
        )

    def _check_resolvable(self, name: str) -> None:
        if self._resolve is None:
            raise UnknownResource(
                f"cannot safety-monitor {name!r} by name: the session manager has no resolve= "
                "function; pass the resource object instead"
            )
        if self._resolve(name) is None:
            raise UnknownResource(f"no resource named {name!r} to safety-monitor")

    def _live_owner_locked(self, name: str, now: float) -> Session | None:
        ownership = self._owners.get(name)
        session = None if ownership is None else self._sessions.get(ownership.session_id)
        if session is None or session._ended or now >= session._deadline:
            return None
        return session

    def _refuse_foreign_release_locked(self, holder: Session, name: str, owner: str) -> None:
        if not hmac.compare_digest(holder._owner_key, owner.encode()):
            raise OwnedByAnotherKey(
                f"{name!r} is driven by a live session of another API key: a call without a "
                "session may not take it over; expected a session (viam-sdk: leave sessions "
                "enabled), or that session to end first"
            )

    def _record_change_locked(
        self, loser: Session | None, name: str, taker: Session | None, owner: str | None,
        now: float,
    ) -> OwnershipChange | None:
        if loser is None or loser is taker:
            return None
        change = OwnershipChange(
            resource=name, previous_session=loser.id, previous_owner=loser.owner,
            session_id=None if taker is None else taker.id,
            owner=owner if taker is None else taker.owner, at=now,
        )
        self._changes.append(change)
        return change

    def _announce(self, change: OwnershipChange, listeners: list[OwnershipListener]) -> None:
        level = logging.WARNING if change.session_id is None else logging.INFO
        log.log(level, "ownership: %s", change.describe())
        for listener in listeners:
            try:
                listener(change)
            except Exception:
                log.exception("ownership listener %r raised", listener)

    def _disown_locked(self, ownership: _Ownership, name: str) -> None:
        holder = self._sessions.get(ownership.session_id)
        if holder is not None:
            holder._owned.discard(name)

    def _queue_expiry_locked(self, session: Session) -> None:
        seq = next(self._heap_seq)
        session._queued = seq
        earliest = self._expiries[0][0] if self._expiries else math.inf
        heapq.heappush(self._expiries, (session._deadline, seq, session.id))
        if session._deadline < earliest:
            self._wake.notify()

    def _collect_due_locked(self, now: float) -> list[StopJob]:
        jobs: list[StopJob] = []
        heap = self._expiries
        while heap and heap[0][0] <= now:
            _, seq, session_id = heapq.heappop(heap)
            session = self._sessions.get(session_id)
            if session is None or session._queued != seq:
                continue
            if session._deadline > now:
                self._queue_expiry_locked(session)
                continue
            log.info("session %s expired (owner=%r)", session.id, session.owner)
            jobs.extend(self._remove_locked(session, StopReason.EXPIRED, session._deadline))
        return jobs

    def _remove_locked(self, session: Session, reason: StopReason, when: float) -> list[StopJob]:
        del self._sessions[session.id]
        session._ended = True
        jobs = []
        for name in sorted(session._owned):
            ownership = self._owners.get(name)
            if ownership is None or ownership.session_id != session.id:
                continue
            del self._owners[name]
            jobs.append(
                StopJob(
                    session.id, session.owner, name, ownership.resource, reason, when,
                    ownership.claim,
                )
            )
        session._owned.clear()
        return jobs

    def _dispatch(self, jobs: list[StopJob]) -> None:
        if not jobs:
            return
        for job in jobs:
            self._pool.submit(functools.partial(self._run, job))
        if self._watchdog is not None:
            due = time.monotonic() + self.stop_timeout
            with self._lock:
                for job in jobs:
                    heapq.heappush(self._timeouts, (due, next(self._heap_seq), job))
                self._wake.notify()

    def _wait(self, jobs: list[StopJob]) -> None:
        until = time.monotonic() + self.stop_timeout
        for job in jobs:
            if not job.done.wait(max(0.0, until - time.monotonic())):
                self._report_timeout(job)

    def _run(self, job: StopJob) -> None:
        with self._lock:
            superseded = self._claims.get(job.name) != job.claim
        if superseded:
            self._report(job, job.event(StopOutcome.SUPERSEDED, None))
            return
        target, error = self._target(job)
        if target is None:
            self._report(job, job.event(StopOutcome.GONE, None, error))
            return
        started = time.monotonic()
        error = None
        while job.attempts < self.stop_attempts:
            job.attempts += 1
            if job.entered is None:
                job.entered = self.clock()
            try:
                target.stop()
            except Exception as exc:
                error = f"{type(exc).__name__}: {exc}"
                log.warning("stop of %r raised (attempt %d): %s", job.name, job.attempts, error)
                if time.monotonic() - started + _RETRY_BACKOFF >= self.stop_timeout:
                    break
                time.sleep(_RETRY_BACKOFF * job.attempts)
                continue
            self._report(job, job.event(StopOutcome.STOPPED, self.clock()))
            return
        self._report(job, job.event(StopOutcome.FAILED, self.clock(), error))

    def _target(self, job: StopJob) -> tuple[Resource | None, str | None]:
        if self._resolve is None:
            return job.resource, None if job.resource is not None else "no resource object"
        try:
            return self._resolve(job.name), None
        except Exception as exc:
            return None, f"{type(exc).__name__}: {exc}"

    def _report_timeout(self, job: StopJob) -> None:
        if job.claim_timeout():
            event = job.event(StopOutcome.TIMEOUT, None, f"stop() still running after "
                              f"{self.stop_timeout}s")
            self._publish(event)

    def _report(self, job: StopJob, event: StopEvent) -> None:
        """Log and publish first, so whoever waits on the job sees the report already made."""
        try:
            self._publish(event)
        finally:
            job.finish(event)

    def _publish(self, event: StopEvent) -> None:
        level = logging.INFO if event.outcome is StopOutcome.STOPPED else logging.WARNING
        if event.outcome in (StopOutcome.FAILED, StopOutcome.TIMEOUT):
            level = logging.ERROR
        log.log(level, "stop %s", event.describe())
        with self._lock:
            self._recent.append(event)
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                listener(event)
            except Exception:
                log.exception("stop listener %r raised", listener)

    def _watch(self) -> None:
        while True:
            with self._lock:
                while True:
                    if self._closed:
                        return
                    jobs = self._collect_due_locked(self.clock())
                    overdue = self._collect_overdue_locked(time.monotonic())
                    if jobs or overdue:
                        break
                    self._wake.wait(self._next_wait_locked())
            self._dispatch(jobs)
            for job in overdue:
                self._report_timeout(job)

    def _collect_overdue_locked(self, now: float) -> list[StopJob]:
        overdue = []
        while self._timeouts and self._timeouts[0][0] <= now:
            job = heapq.heappop(self._timeouts)[2]
            if not job.done.is_set():
                overdue.append(job)
        return overdue

    def _next_wait_locked(self) -> float | None:
        waits = []
        if self._expiries:
            waits.append(self._expiries[0][0] - self.clock())
        if self._timeouts:
            waits.append(self._timeouts[0][0] - time.monotonic())
        return max(0.0, min(waits)) if waits else None
