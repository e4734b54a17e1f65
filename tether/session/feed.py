"""Reports of one kind (stops, ownership changes): the last few kept, each handed to listeners."""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable
from typing import Generic, TypeVar

log = logging.getLogger("tether.session")

T = TypeVar("T")


class Feed(Generic[T]):
    """The last `keep` reports, oldest first, for status; every report goes to every listener."""

    def __init__(self, kind: str, keep: int = 256) -> None:
        self._kind = kind
        self._lock = threading.Lock()
        self._recent: deque[T] = deque(maxlen=keep)
        self._listeners: list[Callable[[T], None]] = []

    def add(self, listener: Callable[[T], None]) -> None:
        """Call listener with every report from now on."""
        with self._lock:
            self._listeners.append(listener)

    def remove(self, listener: Callable[[T], None]) -> None:
        """Stop calling listener."""
        with self._lock:
            self._listeners.remove(listener)

    def recent(self) -> list[T]:
        """The kept reports, oldest first."""
        with self._lock:
            return list(self._recent)

    def publish(self, report: T) -> None:
        """Keep report, then hand it to each listener on this thread (a raising one is logged)."""
        with self._lock:
            self._recent.append(report)
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                listener(report)
            except Exception:
                log.exception("%s listener %r raised", self._kind, listener)
