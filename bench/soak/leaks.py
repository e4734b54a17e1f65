"""Leak checks, taken in this process (the daemon's): RSS, open file descriptors by kind, what the
fakes keep for tests, and sessions or connections left once every client is gone."""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

from soak.rover import TETHER_WINDOWS


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


def fake_retention(sim: Any) -> str:
    """What the simulated hardware keeps for tests (it grows with every command; a real rover
    has none of it), in its own process: this process's RSS no longer carries it."""
    sizes = sim.sizes()
    return (f"rover logs {sizes['rover_changes']} entries, duty histories "
            f"{sizes['duty_samples']} samples, pin histories {sizes['pin_changes']} changes, "
            f"serial logs {sizes['serial_bytes'] / 1024:.0f} KiB (in the simulated-hardware "
            "process)")


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
