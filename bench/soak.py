"""Soak: client processes drive, hang, die and reconnect at random against one simulated rover
while faults are injected; afterwards every session end is checked against the stop records and
the duties, and the daemon is checked for leaked sessions, memory and file descriptors.

Run: python bench/soak.py --minutes N [--seed S] [--delays FILE]

Why the daemon runs in this process (a BackgroundDaemon on its own loop thread), not as a
`tether serve` process: the faults are injected into its fakes (a stop that raises, I2C NACKs,
a serial port unplugged), which only this process can reach; every stop record arrives through
a listener (the Status RPC keeps only the last 20); and the duties are read from the fake outputs
on the same monotonic clock as the signals sent to the clients. The clients are separate
processes, so this process's RSS and file descriptors are the daemon's plus this scheduler's
small bookkeeping. Every socket is on 127.0.0.1; every loop is bounded in count and time.

A missed stop, precisely: each session a client drove owns exactly one base (the scheduler never
gives a base to two clients at once). When that session ends (SIGKILL of its client, SIGSTOP past
its window, a graceful end, a dropped connection, or anything unplanned), then within BOUND
seconds the daemon must have recorded a stop for (that session, that base) with outcome
"stopped", and every motor output of the base must read duty 0; and the base must stay at duty 0
until the scheduler hands it to the next client. The one other accepted outcome is a serial
controller stopping by its own command timeout while its port was unplugged (the record says
"failed"), which is the documented fallback. Anything else is a missed stop.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import contextlib
import ctypes
import errno
import gc
import json
import logging
import os
import queue
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, cast

from figures import percentile

ROOT = Path(__file__).resolve().parent.parent
WINDOW = 0.5  # the daemon's heartbeat window (viam-sdk sessions use it)
TETHER_WINDOWS = (0.5, 1.0)  # tether.client sessions ask for one of these
PERIOD = 0.1  # seconds between a client's commands (each one is a heartbeat)
BOUND = 5.0  # a session end not followed by a stop within this is a missed stop
SETTLE = 0.5  # a stopped base must stay stopped this long before the next client gets it
START_TIMEOUT = 30.0  # a client process must be driving within this (a loaded machine)
IDLE_TIMEOUT = 15.0  # a client told to end must report idle within this, or it is killed
TICK = 0.02  # the scheduler's period
DRAIN_LIMIT = 60.0  # after the run, the last sessions must end within this
WORKER_LIFETIME = 3600.0  # a client process exits by itself after this
END_FAULT_CHANCE = 0.35  # the chance that a session's end comes with a fault on its base
FAULT_EVERY = 2.0  # mean seconds between faults injected into a driving base
GPIO_PINS = ((5, 6, 12), (20, 21, 13), (23, 24, 18), (16, 26, 19), (17, 27, 22), (4, 25, 10))
BASES = {"gpio1": "gpio", "gpio2": "gpio", "gpio3": "gpio", "hat": "hat", "saber": "sabertooth",
         "claw": "roboclaw"}
ACTIONS = {"tether": {"kill": 5, "hang": 4, "end": 4, "drop": 3, "pause": 4},
           "viam": {"kill": 5, "hang": 4, "close": 6, "pause": 4}}
#: (statistic, limit) per cause, on ends without a fault; "close" is viam-sdk's RobotClient.close(),
#: whose session ends by expiry (see the report), so its target is the window's.
TARGETS = {"kill": ("p99", 0.05), "hang": ("max", 0.02), "end": ("p99", 0.01),
           "drop": ("p99", 0.05), "close": ("max", WINDOW + 0.02)}


# -- the client processes ---------------------------------------------------------------------


def say(text: str) -> None:
    """One line to the scheduler."""
    print(text, flush=True)


def die_with_parent(parent: int) -> None:
    """SIGKILL this process when the scheduler dies, even while stopped (Linux prctl)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    if os.getppid() != parent:
        os._exit(1)


def read_commands(commands: queue.Queue[str]) -> None:
    """Forward stdin lines; at EOF (the scheduler is gone) exit at once."""
    for line in sys.stdin:
        commands.put(line.strip())
    os._exit(0)


def next_command(commands: queue.Queue[str], timeout: float) -> str | None:
    """The next command, or None after timeout."""
    try:
        return commands.get(timeout=timeout)
    except queue.Empty:
        return None


def retry_first(call: Callable[[], None], hardware_error: type[Exception]) -> None:
    """The first command may meet a fault left on the hardware: retry it for up to 3 s."""
    until = time.monotonic() + 3.0
    while True:
        try:
            call()
            return
        except hardware_error:
            if time.monotonic() > until:
                raise
            time.sleep(PERIOD)


def tether_session(rover: Any, name: str, power: float, window: float,
                   commands: queue.Queue[str]) -> str:
    """Drive one base in one tether.client session until told to end; how it ended."""
    from tether.errors import HardwareError

    with rover.session(window) as session:
        base = rover.base(name)
        retry_first(lambda: base.set_power(power, 0.0), HardwareError)
        say(f"driving {session.id}")
        until = time.monotonic() + WORKER_LIFETIME
        while time.monotonic() < until:
            command = next_command(commands, PERIOD)
            if command in ("end", "drop"):
                say(f"ending {time.monotonic():.6f}")
                if command == "drop":
                    rover.reconnect()  # the session's connection closes with the session open
                return "dropped" if command == "drop" else "ended"
            try:
                base.set_power(power, 0.0)
            except HardwareError:
                say("hwerror")
    return "timeout"


def tether_drive(rover: Any, args: list[str], commands: queue.Queue[str]) -> str:
    """One session; a lapsed session or a lost connection ends it (and reconnects)."""
    from tether.errors import ConnectionLost, SessionExpired, TetherError

    try:
        return tether_session(rover, args[0], float(args[1]), float(args[2]), commands)
    except SessionExpired:
        return "expired"
    except ConnectionLost:
        rover.reconnect()
        return "lost"
    except TetherError as exc:
        return f"error {type(exc).__name__}"


def tether_worker(address: str, commands: queue.Queue[str]) -> None:
    """A tether.client (blocking API) process: one connection, sessions on demand."""
    from tether.client import connect

    with connect(address) as rover:
        say("ready")
        until = time.monotonic() + WORKER_LIFETIME
        while time.monotonic() < until:
            verb, *args = (next_command(commands, 1.0) or "wait").split()
            if verb == "quit":
                return
            if verb == "drive":
                say(f"idle {tether_drive(rover, args, commands)}")


async def viam_poll(commands: queue.Queue[str], timeout: float) -> str | None:
    """The next command without blocking the loop (viam-sdk runs tasks on it)."""
    until = time.monotonic() + timeout
    while True:
        with contextlib.suppress(queue.Empty):
            return commands.get_nowait()
        if time.monotonic() >= until:
            return None
        await asyncio.sleep(min(0.02, timeout))


async def viam_first(call: Callable[[], Any]) -> None:
    """The first set_power, retried for up to 3 s while the daemon reports a hardware error."""
    until = time.monotonic() + 3.0
    while True:
        try:
            await call()
            return
        except Exception as exc:
            if "hardware error" not in str(exc) or time.monotonic() > until:
                raise
            await asyncio.sleep(PERIOD)


async def viam_loop(call: Callable[[], Any], commands: queue.Queue[str]) -> str:
    """Command at 10 Hz until told to end (closing the client ends the session)."""
    until = time.monotonic() + WORKER_LIFETIME
    while time.monotonic() < until:
        if await viam_poll(commands, PERIOD) == "close":
            say(f"ending {time.monotonic():.6f}")
            return "ended"
        try:
            await call()
        except Exception as exc:
            if "hardware error" not in str(exc):
                raise
            say("hwerror")
    return "timeout"


async def viam_drive(address: str, args: list[str], commands: queue.Queue[str]) -> str:
    """Connect with viam-sdk, drive one base until told to end, close; how it ended."""
    from viam.components.base import Base
    from viam.proto.common import Vector3
    from viam.robot.client import RobotClient
    from viam.rpc.dial import DialOptions

    options = RobotClient.Options(
        dial_options=DialOptions(insecure=True, disable_webrtc=True), log_level=logging.WARNING
    )
    try:
        robot = await asyncio.wait_for(RobotClient.at_address(address, options), 20)
    except Exception as exc:
        return f"error connect {type(exc).__name__}"
    try:
        base = Base.from_robot(robot, args[0])
        linear, still = Vector3(x=0, y=float(args[1]), z=0), Vector3(x=0, y=0, z=0)
        await viam_first(lambda: base.set_power(linear, still))
        say("driving -")
        return await viam_loop(lambda: base.set_power(linear, still), commands)
    except Exception as exc:
        return "expired" if "SESSION_EXPIRED" in str(exc) else f"error {type(exc).__name__}"
    finally:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(robot.close(), 5)  # type: ignore[no-untyped-call]


async def viam_worker(address: str, commands: queue.Queue[str]) -> None:
    """A viam-sdk process: a new RobotClient (a reconnect) for every session."""
    say("ready")
    until = time.monotonic() + WORKER_LIFETIME
    while time.monotonic() < until:
        verb, *args = (await viam_poll(commands, 1.0) or "wait").split()
        if verb == "quit":
            return
        if verb == "drive":
            say(f"idle {await viam_drive(address, args, commands)}")


def worker_main(kind: str, address: str, parent: int) -> None:
    """Entry point of a client process."""
    die_with_parent(parent)
    logging.basicConfig(level=logging.CRITICAL)
    commands: queue.Queue[str] = queue.Queue()
    threading.Thread(target=read_commands, args=(commands,), daemon=True).start()
    if kind == "tether":
        tether_worker(address, commands)
    else:
        asyncio.run(viam_worker(address, commands))
    say("bye")


# -- faults injected into the daemon's fakes --------------------------------------------------


class FlakyBase:
    """A base whose next stop() calls raise (a driver bug); everything else passes through."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self._failures = 0

    def arm(self, count: int) -> None:
        """Make the next count stop() calls raise."""
        self._failures = count

    def stop(self) -> None:
        """Raise if armed, else stop the real base."""
        if self._failures > 0:
            self._failures -= 1
            raise RuntimeError("injected: stop() raised")
        self._inner.stop()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


class FlakyChip:
    """The fake PCA9685 behind a switch that NACKs the next N transfers to it."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self._left = 0
        self._lock = threading.Lock()

    def arm(self, count: int) -> None:
        """NACK the next count transfers."""
        with self._lock:
            self._left += count

    def disarm(self) -> None:
        """NACK nothing more."""
        with self._lock:
            self._left = 0

    def write(self, register: int, data: bytes) -> None:
        """A register write, unless NACKed."""
        self._nack()
        self._inner.write(register, data)

    def read(self, register: int, length: int) -> bytes:
        """A register read, unless NACKed."""
        self._nack()
        return bytes(self._inner.read(register, length))

    def _nack(self) -> None:
        with self._lock:
            if self._left <= 0:
                return
            self._left -= 1
        raise OSError(errno.EREMOTEIO, "Remote I/O error (injected NACK)")


@dataclass
class Faults:
    """Every fault the soak can inject; each is transient and bounded, as tether promises to
    ride out: a stop that raises fewer times than the retries, a NACK of at most 3 transfers,
    a serial unplug of at most 0.4 s (the controller's own timeout covers a stop it drops)."""

    robot: Any
    stops: dict[str, FlakyBase] = field(default_factory=dict)
    chip: FlakyChip | None = None
    ports: dict[str, Any] = field(default_factory=dict)
    replug_at: dict[str, float] = field(default_factory=dict)
    unplugs: dict[str, list[tuple[float, float]]] = field(default_factory=dict)
    counts: Counter[str] = field(default_factory=Counter)

    def install(self) -> None:
        """Put the switches between the daemon and its fakes."""
        for name, backend in BASES.items():
            if backend == "gpio":
                self.stops[name] = FlakyBase(self.robot.bases[name])
                self.robot.bases[name] = self.stops[name]
        bus = self.robot.devices["i2c-1"]
        self.chip = FlakyChip(bus.devices[0x60])
        bus.attach(0x60, self.chip)
        self.ports = {"saber": self.robot.devices["serial-saber"],
                      "claw": self.robot.devices["serial-claw"]}

    def inject(self, base: str, rng: random.Random, now: float, when: str) -> str:
        """One fault on that base's hardware; its name."""
        backend = BASES[base]
        if backend == "gpio":
            self.stops[base].arm(rng.randint(1, 2))
            name = "stop-raises"
        elif backend == "hat":
            assert self.chip is not None
            self.chip.arm(rng.randint(1, 3))
            name = "i2c-nack"
        else:
            self.unplug(base, now, rng.uniform(0.05, 0.4))
            name = "serial-unplug"
        self.counts[f"{name} ({when})"] += 1
        return name

    def unplug(self, port: str, now: float, seconds: float) -> None:
        """Yank the port's cable for a while."""
        if port in self.replug_at:
            return
        self.ports[port].unplug()
        self.replug_at[port] = now + seconds
        self.unplugs.setdefault(port, []).append((now, float("inf")))

    def tick(self, now: float) -> None:
        """Replug the ports whose time is up."""
        for port, due in list(self.replug_at.items()):
            if now >= due:
                self.ports[port].replug()
                del self.replug_at[port]
                start, _ = self.unplugs[port][-1]
                self.unplugs[port][-1] = (start, time.monotonic())
                del self.unplugs[port][:-8]

    def unplugged_near(self, port: str, start: float, end: float) -> bool:
        """Whether the port was out at any time in [start - 0.2, end + 0.2]."""
        return any(a <= end + 0.2 and b >= start - 0.2 for a, b in self.unplugs.get(port, []))

    def clear(self) -> None:
        """Replug everything and disarm every switch."""
        self.tick(float("inf"))
        for flaky in self.stops.values():
            flaky.arm(0)
        if self.chip is not None:
            self.chip.disarm()


# -- the scheduler's view of a client process -------------------------------------------------


class Worker:
    """One client process: its kind, its state and the lines it printed."""

    def __init__(self, kind: str, address: str) -> None:
        self.kind = kind
        self.process = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "--worker", kind, address,
             str(os.getpid())],
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


# -- what happened ----------------------------------------------------------------------------


@dataclass(slots=True)
class Ending:
    """One session end and its stop, as checked."""

    cause: str
    kind: str
    base: str
    fault: str
    delay: float | None  # every output at duty 0, minus the cause (None: already at 0)
    verdict: str  # stopped, controller, or "missed: why"
    reason: str = ""  # the stop record's reason: expired, ended


@dataclass
class Tally:
    """Counts of everything the soak did and saw."""

    spawned: Counter[str] = field(default_factory=Counter)
    sessions: Counter[str] = field(default_factory=Counter)
    actions: Counter[str] = field(default_factory=Counter)
    endings: list[Ending] = field(default_factory=list)
    events: Counter[str] = field(default_factory=Counter)
    logs: Counter[str] = field(default_factory=Counter)
    log_samples: list[str] = field(default_factory=list)


class LogCount(logging.Handler):
    """Counts the daemon's warnings and errors instead of printing them."""

    def __init__(self, tally: Tally) -> None:
        super().__init__(logging.WARNING)
        self.tally = tally

    def emit(self, record: logging.LogRecord) -> None:
        self.tally.logs[record.levelname] += 1
        if record.levelno >= logging.ERROR and len(self.tally.log_samples) < 5:
            self.tally.log_samples.append(record.getMessage()[:200])


@dataclass
class Slot:
    """One base and the session driving it: free, starting, driving, ending, settling."""

    base: str
    outputs: list[Any]
    state: str = "free"
    worker: Worker | None = None
    kind: str = ""
    reason: str = ""
    paused_until: float = 0.0
    ending: Ending | None = None
    session: str = ""
    since: float = 0.0
    due: float = 0.0
    sent: bool = False
    cause: str = ""
    cause_at: float = 0.0
    fault: str = ""
    hung: bool = False
    zeros: list[float] = field(default_factory=list)


def stop_began(event: Any) -> float:
    """When the stop was entered (or, if never, the session's end), less a millisecond."""
    return float(event.entered if event.entered is not None else event.deadline) - 0.001


def zero_time(output: Any, since: float) -> float | None:
    """When the output reached duty 0 at or after `since` (or since when it had been at 0 then),
    from its duty history; None if it has not."""
    history = list(output.history)
    index = bisect.bisect_right(history, since, key=lambda sample: sample.time)
    if index > 0 and history[index - 1].duty == 0.0:
        return float(history[index - 1].time)
    return next((float(s.time) for s in history[index:] if s.duty == 0.0), None)




def ms(seconds: float) -> str:
    """Seconds as milliseconds, for printing."""
    return f"{seconds * 1e3:.1f} ms"


def verdict(met: bool) -> str:
    """The word the benches print after a target."""
    return "MET" if met else "MISSED"


# -- the scheduler ----------------------------------------------------------------------------


class Soak:
    """Drives the slots' state machines, one tick at a time, on the main thread."""

    def __init__(self, daemon: Any, seed: int, tally: Tally) -> None:
        self.daemon = daemon
        self.api = daemon.daemon.api
        self.rng = random.Random(seed)
        self.tally = tally
        robot = daemon.robot
        self.slots = [Slot(name, [robot.outputs[f"{name}_left"], robot.outputs[f"{name}_right"]])
                      for name in BASES]
        self.workers: list[Worker] = []
        self.events: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self.stops: dict[str, tuple[float, list[Any]]] = {}
        self.faults = Faults(robot)
        self.faults.install()
        self.next_fault = time.monotonic() + self.rng.expovariate(1 / FAULT_EVERY)
        self.api.sessions.add_listener(self.events.put)

    # -- the loop -----------------------------------------------------------------------------

    def run(self, seconds: float, on_sample: Callable[[], None]) -> None:
        """Soak for seconds (sampling RSS each tenth), then end every session (bounded)."""
        began = time.monotonic()
        samples = [began + seconds * i / 10 for i in range(1, 10)]
        while time.monotonic() < began + seconds:
            self.tick(draining=False)
            if samples and time.monotonic() >= samples[0]:
                on_sample()
                samples.pop(0)
        until = time.monotonic() + DRAIN_LIMIT
        while time.monotonic() < until and any(s.state != "free" for s in self.slots):
            self.tick(draining=True)
        for slot in self.slots:
            if slot.state != "free":
                self.record(slot, None, f"missed: still {slot.state} when the drain ended")

    def tick(self, draining: bool) -> None:
        """Read the clients and the stop records, advance every slot, inject faults."""
        now = time.monotonic()
        self.read_workers()
        self.take_stops(now)
        self.faults.tick(now)
        self.trim_fakes()
        for slot in self.slots:
            getattr(self, f"step_{slot.state}")(slot, time.monotonic(), draining)
        if not draining:
            self.maybe_fault(now)
        self.tend_workers(now)
        time.sleep(TICK)

    def trim_fakes(self) -> None:
        """The fake I2C bus logs every transfer forever; drop the log (counted)."""
        bus = self.daemon.robot.devices["i2c-1"]
        if len(bus.transfers) > 1000:
            self.tally.events["fake I2C log entries dropped"] += len(bus.transfers)
            bus.transfers.clear()

    # -- clients ------------------------------------------------------------------------------

    def read_workers(self) -> None:
        """Route every new line to its worker and slot."""
        for worker in self.workers:
            for line in worker.lines():
                self.on_line(worker, line)

    def on_line(self, worker: Worker, line: str) -> None:
        """One line from a client process."""
        word, _, rest = line.partition(" ")
        slot = worker.slot
        if word == "ready" and worker.state == "spawning":
            worker.become("idle")
        elif word == "driving" and slot is not None and slot.state == "starting":
            self.on_driving(slot, worker, rest)
        elif word == "ending" and slot is not None and slot.state == "ending":
            slot.cause_at = float(rest)
        elif word == "idle":
            self.on_idle(worker, rest)
        elif word == "hwerror":
            self.tally.events["commands refused during a fault (hardware error)"] += 1
        elif word not in ("bye", ""):
            worker.tail.append(line)

    def on_idle(self, worker: Worker, reason: str) -> None:
        """A client's session is over; it may drive again."""
        slot = worker.slot
        self.tally.events[f"client saw its session end: {reason.split(maxsplit=1)[0]}"] += 1
        if slot is not None and slot.state == "starting":
            self.tally.events["session starts that failed"] += 1
            self.free(slot, time.monotonic())
        elif slot is not None and slot.state == "driving":
            self.begin_end(slot, "lost", time.monotonic())
        if worker.slot is not None and worker.slot.state in ("ending", "settling"):
            worker.slot.worker = None
        worker.slot = None
        if worker.state in ("busy", "recovering"):
            worker.become("idle")

    def spawn(self) -> Worker | None:
        """A new client process of a random kind (bounded in number)."""
        if sum(w.state != "dead" for w in self.workers) >= len(self.slots) + 3:
            return None
        kind = self.rng.choice(("tether", "viam"))
        worker = Worker(kind, self.daemon.address)
        self.workers.append(worker)
        self.tally.spawned[kind] += 1
        return worker

    def take_worker(self) -> Worker | None:
        """An idle client (a reconnect, for viam-sdk), or a new process."""
        idle = [w for w in self.workers if w.state == "idle" and w.slot is None]
        if idle and self.rng.random() < 0.7:
            return self.rng.choice(idle)
        spawning = [w for w in self.workers if w.state == "spawning" and w.slot is None]
        if spawning:
            return spawning[0]
        return self.spawn() or (self.rng.choice(idle) if idle else None)

    def tend_workers(self, now: float) -> None:
        """Resume paused clients, retire a few idle ones, kill stuck ones, reap the dead."""
        for worker in self.workers:
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
        for worker in [w for w in self.workers if w.state == "dead"]:
            worker.close()
            self.workers.remove(worker)

    def on_exit(self, worker: Worker) -> None:
        """A client process ended by itself."""
        if worker.state != "quitting":
            self.tally.events["client processes that exited unasked"] += 1
            if len(self.tally.log_samples) < 5:
                self.tally.log_samples.append(f"{worker.kind} client: {list(worker.tail)}")
        worker.become("dead")

    # -- slot states --------------------------------------------------------------------------

    def step_free(self, slot: Slot, now: float, draining: bool) -> None:
        """Give the base to a client."""
        if draining or now < slot.due:
            return
        worker = self.take_worker()
        if worker is None:
            return
        worker.slot, slot.worker, slot.sent = slot, worker, False
        slot.state, slot.since, slot.session, slot.fault, slot.hung = (
            "starting", now, "", "", False)

    def step_starting(self, slot: Slot, now: float, draining: bool) -> None:
        """Tell the client to drive once it is ready; give up after START_TIMEOUT."""
        worker = slot.worker
        if worker is None or worker.state == "dead" or now - slot.since > START_TIMEOUT:
            self.tally.events["session starts that failed"] += 1
            if worker is not None:
                worker.close()
            self.free(slot, now)
            return
        if not slot.sent and worker.state == "idle":
            power = self.rng.choice((0.3, 0.5, 0.7, -0.4))
            window = self.rng.choice(TETHER_WINDOWS)
            worker.send(f"drive {slot.base} {power} {window}")
            worker.become("busy")
            slot.sent = True

    def on_driving(self, slot: Slot, worker: Worker, said: str) -> None:
        """The client drives: learn its session from the daemon and plan its end."""
        now = time.monotonic()
        owner = self.api.sessions.owner_of(slot.base)
        slot.session = owner.id if owner is not None else said
        if said not in ("-", slot.session):
            self.tally.events["client and daemon disagree on the session id"] += 1
        if not any(o.duty != 0.0 for o in slot.outputs):
            self.tally.events["drives whose base did not move (fault on the first command)"] += 1
        self.tally.sessions[worker.kind] += 1
        slot.kind, slot.paused_until = worker.kind, 0.0
        slot.state, slot.since = "driving", now
        slot.due = now + self.rng.uniform(1.0, 5.0)

    def step_driving(self, slot: Slot, now: float, draining: bool) -> None:
        """Watch for unplanned ends; act when due."""
        worker = slot.worker
        if slot.session in self.stops:
            paused = now < slot.paused_until + 1.0
            self.begin_end(slot, "pause" if paused else "lost",
                           self.stops[slot.session][1][0].deadline)
        elif worker is None or worker.state == "dead" or worker.process.poll() is not None:
            self.begin_end(slot, "crash", now)
        elif now >= slot.due or (draining and worker.cont_at is None):
            self.act(slot, worker, now, draining)

    def act(self, slot: Slot, worker: Worker, now: float, draining: bool) -> None:
        """Kill, hang, end, drop or pause the client, with a fault at the end sometimes."""
        weights = dict(ACTIONS[worker.kind])
        if draining:
            weights.pop("pause")
        action = self.rng.choices(list(weights), list(weights.values()))[0]
        self.tally.actions[f"{action} ({worker.kind})"] += 1
        if action == "pause":
            worker.signal(signal.SIGSTOP)
            worker.cont_at = slot.paused_until = now + self.rng.uniform(0.05, 0.2)
            slot.due = worker.cont_at + self.rng.uniform(0.5, 3.0)
            return
        if self.rng.random() < END_FAULT_CHANCE:
            slot.fault = self.faults.inject(slot.base, self.rng, now, "at a session end")
        worker.cont_at = None
        self.perform(slot, worker, action)

    def perform(self, slot: Slot, worker: Worker, action: str) -> None:
        """Do it, noting the time it was done."""
        at = time.monotonic()
        if action == "kill":
            worker.process.kill()
            worker.become("dead")
            worker.slot, slot.worker = None, None
        elif action == "hang":
            worker.signal(signal.SIGSTOP)
            worker.become("hung")
            slot.hung = True
        else:
            worker.send(action)
        self.begin_end(slot, action, at)

    def begin_end(self, slot: Slot, cause: str, at: float) -> None:
        """The session is over (or will be at its deadline): its stop is now owed."""
        slot.state, slot.since, slot.cause, slot.cause_at = "ending", time.monotonic(), cause, at

    def step_ending(self, slot: Slot, now: float, draining: bool) -> None:
        """Wait for the stop record and, after it, duty 0 on every output; BOUND at most."""
        stops = self.stops.get(slot.session, (0.0, []))[1]
        mine = [e for e in stops if e.resource == slot.base]
        if len(mine) != len(stops):
            self.tally.events["stop records for a resource the session did not drive"] += 1
        if mine and slot.cause in ("hang", "pause", "lost"):
            slot.cause_at = mine[0].deadline
        zeros = [zero_time(o, stop_began(mine[0])) for o in slot.outputs] if mine else []
        if zeros and all(z is not None for z in zeros):
            self.resolve(slot, mine[0], [z for z in zeros if z is not None], now)
        elif now - slot.since > BOUND + (max(TETHER_WINDOWS) if slot.hung else 0.0):
            why = "no stop record" if not mine else f"duty {[o.duty for o in slot.outputs]}"
            self.record(slot, None, f"missed: {why} {BOUND:g} s after the {slot.cause}")
            self.recover(slot, now)

    def resolve(self, slot: Slot, event: Any, zeros: list[float], now: float) -> None:
        """Classify the stop, release a hung client, then let the base settle."""
        slot.zeros = zeros
        slot.reason = event.reason.value
        outcome = event.outcome.value
        if outcome == "stopped":
            result = "stopped"
        elif BASES[slot.base] in ("sabertooth", "roboclaw") and \
                self.faults.unplugged_near(slot.base, event.entered or now, event.finished or now):
            result = "controller"
        else:  # the outputs are at 0 but tether could not confirm it (a late acknowledgement)
            result = f"unconfirmed: the record says {outcome}: {(event.error or '')[-90:]}"
            self.tally.events[f"stops that reached duty 0 though the record says {outcome}"] += 1
            if len(self.tally.log_samples) < 8:
                self.tally.log_samples.append(f"{slot.base}: {result}")
        self.record(slot, max(slot.zeros), result)
        self.release(slot)
        slot.state, slot.since = "settling", now

    def record(self, slot: Slot, stopped: float | None, result: str) -> None:
        """Keep the checked end (a later miss of the same end replaces its verdict)."""
        delay = None if stopped is None or stopped < slot.cause_at - 0.001 else stopped - \
            slot.cause_at
        if stopped is not None and delay is None:
            self.tally.events["ends whose base was already at duty 0 (a fault stopped it)"] += 1
        if slot.ending is not None and slot.state == "settling":
            slot.ending.verdict = result
        else:
            slot.ending = Ending(slot.cause, slot.kind, slot.base, slot.fault, delay, result,
                                 slot.reason)
            self.tally.endings.append(slot.ending)
        if result.startswith("missed"):
            print(f"MISSED STOP: {slot.base} session {slot.session} ({slot.kind}, {slot.cause}, "
                  f"fault {slot.fault or 'none'}): {result}", flush=True)

    def recover(self, slot: Slot, now: float) -> None:
        """After a missed stop: stop the base directly so the soak can go on."""
        self.faults.clear()
        with contextlib.suppress(Exception):
            self.daemon.robot.bases[slot.base].stop()
        if slot.worker is not None and slot.hung:
            slot.worker.close()
        slot.hung = False
        slot.zeros = [o.zero_since() for o in slot.outputs]
        slot.state, slot.since = "settling", now

    def release(self, slot: Slot) -> None:
        """A hung client is killed or resumed (it must then see its session gone)."""
        worker = slot.worker
        if worker is None or not slot.hung:
            return
        slot.hung = False
        if self.rng.random() < 0.5:
            self.tally.actions["hung client then killed"] += 1
            worker.close()
            worker.slot, slot.worker = None, None
        else:  # it stays with the base until it reports idle, or drives in a new session
            self.tally.actions["hung client then resumed"] += 1
            worker.become("recovering")
            worker.signal(signal.SIGCONT)

    def step_settling(self, slot: Slot, now: float, draining: bool) -> None:
        """The stopped base must not move again before the next client gets it, except in a
        new session of its own client; that client must report idle (bounded) first."""
        moved = any(o.zero_since() != z for o, z in zip(slot.outputs, slot.zeros, strict=True))
        missed = slot.ending is not None and slot.ending.verdict.startswith("missed")
        if moved and not self.adopt(slot, now) and not missed:
            self.record(slot, None, self.moved_again(slot))
            self.recover(slot, now)
            return
        waited = now - slot.since
        if slot.state == "settling" and slot.worker is not None and waited > SETTLE + IDLE_TIMEOUT:
            self.tally.events["client processes killed for not answering"] += 1
            slot.worker.close()
            slot.worker.slot, slot.worker = None, None
        if slot.state == "settling" and waited >= SETTLE and slot.worker is None:
            self.free(slot, now)

    def moved_again(self, slot: Slot) -> str:
        """Why a stopped base moving again is a missed stop, with what the daemon says."""
        owner = self.api.sessions.owner_of(slot.base)
        after = min((s.time for o, z in zip(slot.outputs, slot.zeros, strict=True)
                     for s in o.history if z is not None and s.time > z), default=0.0)
        return (f"missed: the base moved again {ms(after - max(slot.zeros))} after its stop, "
                f"owned by {'no session' if owner is None else 'session ' + owner.id[:8]} "
                f"(duties {[round(o.duty, 2) for o in slot.outputs]}): a command that ran after "
                "its session's stop")

    def adopt(self, slot: Slot, now: float) -> bool:
        """The base moves in a new session of the client that had it (viam-sdk starts one by
        itself after SESSION_EXPIRED, e.g. once a hung process resumes): track that session."""
        owner = self.api.sessions.owner_of(slot.base)
        worker = slot.worker
        if owner is None or owner.id == slot.session or worker is None or worker.state == "dead":
            return False
        self.tally.events["sessions a resumed client started by itself (viam-sdk)"] += 1
        self.tally.sessions[worker.kind] += 1
        self.stops.pop(slot.session, None)
        worker.become("busy")
        slot.session, slot.fault, slot.hung, slot.ending = owner.id, "", False, None
        slot.state, slot.since, slot.due = "driving", now, now + self.rng.uniform(1.0, 5.0)
        return True

    def free(self, slot: Slot, now: float) -> None:
        """The base may go to the next client."""
        if slot.worker is not None and slot.worker.slot is slot:
            slot.worker.slot = None
            if slot.worker.state == "busy":
                slot.worker.become("recovering")
        self.stops.pop(slot.session, None)
        slot.worker, slot.ending, slot.state = None, None, "free"
        slot.due = now + self.rng.uniform(0.0, 0.3)

    # -- stop records and faults --------------------------------------------------------------

    def take_stops(self, now: float) -> None:
        """File the daemon's stop records by session; forget unclaimed ones after a while."""
        while True:
            try:
                event = self.events.get_nowait()
            except queue.Empty:
                break
            self.stops.setdefault(event.session_id, (now, []))[1].append(event)
        claimed = {s.session for s in self.slots}
        for session, (seen, _) in list(self.stops.items()):
            if session not in claimed and now - seen > 30.0:
                self.tally.events["stop records of sessions no client reported driving"] += 1
                del self.stops[session]

    def maybe_fault(self, now: float) -> None:
        """Now and then, a fault on a driving base."""
        if now < self.next_fault:
            return
        self.next_fault = now + self.rng.expovariate(1 / FAULT_EVERY)
        driving = [s for s in self.slots if s.state == "driving"]
        if driving:
            self.faults.inject(self.rng.choice(driving).base, self.rng, now, "while driving")

    def quit_all(self) -> None:
        """Ask idle clients to exit, kill the rest; wait (bounded) for all."""
        for worker in self.workers:
            if worker.state == "idle":
                worker.send("quit")
                worker.become("quitting")
            elif worker.state != "dead":
                worker.close()
        until = time.monotonic() + 15.0
        while time.monotonic() < until and any(w.process.poll() is None for w in self.workers):
            self.read_workers()
            time.sleep(TICK)
        for worker in self.workers:
            if worker.state not in ("quitting", "dead") or worker.process.poll() is None:
                self.on_exit(worker)
            worker.close()
        self.workers.clear()

    def close(self) -> None:
        """Every client process gone, every fault cleared, the listener removed."""
        for worker in self.workers:
            worker.close()
        self.workers.clear()
        self.faults.clear()
        with contextlib.suppress(ValueError):
            self.api.sessions.remove_listener(self.events.put)


# -- leaks ------------------------------------------------------------------------------------


def rss_mib() -> float:
    """This process's VmRSS in MiB."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def open_fds() -> Counter[str]:
    """This process's open file descriptors by kind (socket, pipe, pts, ...).

    By kind, not by number or target: a replugged fake serial port comes back as another pts,
    and a serial link closed after a failed write must not hide a leaked socket.
    """
    kinds: Counter[str] = Counter()
    for name in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError):
            target = os.readlink(f"/proc/self/fd/{name}")
            kinds[target.split(":")[0] if ":" in target else target.rsplit("/", 1)[0]] += 1
    return kinds


def fds_leaked(before: Counter[str], after: Counter[str]) -> Counter[str]:
    """Kinds with more open descriptors after than before, and how many more."""
    return after - before


def fake_retention(robot: Any) -> str:
    """What the sim's fakes keep for tests (they grow with every command; a real rover has
    none of them), so that RSS growth can be told apart from the daemon's own."""
    rover_log = sum(len(getattr(r, "_changes", ())) for r in robot.rovers.values())
    duty = sum(len(o.history) for o in robot.outputs.values())
    pins = robot.devices["pins"]
    pin = sum(len(pins.history(n)) for trio in GPIO_PINS for n in trio)
    serial = sum(len(robot.devices[f"serial-{p}"].received) for p in ("saber", "claw"))
    return (f"rover logs {rover_log} entries, duty histories {duty} samples, pin histories "
            f"{pin} changes, serial logs {serial / 1024:.0f} KiB")


def wait_for(condition: Callable[[], bool], timeout: float) -> bool:
    """Poll every 10 ms until true or timeout."""
    until = time.monotonic() + timeout
    while time.monotonic() < until:
        if condition():
            return True
        time.sleep(0.01)
    return condition()


def leftovers(daemon: Any) -> tuple[int, int, int]:
    """(live sessions, sessions the Status RPC lists, open connections) once clients are gone."""
    from tether.status import fetch_status

    api = daemon.daemon.api
    time.sleep(max(TETHER_WINDOWS) + 0.5)  # every window has passed
    wait_for(lambda: api.tracker.open_connections == 0, 10.0)
    live = len(api.sessions.sessions())
    listed = len(asyncio.run(fetch_status(daemon.address)).sessions)
    wait_for(lambda: api.tracker.open_connections == 0, 10.0)
    return live, listed, api.tracker.open_connections


# -- the report -------------------------------------------------------------------------------


def spread(values: list[float]) -> str:
    """n, p50, p99 and max of a list of seconds."""
    return (f"n={len(values):<3d} p50 {ms(percentile(values, 0.5))}  "
            f"p99 {ms(percentile(values, 0.99))}  max {ms(max(values))}")


def print_delays(endings: list[Ending]) -> None:
    """Section 2: stop delays by cause (clean ends, against targets) and by fault."""
    print("2. stop delay (every motor of the base at duty 0, minus the cause; for hang and other "
          "expiries, minus the session's deadline), ends without a fault at the end:")
    for cause in ("kill", "hang", "end", "drop", "close", "pause", "lost", "crash"):
        values = [e.delay for e in endings if e.cause == cause and not e.fault and
                  e.delay is not None and not e.verdict.startswith(("missed", "controller"))]
        if not values:
            continue
        line = f"   {cause:<5s} {spread(values)}"
        if cause in TARGETS:
            stat, limit = TARGETS[cause]
            got = percentile(values, 0.99) if stat == "p99" else max(values)
            line += f"   target {stat} <= {ms(limit)}: {verdict(got <= limit)}"
        print(line)
    reasons = Counter(f"{e.cause} {e.reason}" for e in endings if e.reason)
    print("   the stop records' reasons: " + ", ".join(f"{k} {n}" for k, n in
                                                      sorted(reasons.items())))
    print(f"   baseline: the reference behaviour, waiting one full window = {ms(WINDOW)}")
    print("   with a fault at the session's end (figures only; a stop later than "
          f"{BOUND:g} s would be a missed stop):")
    for fault, cause in sorted({(e.fault, e.cause) for e in endings if e.fault}):
        values = [e.delay for e in endings if (e.fault, e.cause) == (fault, cause) and
                  e.delay is not None and not e.verdict.startswith("missed")]
        if values:
            print(f"   {fault + ' + ' + cause:<22s} {spread(values)}")
    timed = [e for e in endings if e.delay is not None]
    if timed:
        worst = max(timed, key=lambda e: e.delay or 0.0)
        print(f"   worst: {ms(worst.delay or 0.0)} ({worst.cause}, {worst.kind} client, base "
              f"{worst.base}, fault {worst.fault or 'none'}, {worst.verdict})")


def print_summary(tally: Tally, minutes: float, seed: int) -> None:
    """The header lines: what ran."""
    print(f"tether soak: {minutes:g} min, seed {seed}, python {sys.version.split()[0]}, "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} at the end; "
          "all traffic on 127.0.0.1")
    print("daemon: in this process (BackgroundDaemon): faults are injected into its fakes, every "
          "stop record reaches a listener (the Status RPC keeps 20), duties are read on the same "
          "clock; clients are separate processes, so RSS and fds below are the daemon's (plus "
          "this scheduler's small bookkeeping)")
    print(f"rover: {len(BASES)} bases: " + ", ".join(f"{b} ({k})" for b, k in BASES.items()) +
          f"; daemon window {ms(WINDOW)}, tether.client sessions ask for "
          f"{' or '.join(f'{w:g} s' for w in TETHER_WINDOWS)}")
    print(f"clients: {sum(tally.spawned.values())} processes ({dict(tally.spawned)}); "
          f"{sum(tally.sessions.values())} sessions driven ({dict(tally.sessions)})")
    print(f"actions: {dict(sorted(tally.actions.items()))}")


def print_leaks(figures: dict[str, Any]) -> None:
    """Sections 3 to 5."""
    live, listed, connections = figures["leftovers"]
    print(f"3. sessions leaked: {live} (live sessions after every client was gone and every "
          f"window passed; the Status RPC lists {listed}; open connections {connections})   "
          f"target 0: {verdict(live == 0 and listed == 0)}")
    series = figures["rss"]
    start, warm, end = series[0], series[min(1, len(series) - 1)], series[-1]
    print(f"4. daemon RSS: {start:.1f} MiB at start, {warm:.1f} MiB after a tenth of the run, "
          f"{end:.1f} MiB at the end: growth {end - start:+.1f} MiB ({end - warm:+.1f} MiB after "
          "the first tenth)   no target")
    print(f"   by tenths of the run: {', '.join(f'{v:.1f}' for v in series)} MiB")
    print(f"   held by the fakes at the end (not the daemon's own): {figures['fakes']}")
    before, after = figures["fds"]
    leaked = fds_leaked(before, after)
    print(f"5. file descriptors: {before.total()} at start ({dict(before)}), {after.total()} at "
          f"the end ({dict(after)}): leaked {leaked.total()}"
          f"{' ' + str(dict(leaked)) if leaked else ''}   target 0: {verdict(not leaked)}")


def report(tally: Tally, faults: Faults, figures: dict[str, Any], args: argparse.Namespace) -> int:
    """Print everything; the exit code."""
    endings = tally.endings
    missed = [e for e in endings if e.verdict.startswith("missed")]
    by_controller = sum(e.verdict == "controller" for e in endings)
    unconfirmed = sum(e.verdict.startswith("unconfirmed") for e in endings)
    print_summary(tally, args.minutes, args.seed)
    print(f"faults injected: {dict(sorted(faults.counts.items()))}")
    print(f"1. missed stops: {len(missed)} of {len(endings)} session ends (stopped by tether "
          f"{sum(e.verdict == 'stopped' for e in endings)}, by the serial controller's own "
          f"timeout while its port was unplugged {by_controller}, at duty 0 though the record "
          f"says failed {unconfirmed})   target 0: {verdict(not missed)}")
    for ending in missed[:10]:
        print(f"   {ending}")
    if endings:
        print_delays(endings)
    print_leaks(figures)
    print(f"seen: {dict(sorted(tally.events.items()))}")
    print(f"daemon log: {dict(tally.logs)}" +
          (f"; first errors: {tally.log_samples}" if tally.log_samples else ""))
    leaked_fds = fds_leaked(*figures["fds"]).total()
    failed = bool(missed) or figures["leftovers"][0] > 0 or figures["leftovers"][1] > 0 or \
        leaked_fds > 0 or not endings
    print(f"result: {'FAIL' if failed else 'PASS'} ({time.monotonic() - figures['began']:.1f} s)")
    return 1 if failed else 0


def write_delays(path: str, endings: list[Ending]) -> None:
    """JSON lines in the fault matrix's format, for bench/report.py's plot."""
    with open(path, "w") as out:
        for e in endings:
            if e.delay is None:
                continue
            name = f"soak: {e.cause}" + (f" + {e.fault}" if e.fault else "")
            out.write(json.dumps({"fault": name, "delay_ms": e.delay * 1e3,
                                  "bound_ms": BOUND * 1e3,
                                  "passed": not e.verdict.startswith("missed")}) + "\n")


# -- main -------------------------------------------------------------------------------------


def soak(args: argparse.Namespace) -> int:
    """Set up, run, clean up (on every path), report."""
    from tether.config import parse_config
    from tether.server.background import BackgroundDaemon

    figures: dict[str, Any] = {"began": time.monotonic()}
    tally = Tally()
    logger = logging.getLogger("tether")
    logger.addHandler(LogCount(tally))
    logger.propagate = False
    daemon = BackgroundDaemon(parse_config(rover_data(), "<soak rover>"), sim=True,
                              listen="127.0.0.1:0")
    runner: Soak | None = None
    try:
        runner = Soak(daemon, args.seed, tally)
        gc.collect()
        fds_before, rss_start = open_fds(), rss_mib()
        series = [rss_start]
        runner.run(args.minutes * 60, lambda: series.append(rss_mib()))
        runner.quit_all()
        runner.faults.clear()
        figures["leftovers"] = leftovers(daemon)
        daemon.robot.stop_all()  # reopens a serial port closed by a failed write: fds comparable
        gc.collect()
        series.append(rss_mib())
        figures["rss"], figures["fakes"] = series, fake_retention(daemon.robot)
        figures["fds"] = (fds_before, open_fds())
    finally:
        if runner is not None:
            runner.close()
        daemon.close()
    if args.delays:
        write_delays(args.delays, tally.endings)
    assert runner is not None
    return report(tally, runner.faults, figures, args)


def rover_data() -> dict[str, Any]:
    """Six bases on four backends: several clients drive at once, each fault has a target."""
    motors: list[dict[str, Any]] = [
        {"name": f"gpio{i // 2 + 1}_{'left' if i % 2 == 0 else 'right'}", "driver": "gpio",
         "in1": a, "in2": b, "pwm": p} for i, (a, b, p) in enumerate(GPIO_PINS)
    ]
    for side, number in (("left", 1), ("right", 2)):
        motors += [
            {"name": f"hat_{side}", "driver": "hat", "chip": "hat", "hat": "adafruit",
             "motor": f"M{number}"},
            {"name": f"saber_{side}", "driver": "sabertooth", "port": "saber", "address": 128,
             "channel": number},
            {"name": f"claw_{side}", "driver": "roboclaw", "port": "claw", "address": 0x80,
             "channel": number},
        ]
    return {
        "server": {"listen": "127.0.0.1:0", "heartbeat_window": WINDOW},
        "gpio": {"pin_factory": "lgpio"},
        "pca9685": [{"name": "hat", "bus": 1, "address": 0x60}],
        "serial": [{"name": "saber", "port": "/dev/ttyAMA0", "baudrate": 9600},
                   {"name": "claw", "port": "/dev/ttyACM0", "baudrate": 38400}],
        "motor": motors,
        "base": [{"name": b, "left": [f"{b}_left"], "right": [f"{b}_right"], "width_mm": 160,
                  "wheel_circumference_mm": 204} for b in BASES],
    }


def on_signal(signum: int, _frame: Any) -> None:
    """SIGTERM/SIGHUP: unwind, so every client process and the daemon are cleaned up."""
    raise SystemExit(128 + signum)


def main() -> int:
    """Parse the arguments; a client process, or the soak."""
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        worker_main(sys.argv[2], sys.argv[3], int(sys.argv[4]))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=1.0, help="how long to soak")
    parser.add_argument("--seed", type=int, default=1, help="seed of every random choice")
    parser.add_argument("--delays", help="write each stop delay to this file (JSON lines)")
    args = parser.parse_args()
    if not 0 < args.minutes <= 24 * 60:
        parser.error("--minutes: expected a number in (0, 1440]")
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, on_signal)
    return soak(args)


if __name__ == "__main__":
    sys.exit(main())
