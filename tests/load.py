"""Load for tests of races a busy CI machine shows: other threads of this process run late."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator

BUSY = "import time\nend = time.monotonic() + 60\nwhile time.monotonic() < end: pass\n"


@contextlib.contextmanager
def busy_cpu(hogs: int) -> Iterator[None]:
    """This thread (and the threads it starts) on one CPU shared with `hogs` busy processes, so
    a thread woken here waits its turn behind them (each hog ends itself after 60 s)."""
    cpu = min(os.sched_getaffinity(0))
    before = os.sched_getaffinity(0)
    started = [subprocess.Popen([sys.executable, "-c", BUSY]) for _ in range(hogs)]
    try:
        for hog in started:
            os.sched_setaffinity(hog.pid, {cpu})
        os.sched_setaffinity(0, {cpu})
        yield
    finally:
        os.sched_setaffinity(0, before)
        for hog in started:
            hog.kill()
            hog.wait(5)
