"""Which sessions are live, when each expires, and which session owns each resource.

One lock covers all three, so a session that expires and a command that claims its resource
are ordered: either the claim lands first (and the expiry stops nothing of it) or the expiry
does (and the claim finds the session gone). What must then be stopped leaves as StopJobs.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import math
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from tether.contract.resource import Resource
from tether.errors import ManagerClosed, OwnedByAnotherKey, SessionExpired, TooManySessions
from tether.session.events import OwnershipChange, StopReason
from tether.session.feed import Feed
from tether.session.session import Session, SessionHost
from tether.session.stops import StopJob

log = logging.getLogger("tether.session")


@dataclass(slots=True)
class _Ownership:
    """Which session last safety-monitored a resource name, and with which object."""

    session_id: str
    resource: Resource | None
    claim: int


class SessionRegistry:
    """Live sessions, their deadlines and resource ownership, under one lock."""

    def __init__(self, host: SessionHost, clock: Callable[[], float], max_sessions: int) -> None:
        self._host = host
        self._clock = clock
        self._max_sessions = max_sessions
        self._lock = threading.Lock()
        self._sessions: dict[str, Session] = {}
        self._owners: dict[str, _Ownership] = {}
        self._claims: dict[str, int] = {}
        self._claim_seq = itertools.count(1)
        self._heap_seq = itertools.count()
        self._expiries: list[tuple[float, int, str]] = []
        self._closed = False
        self.changes: Feed[OwnershipChange] = Feed("ownership")
        #: Called (under the lock: be quick) when a session's deadline is the earliest queued.
        self.wake_watchdog: Callable[[], None] | None = None

    # -- sessions -------------------------------------------------------------------------

    def start(self, owner: str, window: float, resume: str | None) -> Session:
        """A new session (or `resume`, renewed, if it is alive and owned by `owner`)."""
        with self._lock:
            if self._closed:
                raise ManagerClosed("session manager is closed; it starts no new sessions")
            now = self._clock()
            if resume:
                alive = self._sessions.get(resume)
                if alive is not None and alive.is_live(owner.encode(), now):
                    alive.renew(now)
                    return alive
            if len(self._sessions) >= self._max_sessions:
                raise TooManySessions(
                    f"session limit reached: {len(self._sessions)} live sessions "
                    f"(max_sessions={self._max_sessions}); end a session or let one expire"
                )
            session = Session(self._host, str(uuid.uuid4()), owner, window, now)
            self._sessions[session.id] = session
            self._queue_expiry_locked(session)
        return session

    def heartbeat(self, session_id: str, owner: str) -> Session:
        """Renew a live session of this key; unknown, lapsed or foreign ids raise."""
        with self._lock:
            now = self._clock()
            session = self._live_locked(session_id, owner.encode(), now)
            session.renew(now)
            return session

    def get(self, session_id: str, owner: str) -> Session:
        """The live session of this key with that id, not renewed."""
        with self._lock:
            return self._live_locked(session_id, owner.encode(), self._clock())

    def live(self) -> list[Session]:
        """The sessions whose deadline has not passed."""
        with self._lock:
            now = self._clock()
            return [s for s in self._sessions.values() if now < s.deadline]

    def end(self, session_id: str, owner: str | None) -> list[StopJob] | None:
        """Remove a session now: what it owned, to stop; None if unknown or another key's."""
        with self._lock:
            session = self._sessions.get(session_id)
            if session is None:
                return None
            if owner is not None and not session.belongs_to(owner.encode()):
                return None
            return self._remove_locked(session, StopReason.ENDED, self._clock())

    def collect_due(self, now: float) -> list[StopJob]:
        """Remove every session whose deadline has passed: what they owned, to stop."""
        jobs: list[StopJob] = []
        with self._lock:
            heap = self._expiries
            while heap and heap[0][0] <= now:
                _, _, session_id = heapq.heappop(heap)
                session = self._sessions.get(session_id)
                if session is None:
                    continue  # ended earlier
                if session.deadline > now:
                    self._queue_expiry_locked(session)  # heartbeated since it was queued
                    continue
                log.info("session %s expired (owner=%r)", session.id, session.owner)
                jobs.extend(self._remove_locked(session, StopReason.EXPIRED, session.deadline))
        return jobs

    def next_deadline(self) -> float | None:
        """The earliest queued deadline (it may have been renewed since), if any."""
        with self._lock:
            return self._expiries[0][0] if self._expiries else None

    def close(self) -> list[StopJob] | None:
        """Start no more sessions and remove every one: what they owned, to stop; None if
        already closed."""
        with self._lock:
            if self._closed:
                return None
            self._closed = True
            now = self._clock()
            jobs: list[StopJob] = []
            for session in list(self._sessions.values()):
                jobs.extend(self._remove_locked(session, StopReason.CLOSED, now))
            return jobs

    # -- ownership ------------------------------------------------------------------------

    def associate(
        self, session_id: str | None, name: str, resource: Resource | None, owner: str | None
    ) -> None:
        """Make the session the owner of `name` (last monitor wins); None releases ownership.

        Given the caller's key, a release is refused with OwnedByAnotherKey while a live session
        of a different key owns `name`. A live session that loses `name` is published.
        """
        with self._lock:
            now = self._clock()
            loser = self._live_owner_locked(name, now)
            if session_id is None:
                if loser is not None and owner is not None:
                    _refuse_foreign_release(loser, name, owner)
                self._release_locked(name)
                change = _change(loser, name, None, owner, now)
            else:
                session = self._sessions.get(session_id)
                if session is None:
                    raise SessionExpired(session_id)
                if session.lapsed(now) or (owner is not None
                                           and not session.belongs_to(owner.encode())):
                    raise SessionExpired(session_id)
                session.renew(now)
                self._claim_locked(session, name, resource)
                change = _change(loser, name, session, owner, now)
        if change is not None:
            level = logging.WARNING if change.session_id is None else logging.INFO
            log.log(level, "ownership: %s", change.describe())
            self.changes.publish(change)

    def check_release(self, name: str, owner: str) -> None:
        """OwnedByAnotherKey if a sessionless call of this key may not take `name` over now."""
        with self._lock:
            loser = self._live_owner_locked(name, self._clock())
            if loser is not None:
                _refuse_foreign_release(loser, name, owner)

    def owns(self, session_id: str, name: str) -> bool:
        """Whether that session owns `name` and its deadline has not passed."""
        with self._lock:
            ownership = self._owners.get(name)
            session = self._sessions.get(session_id)
            return (
                ownership is not None and ownership.session_id == session_id
                and session is not None and self._clock() < session.deadline
            )

    def owner_of(self, name: str) -> Session | None:
        """The session that owns `name`, if any (until the watchdog expires it)."""
        with self._lock:
            ownership = self._owners.get(name)
            return None if ownership is None else self._sessions.get(ownership.session_id)

    def holds(self, name: str, claim: int) -> bool:
        """Whether `claim` is still the latest on `name` (no one monitored it since)."""
        with self._lock:
            return self._claims.get(name) == claim

    # -- internals ------------------------------------------------------------------------

    def _live_locked(self, session_id: str, owner_key: bytes, now: float) -> Session:
        session = self._sessions.get(session_id)
        if session is None or not session.is_live(owner_key, now):
            raise SessionExpired(session_id)
        return session

    def _live_owner_locked(self, name: str, now: float) -> Session | None:
        ownership = self._owners.get(name)
        session = None if ownership is None else self._sessions.get(ownership.session_id)
        if session is None or session.lapsed(now):
            return None
        return session

    def _release_locked(self, name: str) -> None:
        self._claims[name] = next(self._claim_seq)
        previous = self._owners.pop(name, None)
        if previous is not None:
            self._disown_locked(previous, name)

    def _claim_locked(self, session: Session, name: str, resource: Resource | None) -> None:
        previous = self._owners.get(name)
        if previous is not None and previous.session_id != session.id:
            self._disown_locked(previous, name)
        claim = next(self._claim_seq)
        self._claims[name] = claim
        self._owners[name] = _Ownership(session.id, resource, claim)
        session.take(name)

    def _disown_locked(self, ownership: _Ownership, name: str) -> None:
        holder = self._sessions.get(ownership.session_id)
        if holder is not None:
            holder.drop(name)

    def _queue_expiry_locked(self, session: Session) -> None:
        earliest = self._expiries[0][0] if self._expiries else math.inf
        heapq.heappush(self._expiries, (session.deadline, next(self._heap_seq), session.id))
        if session.deadline < earliest and self.wake_watchdog is not None:
            self.wake_watchdog()

    def _remove_locked(self, session: Session, reason: StopReason, when: float) -> list[StopJob]:
        del self._sessions[session.id]
        jobs = []
        for name in session.finish():
            ownership = self._owners.get(name)
            if ownership is None or ownership.session_id != session.id:
                continue
            del self._owners[name]
            jobs.append(StopJob(session.id, session.owner, name, ownership.resource, reason,
                                when, ownership.claim))
        return jobs


def _refuse_foreign_release(holder: Session, name: str, owner: str) -> None:
    """One key may not disarm another key's live session by calling without a session."""
    if not holder.belongs_to(owner.encode()):
        raise OwnedByAnotherKey(
            f"{name!r} is driven by a live session of another API key: a call without a "
            "session may not take it over; expected a session (viam-sdk: leave sessions "
            "enabled), or that session to end first"
        )


def _change(
    loser: Session | None, name: str, taker: Session | None, owner: str | None, now: float
) -> OwnershipChange | None:
    """The report of a live session losing `name`, if one did."""
    if loser is None or loser is taker:
        return None
    return OwnershipChange(
        resource=name, previous_session=loser.id, previous_owner=loser.owner,
        session_id=None if taker is None else taker.id,
        owner=owner if taker is None else taker.owner, at=now,
    )
