"""`tether demo`: the real daemon in --sim mode drives the simulated rover for a client process;
the client is killed (SIGKILL), then another hangs (SIGSTOP), and each stop is timed. The rover,
its wheels and their duties are read from the simulated-hardware process (tether.sim), where the
daemon's drivers wrote them through the seams real hardware uses.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import partial

from tether.robot.presets import demo_config
from tether.server.background import BackgroundDaemon


@dataclass(frozen=True)
class DaemonDemoResult:
    """What the daemon demo measured (seconds, mm)."""

    window: float
    kill_delay: float
    rolled_after_kill_mm: float
    speed_at_kill_mm_s: float
    hang_delay: float
    #: The daemon's own SIGKILL: seconds until every wheel read 0 with the guardian, and the
    #: wheels' duties a second after the same kill without it (None: the act was skipped).
    guardian_delay: float | None = None
    unguarded_duties: dict[str, float] | None = None


def _client(address: str, linear: float, *, quiet: bool = False) -> subprocess.Popen[str]:
    """The demo's client process, once it drives (quiet: its errors, when the daemon it drives
    is killed on purpose, are not shown)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "tether.demo.client", address, str(linear)],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL if quiet else None, text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline().strip()
    if not line.startswith("driving"):
        process.kill()
        raise RuntimeError(f"the demo client did not start: {line!r}")
    return process


def run_daemon_demo(
    window: float = 0.5,
    drive_time: float = 1.0,
    say: Callable[[str], None] = print,
    hardware: str = "gpio",
    guardian: bool = True,
) -> DaemonDemoResult:
    """Daemon in --sim mode; a client process drives; SIGKILL it; then another hangs (SIGSTOP);
    then (guardian) the daemon itself is SIGKILLed, with its guardian and without."""
    daemon = BackgroundDaemon(demo_config(hardware, window), sim=True, listen="127.0.0.1:0")
    rover = daemon.sim.rovers["base"]
    try:
        say(f"daemon serving 'base', 'left', 'right' on {daemon.address} over simulated "
            f"{hardware} hardware (process {daemon.sim.pid}); heartbeat window "
            f"{window * 1000:.0f} ms")
        client = _client(daemon.address, 0.6)
        say(f"client process {client.pid} drives the base at power 0.6 through the daemon "
            "(viam-sid session, commands at 20 Hz)")
        time.sleep(drive_time)
        speed = rover.state().speed_mm_s
        killed = time.monotonic()
        client.kill()
        client.wait(10)
        if daemon.wait_until(lambda: not daemon.moving(), 5 * window + 2) is None:
            raise RuntimeError(f"the rover still had duty {daemon.duties()} after the kill")
        stopped = daemon.stopped_at() or time.monotonic()
        time.sleep(0.3)
        rolled = rover.travelled(since=killed)
        say(f"SIGKILL of the client at {speed:.0f} mm/s: every wheel at duty 0 "
            f"{(stopped - killed) * 1000:.1f} ms later (its connection closed, so its session "
            f"ended; waiting for the window would take {window * 1000:.0f} ms); the rover "
            f"rolled {rolled:.1f} mm after the kill")
        hung = _client(daemon.address, 0.4)
        time.sleep(drive_time / 2)
        frozen = time.monotonic()
        hung.send_signal(signal.SIGSTOP)
        if daemon.wait_until(lambda: not daemon.moving(), 5 * window + 2) is None:
            raise RuntimeError("the hung client's rover never stopped")
        hang_stopped = daemon.stopped_at() or time.monotonic()
        hung.kill()
        hung.wait(10)
        say(f"a second client hangs (SIGSTOP) with its connection open: duty 0 "
            f"{(hang_stopped - frozen) * 1000:.0f} ms later, at its session's deadline")
    finally:
        daemon.close()
    result = DaemonDemoResult(window, stopped - killed, rolled, speed, hang_stopped - frozen)
    if not guardian:
        return result
    from tether.demo.guardian import run_guardian_act

    guarded, alone = run_guardian_act(hardware, window, drive_time,
                                      partial(_client, quiet=True), say)
    return replace(result, guardian_delay=guarded.stopped_after,
                   unguarded_duties=alone.duties_after)
