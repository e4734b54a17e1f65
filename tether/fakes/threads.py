"""A process that can start no new thread (its thread or memory limit reached), for stop tests.

CPython raises ``RuntimeError: can't start new thread`` from ``Thread.start`` when the kernel
refuses a thread (RLIMIT_NPROC, a cgroup's pids.max, no memory left for the stack). Inside
``threads_refused()`` every ``Thread.start`` raises exactly that, so a test shows which code path
still needs a fresh thread to stop a motor.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

THREAD_LIMIT_ERROR = "can't start new thread"


@contextmanager
def threads_refused() -> Iterator[list[str]]:
    """While inside, Thread.start raises as at the thread limit; yields the names it refused."""
    refused: list[str] = []
    original = threading.Thread.start

    def refuse(self: threading.Thread) -> None:
        refused.append(self.name)
        raise RuntimeError(THREAD_LIMIT_ERROR)

    threading.Thread.start = refuse  # type: ignore[method-assign]
    try:
        yield refused
    finally:
        threading.Thread.start = original  # type: ignore[method-assign]
