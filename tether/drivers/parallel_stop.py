"""Stop every motor of a base at once: one motor whose stop blocks never keeps another driving.

Each motor but the first has its own standing worker thread (started once), so a stop costs a
queue hand-off rather than a thread start; the first motor is stopped on the caller's thread.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Sequence
from typing import Protocol


class Stoppable(Protocol):
    """What this module stops."""

    name: str

    def stop(self) -> None:
        """Stop now."""
        ...


_Job = tuple[threading.Event, list[str]]


def stop_into(motor: Stoppable, errors: list[str]) -> None:
    """Stop one motor, collecting (not raising) its failure so the others still stop."""
    try:
        motor.stop()
    except Exception as exc:
        errors.append(f"motor {motor.name!r}: {exc}")


class ParallelStopper:
    """Stops a fixed list of motors concurrently, waiting at most `timeout` for the slowest."""

    def __init__(self, motors: Sequence[Stoppable], *, timeout: float = 0.5) -> None:
        self.motors = list(motors)
        self.timeout = timeout
        self._queues: list[queue.SimpleQueue[_Job]] = []
        self._lock = threading.Lock()

    def stop_all(self) -> list[str]:
        """Stop every motor; the errors (failures, and stops still running at the timeout)."""
        self._start_workers()
        errors: list[str] = []
        pending = []
        for motor, jobs in zip(self.motors[1:], self._queues, strict=True):
            done = threading.Event()
            jobs.put((done, errors))
            pending.append((motor, done))
        stop_into(self.motors[0], errors)
        until = time.monotonic() + self.timeout
        for motor, done in pending:
            if not done.wait(max(0.0, until - time.monotonic())):
                errors.append(f"motor {motor.name!r}: stop still running after {self.timeout}s")
        return errors

    def _start_workers(self) -> None:
        with self._lock:
            if self._queues or len(self.motors) < 2:
                return
            for motor in self.motors[1:]:
                jobs: queue.SimpleQueue[_Job] = queue.SimpleQueue()
                threading.Thread(
                    target=_work, args=(motor, jobs), name=f"tether-stop-{motor.name}", daemon=True
                ).start()
                self._queues.append(jobs)


def _work(motor: Stoppable, jobs: queue.SimpleQueue[_Job]) -> None:
    while True:
        done, errors = jobs.get()
        stop_into(motor, errors)
        done.set()
