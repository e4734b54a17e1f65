"""Daemon worker threads for stops: a blocked stop never holds up another, nor process exit."""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable

log = logging.getLogger("tether.session")

_IDLE_REAP_SECONDS = 30.0


class StopPool:
    """Runs each submitted call on an idle worker, spawning one when all are busy (up to a cap)."""

    def __init__(self, *, max_workers: int = 256, keep_idle: int = 2) -> None:
        self._queue: queue.SimpleQueue[Callable[[], None] | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._max_workers = max_workers
        self._keep_idle = keep_idle
        self._threads = 0
        self._idle = 0
        self._closed = False
        for _ in range(keep_idle):
            self._spawn_locked()
            self._idle += 1

    def submit(self, call: Callable[[], None]) -> None:
        """Queue call for a worker; never blocks the caller."""
        with self._lock:
            if self._closed:
                raise RuntimeError("stop pool is closed")
            if self._idle > 0:
                self._idle -= 1
            elif self._threads < self._max_workers:
                self._spawn_locked()
            else:
                log.error("all %d stop workers are blocked; a stop is queued", self._threads)
        self._queue.put(call)

    @property
    def workers(self) -> int:
        """Worker threads alive now, blocked ones included."""
        return self._threads

    def close(self) -> None:
        """Ask idle workers to exit; blocked ones are daemons and die with the process."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            count = self._threads
        for _ in range(count):
            self._queue.put(None)

    def _spawn_locked(self) -> None:
        self._threads += 1
        threading.Thread(target=self._work, name="tether-stop", daemon=True).start()

    def _work(self) -> None:
        while True:
            try:
                call = self._queue.get(timeout=_IDLE_REAP_SECONDS)
            except queue.Empty:
                with self._lock:
                    if self._idle > self._keep_idle:
                        self._idle -= 1
                        self._threads -= 1
                        return
                continue
            if call is None:
                with self._lock:
                    self._threads -= 1
                return
            try:
                call()
            except Exception:
                log.exception("stop worker call raised")
            with self._lock:
                self._idle += 1
