"""The scheduler's side of the client processes: a handle on each (its pipes, state and last
lines), and the pool that spawns them, hands them out, resumes, retires and reaps them."""

from __future__ import annotations

import contextlib
import os
import random
import signal
import subprocess
import sys
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import IO, TYPE_CHECKING, cast

from soak.endings import Tally

if TYPE_CHECKING:
    from soak.scheduler import Slot

BENCH = Path(__file__).resolve().parent.parent
ROOT = BENCH.parent
ENTRY = BENCH / "soak.py"  # `soak.py --worker KIND ADDRESS PARENT` runs soak.clients.worker_main
START_TIMEOUT = 30.0  # a client process must be driving within this (a loaded machine)
IDLE_TIMEOUT = 15.0  # a client told to end must report idle within this, or it is killed


class Worker:
    """One client process: its kind, its state and the lines it printed."""

    def __init__(self, kind: str, address: str) -> None:
        self.kind = kind
        self.process = subprocess.Popen(
            [sys.executable, str(ENTRY), "--worker", kind, address, str(os.getpid())],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=ROOT,
        )
        self.stdin = cast(IO[bytes], self.process.stdin)
        self.stdout = cast(IO[bytes], self.process.stdout)
        os.set_blocking(self.stdout.fileno(), False)
        self.partial = b""
        self.state = "spawning"  # idle, busy, hung, recovering, quitting, dead
        self.since = time.monotonic()
        self.slot: Slot | None = None
        self.cont_at: float | None = None
        self.tail: deque[str] = deque(maxlen=6)

    def lines(self) -> list[str]:
        """Whole lines printed since the last call (none once close() closed the pipe)."""
        if self.stdout.closed:
            return []
        try:
            chunk = os.read(self.stdout.fileno(), 65536)
        except (BlockingIOError, OSError):
            return []
        *lines, self.partial = (self.partial + chunk).split(b"\n")
        return [line.decode(errors="replace").strip() for line in lines]

    def send(self, text: str) -> None:
        """A command line; a dead process is noticed elsewhere."""
        with contextlib.suppress(OSError):
            self.stdin.write(text.encode() + b"\n")
            self.stdin.flush()

    def signal(self, signum: int) -> None:
        """Send a signal if it still runs."""
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                self.process.send_signal(signum)

    def become(self, state: str) -> None:
        """Change state, remembering when."""
        self.state, self.since = state, time.monotonic()

    def close(self) -> None:
        """SIGKILL (works on a stopped process too), reap, close the pipes."""
        self.signal(signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(10)
        for pipe in (self.stdin, self.stdout):
            with contextlib.suppress(OSError):
                pipe.close()
        self.become("dead")


class Workers:
    """Every client process the soak started (at most `limit` alive at once)."""

    def __init__(self, address: str, limit: int, rng: random.Random, tally: Tally) -> None:
        self.address, self.limit, self.rng, self.tally = address, limit, rng, tally
        self.all: list[Worker] = []

    def spawn(self) -> Worker | None:
        """A new client process of a random kind (bounded in number)."""
        if sum(w.state != "dead" for w in self.all) >= self.limit:
            return None
        kind = self.rng.choice(("tether", "viam"))
        worker = Worker(kind, self.address)
        self.all.append(worker)
        self.tally.spawned[kind] += 1
        return worker

    def take(self) -> Worker | None:
        """An idle client (a reconnect, for viam-sdk), or a new process."""
        idle = [w for w in self.all if w.state == "idle" and w.slot is None]
        if idle and self.rng.random() < 0.7:
            return self.rng.choice(idle)
        spawning = [w for w in self.all if w.state == "spawning" and w.slot is None]
        if spawning:
            return spawning[0]
        return self.spawn() or (self.rng.choice(idle) if idle else None)

    def tend(self, now: float) -> None:
        """Resume paused clients, retire a few idle ones, kill stuck ones, reap the dead."""
        for worker in self.all:
            if worker.cont_at is not None and now >= worker.cont_at:
                worker.cont_at = None
                worker.signal(signal.SIGCONT)
            stuck = worker.state in ("busy", "recovering", "quitting", "spawning")
            if stuck and worker.slot is None and now - worker.since > IDLE_TIMEOUT + START_TIMEOUT:
                self.tally.events["client processes killed for not answering"] += 1
                worker.close()
            if worker.state == "idle" and worker.slot is None and self.rng.random() < 0.002:
                worker.send("quit")
                worker.become("quitting")
                self.tally.actions["retire (quit an idle client)"] += 1
            if worker.state != "dead" and worker.process.poll() is not None:
                self.on_exit(worker)
        for worker in [w for w in self.all if w.state == "dead"]:
            worker.close()
            self.all.remove(worker)

    def on_exit(self, worker: Worker) -> None:
        """A client process ended by itself."""
        if worker.state != "quitting":
            self.tally.events["client processes that exited unasked"] += 1
            if len(self.tally.log_samples) < 5:
                self.tally.log_samples.append(f"{worker.kind} client: {list(worker.tail)}")
        worker.become("dead")

    def quit_all(self, read: Callable[[], None], period: float) -> None:
        """Ask idle clients to exit, kill the rest; wait (bounded) for all, reading their lines
        every period."""
        for worker in self.all:
            if worker.state == "idle":
                worker.send("quit")
                worker.become("quitting")
            elif worker.state != "dead":
                worker.close()
        until = time.monotonic() + 15.0
        while time.monotonic() < until and any(w.process.poll() is None for w in self.all):
            read()
            time.sleep(period)
        for worker in self.all:
            if worker.state not in ("quitting", "dead") or worker.process.poll() is None:
                self.on_exit(worker)
            worker.close()
        self.all.clear()

    def close(self) -> None:
        """Every client process gone."""
        for worker in self.all:
            worker.close()
        self.all.clear()
