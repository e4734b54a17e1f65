"""Stop every actuator on SIGTERM/SIGHUP and at exit, before gpiozero lets the pins float.

gpiozero cleans up from atexit, which default SIGTERM/SIGHUP (how systemd stops a service)
skip entirely; and on close the lgpio factory turns pins into floating inputs. The guard stops
each registered resource first, then closes it (drive inactive, then release).
"""

from __future__ import annotations

import atexit
import logging
import os
import signal
import threading
from types import FrameType

from tether.drivers.resource import Resource

log = logging.getLogger("tether.drivers")

DEFAULT_SIGNALS = (signal.SIGTERM, signal.SIGHUP)


class ShutdownGuard:
    """Stops, then closes, the resources registered with it when the process is told to end."""

    def __init__(self) -> None:
        self._resources: list[Resource] = []
        self._lock = threading.Lock()
        self._installed = False
        self._handling = False
        self._done = False

    def register(self, *resources: Resource) -> None:
        """Have these resources stopped and closed at shutdown (order kept)."""
        with self._lock:
            self._resources.extend(r for r in resources if r not in self._resources)

    def unregister(self, resource: Resource) -> None:
        """Forget a resource (it was closed elsewhere)."""
        with self._lock:
            if resource in self._resources:
                self._resources.remove(resource)

    def install(self, signals: tuple[signal.Signals, ...] = DEFAULT_SIGNALS) -> None:
        """Install the signal handlers (main thread only) and the atexit hook; idempotent."""
        with self._lock:
            if self._installed:
                return
            self._installed = True
        atexit.register(self.shutdown)
        if threading.current_thread() is threading.main_thread():
            for signum in signals:
                signal.signal(signum, self._on_signal)
        else:
            log.warning("shutdown guard installed off the main thread: no signal handlers")

    def shutdown(self) -> None:
        """Stop every resource, then close each; runs once, never raises."""
        with self._lock:
            if self._done:
                return
            self._done = True
            resources = list(self._resources)
        for resource in resources:
            try:
                resource.stop()
            except Exception:
                log.exception("shutdown: stop of %r failed", resource.name)
        for resource in resources:
            try:
                resource.close()
            except Exception:
                log.exception("shutdown: close of %r failed", resource.name)

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        if self._handling:
            os._exit(128 + signum)
        self._handling = True
        log.warning("signal %s: stopping every actuator", signal.Signals(signum).name)
        self.shutdown()
        raise SystemExit(128 + signum)


_process_guard: ShutdownGuard | None = None
_process_guard_lock = threading.Lock()


def process_guard() -> ShutdownGuard:
    """The process's one guard (signal handlers are per process), created on first use."""
    global _process_guard  # noqa: PLW0603 - signal handlers are process-wide by nature
    with _process_guard_lock:
        if _process_guard is None:
            _process_guard = ShutdownGuard()
        return _process_guard


def stop_on_exit(*resources: Resource) -> ShutdownGuard:
    """Register resources with the process guard and install it; returns the guard."""
    guard = process_guard()
    guard.register(*resources)
    guard.install()
    return guard
