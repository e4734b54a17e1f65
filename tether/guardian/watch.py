"""The guardian's process: it starts the daemon as its child, learns of its death at once (a
pidfd on each of its sentinel threads, before the kernel's teardown; the process's pidfd and EOF
on the pulse pipe after it), kills it when its event loop or watchdog thread stops beating,
makes every output safe from here, and restarts it within a crash budget.

It holds no hardware the daemon drives and does nothing slow after a death: every connection is
opened and every module imported before the first child starts. One thread, one poll(); no
sleeping loop.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import select
import signal
import subprocess
import time
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from tether.errors import HardwareError
from tether.guardian import pulse
from tether.guardian.outputs import Action, Part, Safer
from tether.robot.config import GuardianConfig
from tether.server import systemd

log = logging.getLogger("tether.guardian")

#: Exit status when the crash budget is spent: systemd's unit must not restart it
#: (RestartPreventExitStatus=3), the outputs stay safe and the log says why.
GAVE_UP = 3
#: Seconds a daemon gets to build its rover and serve before it counts as hung.
START_TIMEOUT = 60.0
#: Seconds a daemon that is stopping on purpose gets before it is killed.
STOP_TIMEOUT = 10.0
#: How long to wait between a crash and the restart: doubles per recent crash, up to the last.
BACKOFF = (0.25, 0.5, 1.0, 2.0, 4.0)
_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)


@dataclass(frozen=True)
class Ending:
    """How one daemon ended: `why` in words, whether the guardian killed it, its exit status."""

    why: str
    status: int
    killed: bool
    on_purpose: bool
    #: Whether it ever served: one that exited with an error before serving (a config error)
    #: is not restarted; one killed by a signal before it served is a crash like any other.
    served: bool = True


class Guardian:
    """Supervises one daemon at a time; run() returns the exit status for `tether serve`."""

    def __init__(self, command: Sequence[str], safers: Sequence[Safer],
                 settings: GuardianConfig, environ: Mapping[str, str] | None = None,
                 source: str = "<config>") -> None:
        self.command, self.safers, self.settings = list(command), list(safers), settings
        self.source = source
        self.environ = dict(os.environ if environ is None else environ)
        self.every = settings.hang_timeout / 4
        self.last_actions: list[Action] = []
        self.kills = 0
        self.restarts = 0
        #: The daemon being watched now (0 between daemons).
        self.daemon_pid = 0
        self._crashes: deque[float] = deque()
        self._stop_signal = 0
        self._wake_r, self._wake_w = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
        self._watchdog_every = systemd.watchdog_interval(self.environ, os.getpid())

    # -- the whole life ----------------------------------------------------------------------

    def run(self, *, handle_signals: bool = True) -> int:
        """Open every output, then start, watch and restart daemons until told to stop (by
        SIGTERM/SIGINT/SIGHUP, or stop() when another thread runs this one)."""
        self.open_outputs()
        previous: dict[int, Any] = {}
        old_wakeup = -1
        if handle_signals:
            previous = {s: signal.signal(s, self._on_signal) for s in _SIGNALS}
            old_wakeup = signal.set_wakeup_fd(self._wake_w)
        try:
            return self._supervise()
        finally:
            if handle_signals:
                signal.set_wakeup_fd(old_wakeup)
                for s, handler in previous.items():
                    signal.signal(s, handler)
            for safer in self.safers:
                safer.close()
            self.daemon_pid = 0

    def stop(self) -> None:
        """Stop the daemon on purpose and return from run() (thread-safe)."""
        self._stop_signal = signal.SIGTERM
        with contextlib.suppress(BlockingIOError):
            os.write(self._wake_w, b"!")

    def open_outputs(self) -> None:
        """Open every connection now; HardwareError naming the one that would not open."""
        for safer in self.safers:
            try:
                safer.open()
            except Exception as exc:
                for opened in self.safers:
                    opened.close()
                raise HardwareError(
                    f"{self.source}: [[motor]] {safer.motor!r}: the guardian's own handle on "
                    f"{safer.describe()} would not open ({type(exc).__name__}: {exc}); expected "
                    "it open before the daemon starts (tether serve --no-guardian runs without "
                    "the guardian)") from exc

    def _supervise(self) -> int:
        while True:
            ending = self._watch_one()
            if not ending.served and ending.status > 0 and not ending.killed:
                return ending.status  # it said why, in one line of its own
            if ending.on_purpose or self._stop_signal:
                return 0 if ending.status in (0, -signal.SIGTERM) or self._stop_signal else 1
            why = self._why_not_restart(ending)
            if why:
                log.error("guardian: %s; outputs safe; staying down", why)
                systemd.notify("STATUS=daemon down: " + why, environ=self.environ)
                return GAVE_UP
            delay = BACKOFF[min(len(self._crashes), len(BACKOFF)) - 1]
            log.warning("guardian: restarting the daemon in %.2f s (%d crashes in the last "
                        "minute)", delay, len(self._crashes))
            if self._sleep(delay):
                return 0
            self.restarts += 1

    def _why_not_restart(self, ending: Ending) -> str:
        """'' to restart; else why the daemon stays down."""
        if self.settings.restart == "never":
            return f"daemon ended ({ending.why}) and [guardian] restart = \"never\""
        now = time.monotonic()
        self._crashes.append(now)
        while self._crashes and now - self._crashes[0] > 60.0:
            self._crashes.popleft()
        if len(self._crashes) > self.settings.max_restarts:
            return (f"daemon ended ({ending.why}); {len(self._crashes)} crashes in a minute, "
                    f"more than [guardian] max_restarts = {self.settings.max_restarts}")
        return ""

    def _sleep(self, seconds: float) -> bool:
        """Wait out the backoff; True if a signal asked the guardian to stop meanwhile."""
        poller = select.poll()
        poller.register(self._wake_r, select.POLLIN)
        deadline = time.monotonic() + seconds
        while not self._stop_signal and (left := deadline - time.monotonic()) > 0:
            poller.poll(left * 1000)
            self._drain(self._wake_r)
        return bool(self._stop_signal)

    # -- one daemon --------------------------------------------------------------------------

    def _watch_one(self) -> Ending:
        """Start a daemon; return once it is dead and the outputs are safe."""
        beats_r, beats_w = os.pipe2(os.O_CLOEXEC)
        # Its own session: a Ctrl-C (or a kill of the guardian's process group) reaches the
        # guardian alone, which passes on one SIGTERM; the daemon never gets two at once.
        child = subprocess.Popen(self.command, env=self._child_env(beats_w), pass_fds=(beats_w,),
                                 start_new_session=True)
        os.close(beats_w)
        self.daemon_pid = child.pid
        log.info("guardian pid %d watching daemon pid %d (hang timeout %g s, %d output "
                 "connection(s) open)", os.getpid(), child.pid, self.settings.hang_timeout,
                 len(self.safers))
        try:
            return self._until_dead(child, beats_r)
        finally:
            os.close(beats_r)

    def _child_env(self, beats_w: int) -> dict[str, str]:
        # The daemon says READY=1 and STOPPING=1 itself (the unit's NotifyAccess=all); the
        # watchdog is the guardian's alone.
        env = {k: v for k, v in self.environ.items() if k not in ("WATCHDOG_USEC", "WATCHDOG_PID")}
        env.update({pulse.ENV_FD: str(beats_w), pulse.ENV_PID: str(os.getpid()),
                    pulse.ENV_EVERY: f"{self.every:.6f}",
                    pulse.ENV_LAST: json.dumps([asdict(a) for a in self.last_actions])})
        return env

    def _until_dead(self, child: subprocess.Popen[bytes], beats_r: int) -> Ending:
        pidfd = os.pidfd_open(child.pid)
        sentinels: list[int] = []  # pidfds of the daemon's sentinel threads (tether.guardian.pulse)
        poller = select.poll()
        for fd in (pidfd, beats_r, self._wake_r):
            poller.register(fd, select.POLLIN)
        started = time.monotonic()
        beats = pulse.Beats(self.settings.hang_timeout, started)
        ready = stopping = False
        deadline = started + START_TIMEOUT
        next_watchdog = started
        try:
            while True:
                now = time.monotonic()
                if ready and not stopping:
                    deadline = beats.deadline()
                wait = deadline - now
                if self._watchdog_every is not None and ready and not stopping:
                    wait = min(wait, next_watchdog - now)
                events = dict(poller.poll(max(0.0, wait) * 1000))
                now = time.monotonic()
                if pidfd in events or any(fd in events for fd in sentinels):
                    if pidfd not in events:  # it is dying; should a sentinel ever end alone,
                        child.kill()  # the daemon must not outlive the outputs made safe
                    return self._dead(child, now, "exited", killed=False, on_purpose=stopping,
                                      served=ready)
                if beats_r in events:
                    data = os.read(beats_r, 4096)
                    if not data:  # every fd of the child is closed: it is dead
                        return self._dead(child, now, "exited", killed=False,
                                          on_purpose=stopping, served=ready)
                    beats.heard(data, now)
                    for tid in pulse.sentinel_ids(data):
                        thread_fd = _sentinel_pidfd(child.pid, tid)
                        if thread_fd is not None:
                            sentinels.append(thread_fd)
                            poller.register(thread_fd, select.POLLIN)
                    if pulse.READY in data and not ready:
                        ready = True
                        beats.restart(now)
                    if pulse.STOPPING in data and not stopping:
                        stopping, deadline = True, now + STOP_TIMEOUT
                if self._wake_r in events:
                    self._drain(self._wake_r)
                if self._stop_signal and not stopping:
                    stopping, deadline = True, now + STOP_TIMEOUT
                    child.send_signal(signal.SIGTERM)
                if ready and not stopping and self._watchdog_every is not None \
                        and now >= next_watchdog:
                    systemd.watchdog(environ=self.environ)  # only while both beats are fresh
                    next_watchdog = now + self._watchdog_every / 2
                if now >= deadline:
                    return self._kill(child, now, self._hang_reason(ready, stopping, beats, now),
                                      served=ready)
        finally:
            for fd in (pidfd, *sentinels):
                os.close(fd)

    @staticmethod
    def _hang_reason(ready: bool, stopping: bool, beats: pulse.Beats, now: float) -> str:
        if stopping:
            return f"still running {STOP_TIMEOUT:g} s after it was asked to stop"
        if not ready:
            return f"not serving {START_TIMEOUT:g} s after it started"
        return "hung: " + ", ".join(f"its {what} silent for {s * 1000:.0f} ms"
                                     for what, s in beats.silent(now))

    def _kill(self, child: subprocess.Popen[bytes], now: float, why: str, *,
              served: bool) -> Ending:
        """SIGKILL (a stopped process dies too), then make safe (what needs the daemon's lines
        or ports waits for its reap inside _dead)."""
        log.error("guardian: daemon pid %d %s: SIGKILL", child.pid, why)
        self.kills += 1
        child.kill()
        return self._dead(child, now, why, killed=True, on_purpose=False, served=served)

    def _dead(self, child: subprocess.Popen[bytes], since: float, why: str, *, killed: bool,
              on_purpose: bool, served: bool) -> Ending:
        """Outputs safe first: pigpiod and buses at once, lines and ports once the child is
        reaped (at once for a child that is already dead); then the report. A daemon that
        exited with an error before it served drove nothing: it only said why."""
        # It never served and said why (reaped already when its pidfd told): no hurry. One
        # seen dying through a sentinel is not reaped yet: it may have driven; safe it now.
        if not served and not killed and child.poll() is not None and child.returncode > 0:
            return Ending(f"exited with status {child.returncode}", child.returncode, killed,
                          on_purpose, served)
        self.last_actions = self.make_safe(since, released=False, part="first")
        self.last_actions += self.make_safe(since, released=False, part="rest")
        status = child.wait()
        self.last_actions += self.make_safe(since, released=True)
        if not killed:
            why = f"exited with status {status}" if status >= 0 else \
                f"killed by {signal.Signals(-status).name}"
        failed = [a for a in self.last_actions if not a.ok]
        quiet = on_purpose or (not served and not killed and status > 0)  # it said why itself
        if quiet and not failed:
            return Ending(why, status, killed, on_purpose, served)
        level = logging.ERROR if failed or not on_purpose else logging.WARNING
        log.log(level, "guardian: daemon pid %d %s; %d output(s) made safe, %d failed",
                child.pid, why, len(self.last_actions) - len(failed), len(failed))
        for action in self.last_actions:
            log.log(logging.ERROR if not action.ok else logging.WARNING, "guardian:   %s",
                    action.line())
        return Ending(why, status, killed, on_purpose, served)

    def make_safe(self, since: float, *, released: bool, part: Part = "all") -> list[Action]:
        """Every safer that needs (or not) the daemon's lines released, each within the
        deadline, every output attempted."""
        deadline = since + self.settings.safe_deadline
        done: list[Action] = []
        for safer in (s for s in self.safers if s.needs_release == released):
            try:
                done += safer.make_safe(since, deadline, part)
            except Exception as exc:  # one family's failure never skips the next
                log.exception("guardian: %s failed", type(safer).__name__)
                done.append(Action(type(safer).__name__, "?", False,
                                   (time.monotonic() - since) * 1000, str(exc)))
        return done

    # -- signals -----------------------------------------------------------------------------

    def _on_signal(self, signum: int, _frame: object) -> None:
        self._stop_signal = signum

    @staticmethod
    def _drain(fd: int) -> None:
        try:
            while os.read(fd, 4096):
                pass
        except BlockingIOError:
            pass


def _sentinel_pidfd(pid: int, tid: int) -> int | None:
    """A pidfd on thread `tid` of process `pid`, or None: a kernel before 6.9 (no
    PIDFD_THREAD; the process's own pidfd still tells, later), or no such thread of it."""
    if not os.path.exists(f"/proc/{pid}/task/{tid}"):
        log.warning("guardian: daemon pid %d named sentinel thread %d, which it does not have",
                    pid, tid)
        return None
    try:
        return os.pidfd_open(tid, pulse.PIDFD_THREAD)
    except OSError as exc:
        log.debug("guardian: no thread pidfd (%s): a death is seen after the teardown", exc)
        return None
