"""`tether demo`: drive the simulated rover, make the client go away, measure how fast it stops.

The default runs the real daemon (in --sim mode) and a separate client process; `--in-process`
runs the session layer alone, in one process.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

from tether.contract.resource import Resource
from tether.demo_configs import demo_config
from tether.fakes.sim import SimRover, build_sim_rover
from tether.server.background import BackgroundDaemon
from tether.session import SessionManager, safety_monitor, to_context


@dataclass(frozen=True)
class DemoResult:
    """What the demo measured (seconds and mm, on the monotonic clock)."""

    window: float
    last_heartbeat: float
    deadline: float
    stopped_at: float
    travelled_after_deadline_mm: float
    speed_at_deadline_mm_s: float
    end_called: float
    end_stopped_at: float

    @property
    def lapse_delay(self) -> float:
        """Deadline to every wheel's duty at 0, when the client just went silent."""
        return self.stopped_at - self.deadline

    @property
    def end_delay(self) -> float:
        """end() call to every wheel's duty at 0, when the client said goodbye."""
        return self.end_stopped_at - self.end_called


def _wait_all_stopped(sim: SimRover, timeout: float) -> float:
    until = time.monotonic() + timeout
    while time.monotonic() < until:
        stopped = sim.all_stopped_at()
        if stopped is not None:
            return stopped
        time.sleep(0.001)
    raise RuntimeError(f"the rover still had duty {sim.duties()} after {timeout:.1f} s")


def run_demo(
    window: float = 0.25,
    drive_time: float = 1.0,
    say: Callable[[str], None] = print,
    hardware: str = "gpio",
) -> DemoResult:
    """Drive, go silent, measure the stop; then drive again and end the session explicitly."""
    sim = build_sim_rover(hardware=hardware)
    resources: dict[str, Resource] = {"base": sim.base, **sim.motors}
    try:
        with SessionManager(resources.get, heartbeat_window=window) as manager:
            session = manager.start(owner="demo")
            say(
                f"simulated rover: DifferentialBase 'base' over {sim.description} "
                f"{sorted(sim.motors)}; session {session.id[:8]}, window {window * 1000:.0f} ms"
            )
            with to_context(session):
                safety_monitor(sim.base)
                sim.base.set_power(0.6, 0.0)
            until = time.monotonic() + drive_time
            while time.monotonic() < until:
                time.sleep(window / 5)
                session.heartbeat()
            last_beat, deadline = time.monotonic(), session.deadline
            state = sim.rover.state()
            say(
                f"driving at power 0.6: {state.x_mm:.0f} mm covered, {state.speed_mm_s:.0f} mm/s; "
                "heartbeats stop now (as if the client crashed)"
            )
            stopped_at = _wait_all_stopped(sim, 10 * window + 1)
            time.sleep(0.3)
            after = sim.rover.travelled(since=deadline)
            speed = sim.rover.state_at(deadline).speed_mm_s
            lapse_ms = (stopped_at - deadline) * 1000
            say(
                f"every wheel at duty 0 {lapse_ms:.2f} ms after the session's "
                f"deadline; the rover rolled {after:.1f} mm after the deadline "
                f"(it was doing {speed:.0f} mm/s)"
            )
            again = manager.start(owner="demo")
            with to_context(again):
                safety_monitor(sim.base)
                sim.base.set_power(-0.4, 0.2)
            end_called = time.monotonic()
            manager.end(again.id)
            end_stopped = _wait_all_stopped(sim, 1.0)
            end_ms = (end_stopped - end_called) * 1000
            say(
                f"second session ended explicitly: duty 0 {end_ms:.3f} ms"
                f" after end() (waiting for the window instead: {window * 1000:.0f} ms)"
            )
    finally:
        sim.close()
    return DemoResult(
        window, last_beat, deadline, stopped_at, after, speed, end_called, end_stopped
    )


@dataclass(frozen=True)
class DaemonDemoResult:
    """What the daemon demo measured (seconds, mm)."""

    window: float
    kill_delay: float
    rolled_after_kill_mm: float
    speed_at_kill_mm_s: float
    hang_delay: float


def _client(address: str, linear: float) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "tether.demo_client", address, str(linear)],
        stdout=subprocess.PIPE, text=True,
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
) -> DaemonDemoResult:
    """Daemon in --sim mode; a client process drives; SIGKILL it; then another hangs (SIGSTOP)."""
    daemon = BackgroundDaemon(demo_config(hardware, window), sim=True, listen="127.0.0.1:0")
    rover = daemon.robot.rovers["base"]
    try:
        say(f"daemon serving 'base', 'left', 'right' on {daemon.address} over simulated "
            f"{hardware} hardware; heartbeat window {window * 1000:.0f} ms")
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
    return DaemonDemoResult(window, stopped - killed, rolled, speed, hang_stopped - frozen)
