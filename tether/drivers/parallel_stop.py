"""Stop every motor of a base at once: one motor whose stop blocks never keeps another driving.

Each motor but the first has a standing worker thread, started with the base: a stop never needs
a new thread (a process at its thread or memory limit can still stop its wheels). A stop first
hands every worker its job (a queue put, so a motor whose stop blocks the caller is already being
stopped elsewhere), then stops each motor inline on the caller's thread, skipping a motor whose
lock another thread holds or whose worker took the job first (each job runs once: a stop is
several round trips on pigpio, and a failed one is tried once more by whoever ran it); it returns
at once if it ran every job itself, else it waits (bounded) for the workers that took theirs. A
motor whose worker could not start is always stopped inline. A worker whose job is overtaken by a
newer command does nothing, so a late duplicate stop can never cut a fresh command.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from typing import Protocol

log = logging.getLogger("tether.drivers")


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


_Job = tuple[threading.Event, list[str], int, threading.Lock] | None


def stop_twice_into(motor: Stoppable, errors: list[str]) -> bool:
    """A wheel's handed-out stop: tried once more if it fails (each failure collected), as the
    caller and the wheel's worker each tried it before one claim decided who runs it."""
    return stop_into(motor, errors) or stop_into(motor, errors)


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
        self._queues = self._start_workers()

    def stop_all(self) -> list[str]:
        """Stop every motor; the errors (failures, and stops still running at the timeout)."""
        errors: list[str] = []
        pending = self._hand_out(self._generation(), errors)
        ran_inline = set()
        for index, motor in enumerate(self.motors):
            if index in pending:
                lock = motor.command_locks[0]
                if not lock.acquire(blocking=False):
                    continue  # busy (maybe a blocked stop): its worker has the job
                try:
                    if not pending[index][1].acquire(blocking=False):
                        continue  # its worker took the job first
                    stop_twice_into(motor, errors)
                finally:
                    lock.release()
            else:
                stop_into(motor, errors)
            ran_inline.add(index)
        until = time.monotonic() + self.timeout
        for index, (done, _) in pending.items():
            if index in ran_inline:
                continue
            if not done.wait(max(0.0, until - time.monotonic())):
                errors.append(
                    f"motor {self.motors[index].name!r}: stop still running after {self.timeout}s"
                )
        return errors

    def close(self) -> None:
        """Let the workers end (a stop after this runs every motor inline)."""
        queues, self._queues = self._queues, {}
        for jobs in queues.values():
            jobs.put(None)

    def _hand_out(
        self, generation: int, errors: list[str]
    ) -> dict[int, tuple[threading.Event, threading.Lock]]:
        """Give each worker the stop (its done event, and the claim whoever runs it takes); a
        motor whose hand-off failed is stopped inline."""
        pending: dict[int, tuple[threading.Event, threading.Lock]] = {}
        for index, jobs in self._queues.items():
            try:
                done, claim = threading.Event(), threading.Lock()
                jobs.put((done, errors, generation, claim))
            except Exception as exc:  # MemoryError: the inline pass stops this motor
                log.error("motor %r: stop not handed to its worker (%s); stopping it inline",
                          self.motors[index].name, exc)
                continue
            pending[index] = (done, claim)
        return pending

    def _start_workers(self) -> dict[int, queue.SimpleQueue[_Job]]:
        """One standing worker per motor but the first, started now: never on a stop."""
        queues: dict[int, queue.SimpleQueue[_Job]] = {}
        for index, motor in enumerate(self.motors[1:], start=1):
            jobs: queue.SimpleQueue[_Job] = queue.SimpleQueue()
            try:
                threading.Thread(
                    target=self._work, args=(motor, jobs), name=f"tether-stop-{motor.name}",
                    daemon=True,
                ).start()
            except RuntimeError as exc:
                log.error("motor %r: no stop worker (%s); its stops run on the caller's thread",
                          motor.name, exc)
                continue
            queues[index] = jobs
        return queues

    def _work(self, motor: Stoppable, jobs: queue.SimpleQueue[_Job]) -> None:
        while (job := jobs.get()) is not None:
            done, errors, generation, claim = job
            if claim.acquire(blocking=False) and generation == self._generation():
                stop_twice_into(motor, errors)
            done.set()
