"""The thread limit: once `tether serve` runs, its process can start no new thread (the kernel's
thread or memory limit). Every stop must still reach every wheel: session expiry, connection
loss and SIGTERM, on a four-motor skid-steer base (three of its four motor stops are handed to
per-motor workers).

The daemon runs as a real process (tests/faults/daemon_host.py with TETHER_REFUSE_THREADS=1:
from the end of start-up on, every Thread.start in it raises "can't start new thread"); a
fault_client.py process drives the base at 0.3 in a session with the 0.5 s window.
"""

from __future__ import annotations

import signal
import time
from pathlib import Path

import pytest

from tests.faults.rig import (
    AT_ONCE,
    WINDOW,
    HostedDaemon,
    Processes,
    check_delay,
    free_port,
    record,
    two_bases,
    wait_for,
)

WHEELS = ("left", "right", "left2", "right2")
POWER = 0.3
#: How long after the fault the test waits for duty 0 before calling the wheels left driving.
GIVE_UP = 2.0


def skid_steer() -> dict[str, object]:
    """two_bases()'s four GPIO motors under one base: 'left'/'left2' and 'right'/'right2'."""
    config = two_bases()
    geometry = {k: v for k, v in config["base"][0].items() if k not in ("name", "left", "right")}
    config["base"] = [{"name": "base", "left": ["left", "left2"], "right": ["right", "right2"],
                       **geometry}]
    return config


def refusing_daemon(tmp_path: Path, processes: Processes) -> HostedDaemon:
    daemon = HostedDaemon(tmp_path, skid_steer(), f"127.0.0.1:{free_port()}",
                          env={"TETHER_REFUSE_THREADS": "1"})
    processes.add(daemon)
    refused = wait_for(lambda: "threads refused" in daemon.timeline.path.read_text(), 10, 0.01)
    assert refused is not None, "the daemon host never refused threads"
    return daemon


def driving(daemon: HostedDaemon) -> bool:
    return all(daemon.timeline.duty(n) == pytest.approx(POWER) for n in WHEELS)


def check_every_wheel_stopped(daemon: HostedDaemon, fault: str, since: float,
                              bound: float) -> None:
    """Record and check the delay from `since` to duty 0 on all four wheels."""
    wait_for(lambda: daemon.timeline.zero_since(WHEELS) is not None, bound + GIVE_UP, 0.005)
    stopped = daemon.timeline.zero_since(WHEELS)
    if stopped is None:
        record(fault, None, bound, False)
        duties = {n: daemon.timeline.duty(n) for n in WHEELS}
        waited = time.monotonic() - since
        raise AssertionError(f"{fault}: duties {duties} {waited:.1f} s after the fault; "
                             f"stops {daemon.timeline.stops()}; stderr {daemon.errors[-6:]}")
    check_delay(fault, stopped - since, bound)


@pytest.mark.parametrize("fault", ["session expiry", "connection loss", "SIGTERM"])
def test_every_wheel_stops_when_no_thread_can_start(
    tmp_path: Path, processes: Processes, fault: str
) -> None:
    daemon = refusing_daemon(tmp_path, processes)
    client = processes.client(daemon.address, "raw", "--power", str(POWER), "--on-error", "idle")
    assert wait_for(lambda: driving(daemon), 10, 0.005) is not None
    time.sleep(0.2)
    row = f"thread limit: {fault} stops a 4-motor base"
    if fault == "session expiry":
        frozen = client.signal(signal.SIGSTOP)  # connections open, no more heartbeats
        check_every_wheel_stopped(daemon, row, frozen, WINDOW + 0.4)
    elif fault == "connection loss":
        killed = client.signal(signal.SIGKILL)  # the kernel closes its connection
        check_every_wheel_stopped(daemon, row, killed, AT_ONCE)
    else:
        term = daemon.signal(signal.SIGTERM)
        code = daemon.process.wait(20)
        duties = {n: daemon.timeline.duty(n) for n in WHEELS}
        assert code == 0, f"SIGTERM: exit {code} with duties {duties}; {daemon.errors[-6:]}"
        check_every_wheel_stopped(daemon, row, term, AT_ONCE)
        assert daemon.expect("tether: duties at exit", 5) == (
            "tether: duties at exit: left=0, right=0, left2=0, right2=0")
