"""Commands run on the daemon's command threads; at the thread limit, on the loop instead.

ThreadPoolExecutor starts its threads on demand: a command that needs one when the process can
start none (its thread or memory limit) would fail with "can't start new thread", and its job
would stay queued, to run whenever a busy thread frees up. A command is therefore a one-shot
job: run where a thread could not be had, on the loop's own thread (the loop waits, the rover
does as told), and never a second time by a thread that picks the queued copy up later.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Generic, TypeVar

log = logging.getLogger("tether.server")

T = TypeVar("T")


class OneShot(Generic[T]):
    """A call that runs once, wherever it is first taken; its outcome is kept for the other."""

    def __init__(self, call: Callable[[], T]) -> None:
        self._call = call
        self._taken = threading.Lock()
        self.outcome: Future[T] = Future()

    def __call__(self) -> T:
        """Run the call unless it was taken already; then wait for the outcome of that run."""
        if self._taken.acquire(blocking=False):
            try:
                result = self._call()
            except BaseException as exc:
                self.outcome.set_exception(exc)
                raise
            self.outcome.set_result(result)
            return result
        return self.outcome.result()


async def run_on_a_thread(commands: ThreadPoolExecutor, call: Callable[[], T]) -> T:
    """Run call on a command thread; with none to be had, on the loop's thread."""
    job = OneShot(call)
    loop = asyncio.get_running_loop()
    try:
        future = loop.run_in_executor(commands, job)
    except RuntimeError as exc:
        if "thread" not in str(exc):
            raise  # the executor was shut down
        log.error("no thread for a command (%s); it runs on the event loop", exc)
        return job()  # or, if a freed thread took its queued copy first, waits for that run
    return await future
