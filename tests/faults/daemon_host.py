"""`tether serve`, unchanged, plus an observer that writes what its session layer does to a file.

usage: daemon_host.py EVENTS_FILE serve CONFIG --sim [--listen ADDRESS]

Runs `tether.cli.main` (the real `tether serve`: signal handlers, shutdown and all). Once the
daemon has started, it appends one line per event to EVENTS_FILE, flushed at once:

    stop RESOURCE REASON OUTCOME  every stop the session layer reports
    ready ADDRESS                 once the daemon serves
    threads refused               (with TETHER_REFUSE_THREADS=1) from here on no thread starts

What the wheels do is not written here: the daemon's --sim hardware runs in a process of its
own (tether.sim), and the test reads it there (tests/faults/rig.py's Timeline), so it stays
readable when the daemon is killed. The observer lives in the daemon's process (and network
namespace): after SIGKILL it simply stops writing.

With TETHER_REFUSE_THREADS=1 in the environment, once the daemon has started every
`Thread.start` in its process fails as at the thread limit (tether.fakes.threads).
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from typing import TextIO

from tether import cli
from tether.fakes.threads import threads_refused
from tether.server import daemon as daemon_module
from tether.session import StopEvent


class Observer:
    """Writes the stop reports of one daemon to a file, a line at a time."""

    def __init__(self, path: str) -> None:
        self._out: TextIO = open(path, "a", buffering=1)  # noqa: SIM115 - lives as long as we do
        self._lock = threading.Lock()

    def emit(self, line: str) -> None:
        with self._lock:
            self._out.write(line + "\n")
            self._out.flush()

    def watch(self, daemon: daemon_module.Daemon) -> None:
        assert daemon.api is not None
        daemon.api.sessions.add_listener(self._on_stop)
        self.emit(f"ready {daemon.bound}")

    def _on_stop(self, event: StopEvent) -> None:
        self.emit(f"stop {event.resource} {event.reason.value} {event.outcome.value}")


def main(argv: list[str]) -> int:
    observer = Observer(argv[0])
    original = daemon_module.Daemon.start
    refuse = os.environ.get("TETHER_REFUSE_THREADS") == "1"
    with contextlib.ExitStack() as limits:

        async def start(self: daemon_module.Daemon) -> str:
            bound = await original(self)
            observer.watch(self)
            if refuse:
                limits.enter_context(threads_refused())
                observer.emit("threads refused")
            return bound

        daemon_module.Daemon.start = start  # type: ignore[method-assign]
        return cli.main(argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
