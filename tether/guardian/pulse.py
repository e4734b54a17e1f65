"""The daemon's side of the guardian: proof of life from the event loop and from the session
watchdog thread, one byte each on a pipe the guardian reads; and the daemon's own end when the
guardian is gone (no unsupervised daemon drives motors).

Bytes on the pipe: ``L`` the event loop ran, ``W`` the watchdog thread ran, ``R`` the daemon
serves, ``S`` the daemon is stopping on purpose, ``T<tid>;`` a sentinel thread's id (sent once
per sentinel at start). A write never blocks: a full pipe (a guardian that is slow to read)
drops the byte, and a closed one means the guardian died.

Why sentinels: a killed process's pidfd and pipes report its death only after its last thread
has torn its address space down (about 9 ms for the daemon, most of the time from SIGKILL to
a safe rover), while its other threads are gone within about 0.1 ms. The guardian watches two
threads that end only with the process (pidfd_open with PIDFD_THREAD, Linux 6.9 and later); the
first to end is never the one doing the teardown.
"""

from __future__ import annotations

import asyncio
import ctypes
import errno
import json
import logging
import os
import re
import signal
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import ClassVar

from tether.guardian.outputs import Action

log = logging.getLogger("tether.guardian")

#: The write end of the pulse pipe, inherited from the guardian.
ENV_FD = "TETHER_GUARDIAN_FD"
#: The guardian's pid: the daemon checks its parent is still that process.
ENV_PID = "TETHER_GUARDIAN_PID"
#: Seconds between beats (a quarter of the guardian's hang timeout).
ENV_EVERY = "TETHER_GUARDIAN_BEAT"
#: What the guardian did after the previous daemon died (JSON), shown in Status.
ENV_LAST = "TETHER_GUARDIAN_LAST"
#: Set to 1 by fault tests: SIGUSR1 blocks the event loop, SIGUSR2 ends the watchdog thread.
ENV_TEST_HOOKS = "TETHER_TEST_HOOKS"

LOOP, WATCHDOG, READY, STOPPING = b"L", b"W", b"R", b"S"
_PR_SET_PDEATHSIG = 1
#: pidfd_open's flag for one thread rather than its whole process (Linux 6.9).
PIDFD_THREAD = os.O_EXCL
SENTINELS = 2
_SENTINEL = re.compile(rb"T(\d+);")


def thread_pidfds() -> bool:
    """Whether this kernel gives a pidfd for one thread (PIDFD_THREAD)."""
    try:
        fd = os.pidfd_open(threading.get_native_id(), PIDFD_THREAD)
    except OSError:
        return False
    os.close(fd)
    return True


def sentinel_ids(data: bytes) -> list[int]:
    """The sentinel thread ids in bytes read from the pulse pipe."""
    return [int(m) for m in _SENTINEL.findall(data)]


class Pulse:
    """Writes the daemon's beats to the guardian; calls `on_lost` once if the guardian is gone."""

    def __init__(self, fd: int, every: float, guardian_pid: int) -> None:
        self.fd, self.every, self.guardian_pid = fd, every, guardian_pid
        self.on_lost: Callable[[], None] = lambda: None
        self._lost = False
        self._sentinel_pipe: tuple[int, int] | None = None
        self._loop_handle: asyncio.TimerHandle | None = None
        os.set_blocking(fd, False)

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> Pulse | None:
        """The pulse a guardian handed this process, or None when it runs alone."""
        env = os.environ if environ is None else environ
        if ENV_FD not in env:
            return None
        return cls(int(env[ENV_FD]), float(env.get(ENV_EVERY, "0.05")), int(env.get(ENV_PID, 0)))

    def die_with_guardian(self) -> None:
        """Ask the kernel for SIGTERM when the guardian dies, then check it has not already."""
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0) != 0:
            log.warning("prctl(PR_SET_PDEATHSIG) failed (errno %d): only the pulse pipe tells "
                        "this daemon that its guardian died", ctypes.get_errno())
        if self.guardian_pid and os.getppid() != self.guardian_pid:
            self._guardian_gone("its parent is no longer the guardian")

    def start_sentinels(self) -> None:
        """Start threads that end only with this process, and tell the guardian their ids."""
        idle_r, idle_w = os.pipe()  # nobody ever writes idle_w, and it stays open
        self._sentinel_pipe = (idle_r, idle_w)
        ids: list[int] = []
        started = threading.Barrier(SENTINELS + 1)

        def wait_for_the_end() -> None:
            ids.append(threading.get_native_id())
            started.wait()
            while True:
                os.read(idle_r, 1)

        for _ in range(SENTINELS):
            threading.Thread(target=wait_for_the_end, name="tether-sentinel", daemon=True).start()
        started.wait(10)
        self.send(b"".join(b"T%d;" % tid for tid in ids))

    def send(self, what: bytes) -> None:
        """One byte to the guardian; a dead guardian ends this daemon (once)."""
        if self._lost:
            return
        try:
            os.write(self.fd, what)
        except BlockingIOError:
            pass  # the guardian reads late; a beat more or less changes nothing
        except OSError as exc:
            if exc.errno in (errno.EPIPE, errno.EBADF):
                self._guardian_gone("the pulse pipe is closed")
            else:
                raise

    def beat_loop(self, loop: asyncio.AbstractEventLoop) -> None:
        """An `L` from the event loop every `every` seconds, for as long as the loop runs."""

        def beat() -> None:
            self.send(LOOP)
            self._loop_handle = loop.call_later(self.every, beat)

        beat()

    def beat_watchdog(self, beat_every: Callable[[float, Callable[[], None]], None]) -> None:
        """A `W` from the session watchdog thread every `every` seconds."""
        beat_every(self.every, lambda: self.send(WATCHDOG))

    def close(self) -> None:
        """Stop beating (the daemon is stopping on purpose; the guardian saw `S`)."""
        if self._loop_handle is not None:
            self._loop_handle.cancel()
        self._lost = True

    def _guardian_gone(self, why: str) -> None:
        self._lost = True
        log.error("guardian gone (%s): stopping every actuator and exiting", why)
        self.on_lost()


class Beats:
    """The guardian's side: when each proof of life was last heard, and the hang rule (either
    one silent for hang_timeout is a hang). Also counted without a kill by the soak's observer."""

    NAMES: ClassVar[dict[bytes, str]] = {LOOP: "event loop", WATCHDOG: "watchdog thread"}

    def __init__(self, hang_timeout: float, now: float) -> None:
        self.hang_timeout = hang_timeout
        self.last = dict.fromkeys(self.NAMES, now)
        self.heard_count = dict.fromkeys(self.NAMES, 0)

    def heard(self, data: bytes, now: float) -> None:
        """Bytes read from the pulse pipe at `now`."""
        for byte in self.NAMES:
            if byte in data:
                self.last[byte] = now
                self.heard_count[byte] += data.count(byte)

    def restart(self, now: float) -> None:
        """Count both as heard now (the daemon has just said READY)."""
        self.last = dict.fromkeys(self.NAMES, now)

    def deadline(self) -> float:
        """When the quieter of the two becomes a hang."""
        return min(self.last.values()) + self.hang_timeout

    def silent(self, now: float) -> list[tuple[str, float]]:
        """Each proof of life silent for hang_timeout or more, and for how long."""
        return [(self.NAMES[b], now - t) for b, t in self.last.items()
                if now - t >= self.hang_timeout]


def install_test_hooks(loop: asyncio.AbstractEventLoop, end_watchdog: Callable[[], None],
                       environ: Mapping[str, str] | None = None) -> bool:
    """With TETHER_TEST_HOOKS=1 only: SIGUSR1 blocks the event loop for 60 s, SIGUSR2 ends the
    session watchdog thread (the hangs the guardian must see); True when installed."""
    env = os.environ if environ is None else environ
    if env.get(ENV_TEST_HOOKS) != "1":
        return False
    import time

    loop.add_signal_handler(signal.SIGUSR1, time.sleep, 60.0)
    loop.add_signal_handler(signal.SIGUSR2, end_watchdog)
    log.warning("test hooks installed: SIGUSR1 blocks the event loop, SIGUSR2 ends the watchdog")
    return True


@dataclass(frozen=True)
class GuardianInfo:
    """What Status shows of the guardian: its pid and what it did after the last death."""

    pid: int
    actions: tuple[Action, ...] = ()
    #: Seconds since the guardian made the outputs safe (when this daemon started).
    started: float = field(default_factory=time.monotonic)

    @classmethod
    def from_environ(cls, pid: int, environ: Mapping[str, str] | None = None) -> GuardianInfo:
        """The guardian's pid and its last actions, as it passed them to this daemon."""
        env = os.environ if environ is None else environ
        try:
            actions = tuple(Action(**a) for a in json.loads(env.get(ENV_LAST, "[]")))
        except (ValueError, TypeError):
            log.warning("%s=%r: expected the guardian's JSON list of actions", ENV_LAST,
                        env.get(ENV_LAST))
            actions = ()
        return cls(pid, actions)
