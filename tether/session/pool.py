"""Daemon worker threads for stops: a blocked stop never holds up another, nor process exit."""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable

log = logging.getLogger("tether.session")

_IDLE_REAP_SECONDS = 30.0


class StopPool:
    """Runs each submitted call on an idle worker, spawning one when all are busy (up to a cap).

    Its first workers start with it, so a stop never needs a new thread while one is idle; when
    none is idle and no thread can be started (the process's thread or memory limit), the call
    runs at once on the caller's thread rather than not at all.
    """

    def __init__(self, *, max_workers: int = 256, keep_idle: int = 2) -> None:
        self._queue: queue.SimpleQueue[Callable[[], object] | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._max_workers = max_workers
        self._keep_idle = keep_idle
        self._threads = 0
        self._idle = 0
        self._closed = False
        with self._lock:
            for _ in range(keep_idle):
                refused = self._spawn_locked()
                if refused is not None:
                    log.error("%d of %d stop workers started (%s); a stop finding none free "
                              "runs on its caller's thread", self._threads, keep_idle, refused)
                    break
                self._idle += 1

    def submit(self, call: Callable[[], object]) -> None:
        """Queue call for a worker (never blocks the caller), or run it now if none can take it."""
        with self._lock:
            refused = self._take_worker_locked()
        if refused is None:
            self._queue.put(call)
            return
        log.warning("no stop worker free (%s): running the stop inline", refused)
        _run(call)

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

    def _take_worker_locked(self) -> str | None:
        """Reserve a worker for one call; why none could be had, if none."""
        if self._closed:
            return "the stop pool is closed"
        if self._idle > 0:
            self._idle -= 1
            return None
        if self._threads < self._max_workers:
            return self._spawn_locked()
        log.error("all %d stop workers are blocked; a stop is queued", self._threads)
        return None

    def _spawn_locked(self) -> str | None:
        """Start a worker; why it could not start, if it could not."""
        try:
            threading.Thread(target=self._work, name="tether-stop", daemon=True).start()
        except RuntimeError as exc:
            return str(exc)
        self._threads += 1
        return None

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
            _run(call)
            with self._lock:
                self._idle += 1


def _run(call: Callable[[], object]) -> None:
    """Run one call, logging (not raising) its failure."""
    try:
        call()
    except Exception:
        log.exception("stop worker call raised")
