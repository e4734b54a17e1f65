"""What the session layer reports about each stop it made, for logs, status and tests."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class StopReason(enum.Enum):
    """Why the session layer stopped a resource."""

    EXPIRED = "expired"
    ENDED = "ended"
    CLOSED = "closed"


class StopOutcome(enum.Enum):
    """How a stop attempt ended."""

    STOPPED = "stopped"
    FAILED = "failed"
    TIMEOUT = "timeout"
    GONE = "gone"
    SUPERSEDED = "superseded"


@dataclass(frozen=True, slots=True)
class StopEvent:
    """One stop on behalf of one session; times are on the manager's clock."""

    session_id: str
    owner: str
    resource: str
    reason: StopReason
    outcome: StopOutcome
    deadline: float
    entered: float | None
    finished: float | None
    attempts: int
    error: str | None = None

    @property
    def delay(self) -> float | None:
        """Seconds from the session's deadline (or end) until stop() was entered."""
        return None if self.entered is None else self.entered - self.deadline

    @property
    def duration(self) -> float | None:
        """Seconds stop() took, retries included."""
        if self.entered is None or self.finished is None:
            return None
        return self.finished - self.entered

    def describe(self) -> str:
        """A one-line human summary, as logged and shown by `tether status`."""
        delay = "-" if self.delay is None else f"{self.delay * 1000:.2f} ms"
        text = (
            f"{self.resource!r} {self.outcome.value} ({self.reason.value}) "
            f"session={self.session_id} delay={delay} attempts={self.attempts}"
        )
        return text if self.error is None else f"{text} error={self.error}"


@dataclass(frozen=True, slots=True)
class OwnershipChange:
    """A live session lost a resource it owned: to another session, or to a sessionless call."""

    resource: str
    previous_session: str
    previous_owner: str
    session_id: str | None
    owner: str | None
    at: float

    @property
    def reason(self) -> str:
        """'superseded' (another session took it) or 'released' (a call without a session)."""
        return "released" if self.session_id is None else "superseded"

    def describe(self) -> str:
        """A one-line human summary, as logged."""
        taker = "a call without a session" if self.session_id is None else (
            f"session {self.session_id}")
        key = "" if self.owner is None else f" (key {self.owner!r})"
        return (f"{self.resource!r} {self.reason}: session {self.previous_session} "
                f"(key {self.previous_owner!r}) lost it to {taker}{key}")
