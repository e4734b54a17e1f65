"""`tether serve`, unchanged, plus an observer that writes what the fake hardware does to a file.

usage: daemon_host.py EVENTS_FILE serve CONFIG --sim [--listen ADDRESS]

Runs `tether.cli.main` (the real `tether serve`: signal handlers, shutdown and all). Once the
daemon has started, it appends one line per event to EVENTS_FILE, flushed at once:

    duty NAME TIME VALUE          every output: its duty now, then every change (device time)
    stop RESOURCE REASON OUTCOME  every stop the session layer reports
    ready ADDRESS                 after the first duty lines
    threads refused               (with TETHER_REFUSE_THREADS=1) from here on no thread starts

TIME is time.monotonic() of this process: CLOCK_MONOTONIC, the same clock in every process and
network namespace of the machine, so the test compares it with the moment it injected a fault.
The observer lives in the daemon's process (and network namespace): it needs no network, and
after SIGKILL it simply stops writing, which is what a test of a killed daemon wants to see.

With TETHER_REFUSE_THREADS=1 in the environment, once the daemon has started every
`Thread.start` in its process fails as at the thread limit (tether.fakes.threads).
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from typing import Any, TextIO

from tether import cli
from tether.fakes.threads import threads_refused
from tether.server import daemon as daemon_module
from tether.session import StopEvent


class Observer:
    """Writes duty changes and stop reports of one daemon to a file, a line at a time."""

    def __init__(self, path: str) -> None:
        self._out: TextIO = open(path, "a", buffering=1)  # noqa: SIM115 - lives as long as we do
        self._lock = threading.Lock()

    def emit(self, line: str) -> None:
        with self._lock:
            self._out.write(line + "\n")
            self._out.flush()

    def watch(self, daemon: daemon_module.Daemon) -> None:
        assert daemon.robot is not None and daemon.api is not None
        for name, output in daemon.robot.outputs.items():
            self.emit(f"duty {name} {output.history[-1].time!r} {output.duty!r}")
            output.subscribe(self._duty_listener(name))
        daemon.api.sessions.add_listener(self._on_stop)
        self.emit(f"ready {daemon.bound}")

    def _duty_listener(self, name: str) -> Any:
        def listener(now: float, duty: float) -> None:
            self.emit(f"duty {name} {now!r} {duty!r}")

        return listener

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
