"""Which resources each session lost, kept until its Attach stream or drive page collects them."""

from __future__ import annotations

import threading
from collections import OrderedDict

from tether.session import OwnershipChange

#: Sessions remembered at once, and losses per session: bounded whatever clients do.
MAX_SESSIONS = 1024
MAX_PER_SESSION = 16


class LossBoard:
    """An ownership listener: posts each change for the session that lost; `take` collects."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._lost: OrderedDict[str, list[OwnershipChange]] = OrderedDict()

    def post(self, change: OwnershipChange) -> None:
        """Record a loss (called on whichever thread moved ownership; never blocks for long)."""
        with self._lock:
            bucket = self._lost.get(change.previous_session)
            if bucket is None:
                bucket = self._lost[change.previous_session] = []
                while len(self._lost) > MAX_SESSIONS:
                    self._lost.popitem(last=False)
            if len(bucket) < MAX_PER_SESSION:
                bucket.append(change)

    def take(self, session_id: str) -> list[OwnershipChange]:
        """The losses of that session not collected yet, oldest first."""
        with self._lock:
            return self._lost.pop(session_id, [])

    def forget(self, session_id: str) -> None:
        """The session ended: nobody will collect its losses."""
        with self._lock:
            self._lost.pop(session_id, None)
