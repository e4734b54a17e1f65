"""One pending stop of one resource on behalf of one session, reported exactly once."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from tether.contract.resource import Resource
from tether.session.events import StopEvent, StopOutcome, StopReason


@dataclass(eq=False)
class StopJob:
    """A stop the manager dispatched; `done` is set when the stop call returned or gave up."""

    session_id: str
    owner: str
    name: str
    resource: Resource | None
    reason: StopReason
    deadline: float
    claim: int
    done: threading.Event = field(default_factory=threading.Event)
    entered: float | None = None
    attempts: int = 0
    final: StopEvent | None = None
    _timed_out: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def event(
        self, outcome: StopOutcome, finished: float | None, error: str | None = None
    ) -> StopEvent:
        """Build the report for this job as it stands."""
        return StopEvent(
            session_id=self.session_id,
            owner=self.owner,
            resource=self.name,
            reason=self.reason,
            outcome=outcome,
            deadline=self.deadline,
            entered=self.entered,
            finished=finished,
            attempts=self.attempts,
            error=error,
        )

    def claim_timeout(self) -> bool:
        """True the first time a waiter sees this job overdue and still running."""
        with self._lock:
            if self.done.is_set() or self._timed_out:
                return False
            self._timed_out = True
            return True

    def finish(self, event: StopEvent) -> None:
        """Record the final outcome and wake every waiter."""
        with self._lock:
            self.final = event
        self.done.set()
