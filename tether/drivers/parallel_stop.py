"""Stop every motor of a base at once: one motor whose stop blocks never keeps another driving.

Each motor but the first has a standing worker thread (started once). A stop first hands every
worker its job (a queue put), then stops each motor inline on the caller's thread, skipping any
motor whose lock another thread holds; if every inline stop succeeded it returns at once, else it
waits (bounded) for the workers. A worker whose job is overtaken by a newer command does nothing,
so a late duplicate stop can never cut a fresh command.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Sequence
from typing import Protocol


class Stoppable(Protocol):
    """What this module stops."""

    name: str

    def stop(self) -> None:
        """Stop now."""
        ...

    @property
    def command_locks(self) -> list[threading.RLock]:
        """The lock a stop takes."""
        ...


_Job = tuple[threading.Event, list[str], int]


def stop_into(motor: Stoppable, errors: list[str]) -> bool:
    """Stop one motor, collecting (not raising) its failure so the others still stop."""
    try:
        motor.stop()
    except Exception as exc:
        errors.append(f"motor {motor.name!r}: {exc}")
        return False
    return True


class ParallelStopper:
    """Stops a fixed list of motors concurrently, waiting at most `timeout` for the slowest."""

    def __init__(
        self, motors: Sequence[Stoppable], generation: Callable[[], int], *, timeout: float = 0.5
    ) -> None:
        self.motors = list(motors)
        self.timeout = timeout
        self._generation = generation
        self._queues: dict[int, queue.SimpleQueue[_Job]] = {}
        self._lock = threading.Lock()

    def stop_all(self) -> list[str]:
        """Stop every motor; the errors (failures, and stops still running at the timeout)."""
        self._start_workers()
        generation = self._generation()
        errors: list[str] = []
        pending: dict[int, threading.Event] = {}
        for index, jobs in self._queues.items():
            pending[index] = threading.Event()
            jobs.put((pending[index], errors, generation))
        stopped_inline = set()
        for index, motor in enumerate(self.motors):
            lock = motor.command_locks[0]
            if index and not lock.acquire(blocking=False):
                continue  # busy (maybe a blocked stop): its worker has the job
            try:
                if stop_into(motor, errors):
                    stopped_inline.add(index)
            finally:
                if index:
                    lock.release()
        if len(stopped_inline) == len(self.motors):
            return errors
        until = time.monotonic() + self.timeout
        for index, done in pending.items():
            if index in stopped_inline:
                continue
            if not done.wait(max(0.0, until - time.monotonic())):
                errors.append(
                    f"motor {self.motors[index].name!r}: stop still running after {self.timeout}s"
                )
        return errors

    def _start_workers(self) -> None:
        with self._lock:
            if self._queues or len(self.motors) < 2:
                return
            for index, motor in enumerate(self.motors[1:], start=1):
                jobs: queue.SimpleQueue[_Job] = queue.SimpleQueue()
                threading.Thread(
                    target=self._work, args=(motor, jobs), name=f"tether-stop-{motor.name}",
                    daemon=True,
                ).start()
                self._queues[index] = jobs

    def _work(self, motor: Stoppable, jobs: queue.SimpleQueue[_Job]) -> None:
        while True:
            done, errors, generation = jobs.get()
            if generation == self._generation():
                stop_into(motor, [] if errors is None else errors)
            done.set()
