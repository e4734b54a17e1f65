"""Runs the stops the registry hands out: each on a worker, retried while it fails, reported once.

A stop is skipped (SUPERSEDED) when another caller monitored the resource after the session
lost it; reported GONE when the resource no longer exists; TIMEOUT when it runs past
stop_timeout (it may still finish: its final report then follows).
"""

from __future__ import annotations

import functools
import heapq
import itertools
import logging
import threading
import time
from collections.abc import Callable

from tether.contract.resource import Resource
from tether.errors import UnknownResource
from tether.session.events import StopEvent, StopOutcome
from tether.session.feed import Feed
from tether.session.pool import StopPool
from tether.session.stops import StopJob

log = logging.getLogger("tether.session")

_RETRY_BACKOFF = 0.01

Resolver = Callable[[str], Resource | None]


class Stopper:
    """Stops resources on behalf of sessions that ended or expired, and reports each stop."""

    def __init__(
        self,
        resolve: Resolver | None,
        *,
        holds: Callable[[str, int], bool],
        clock: Callable[[], float],
        stop_timeout: float,
        stop_attempts: int,
    ) -> None:
        self._resolve = resolve
        self._holds = holds
        self._clock = clock
        self._stop_timeout = stop_timeout
        self._stop_attempts = stop_attempts
        self._pool = StopPool()
        self._lock = threading.Lock()
        self._seq = itertools.count()
        self._timeouts: list[tuple[float, int, StopJob]] = []
        self.events: Feed[StopEvent] = Feed("stop")
        #: With a watchdog: called when a dispatched stop's timeout is queued for it to report.
        self.wake_watchdog: Callable[[], None] | None = None

    def check_resolvable(self, name: str) -> None:
        """UnknownResource unless a stop of `name` could find the resource by name."""
        if self._resolve is None:
            raise UnknownResource(
                f"cannot safety-monitor {name!r} by name: the session manager has no resolve= "
                "function; pass the resource object instead"
            )
        if self._resolve(name) is None:
            raise UnknownResource(f"no resource named {name!r} to safety-monitor")

    def dispatch(self, jobs: list[StopJob]) -> None:
        """Start every stop at once, each on its own worker (never waits for one)."""
        if not jobs:
            return
        for job in jobs:
            self._pool.submit(functools.partial(self._run, job))
        wake = self.wake_watchdog
        if wake is not None:
            due = time.monotonic() + self._stop_timeout
            with self._lock:
                for job in jobs:
                    heapq.heappush(self._timeouts, (due, next(self._seq), job))
            wake()

    def wait(self, jobs: list[StopJob]) -> None:
        """Wait for the stops, at most stop_timeout in all; report those still running."""
        until = time.monotonic() + self._stop_timeout
        for job in jobs:
            if not job.done.wait(max(0.0, until - time.monotonic())):
                self.report_timeout(job)

    def collect_overdue(self, now: float) -> list[StopJob]:
        """Dispatched stops whose timeout (on time.monotonic) has passed and that still run."""
        overdue = []
        with self._lock:
            while self._timeouts and self._timeouts[0][0] <= now:
                job = heapq.heappop(self._timeouts)[2]
                if not job.done.is_set():
                    overdue.append(job)
        return overdue

    def next_timeout(self) -> float | None:
        """When (on time.monotonic) the next dispatched stop overruns, if any is queued."""
        with self._lock:
            return self._timeouts[0][0] if self._timeouts else None

    def report_timeout(self, job: StopJob) -> None:
        """Report a stop still running after stop_timeout (once, whoever notices first)."""
        if job.claim_timeout():
            self._publish(job.event(
                StopOutcome.TIMEOUT, None, f"stop() still running after {self._stop_timeout}s"))

    @property
    def workers(self) -> int:
        """Stop worker threads alive (grows only while stops block)."""
        return self._pool.workers

    def close(self) -> None:
        """Let idle workers go; blocked ones die with the process."""
        self._pool.close()

    def _run(self, job: StopJob) -> None:
        if not self._holds(job.name, job.claim):
            self._report(job, job.event(StopOutcome.SUPERSEDED, None))
            return
        target, error = self._target(job)
        if target is None:
            self._report(job, job.event(StopOutcome.GONE, None, error))
            return
        started = time.monotonic()
        error = None
        while job.attempts < self._stop_attempts:
            job.attempts += 1
            if job.entered is None:
                job.entered = self._clock()
            try:
                target.stop()
            except Exception as exc:
                error = f"{type(exc).__name__}: {exc}"
                log.warning("stop of %r raised (attempt %d): %s", job.name, job.attempts, error)
                if time.monotonic() - started + _RETRY_BACKOFF >= self._stop_timeout:
                    break
                time.sleep(_RETRY_BACKOFF * job.attempts)
                continue
            self._report(job, job.event(StopOutcome.STOPPED, self._clock()))
            return
        self._report(job, job.event(StopOutcome.FAILED, self._clock(), error))

    def _target(self, job: StopJob) -> tuple[Resource | None, str | None]:
        if self._resolve is None:
            return job.resource, None if job.resource is not None else "no resource object"
        try:
            return self._resolve(job.name), None
        except Exception as exc:
            return None, f"{type(exc).__name__}: {exc}"

    def _report(self, job: StopJob, event: StopEvent) -> None:
        """Publish first, so whoever waits on the job sees the report already made."""
        try:
            self._publish(event)
        finally:
            job.finish(event)

    def _publish(self, event: StopEvent) -> None:
        level = logging.INFO if event.outcome is StopOutcome.STOPPED else logging.WARNING
        if event.outcome in (StopOutcome.FAILED, StopOutcome.TIMEOUT):
            level = logging.ERROR
        log.log(level, "stop %s", event.describe())
        self.events.publish(event)
