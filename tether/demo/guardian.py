"""`tether demo`'s last act: tether itself dies. The daemon (not a client) is SIGKILLed while a
client drives, once with its guardian and once without (`--no-guardian`), and the simulated
wheels say what happened: the guardian made them safe within milliseconds from its own process;
without it they kept the last duty (GPIO, a HAT) or ran until their controller's own timeout.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from tether.robot.presets import demo_data
from tether.robot.toml_text import to_toml
from tether.sim.addresses import PREFIX, SimAddresses
from tether.sim.client import SimClient

#: `tether serve`'s ready line (tether/server/daemon.py): address, daemon pid, guardian pid.
SERVING = re.compile(r"serving .* on (\S+).*; pid (\d+), (?:guardian pid (\d+)|no guardian)")


@dataclass(frozen=True)
class DaemonDeath:
    """What the wheels did after the daemon's SIGKILL."""

    guarded: bool
    #: Seconds from the kill until every wheel read duty 0 (None: still driving after 1 s).
    stopped_after: float | None
    #: Each wheel's duty 1 s after the kill.
    duties_after: dict[str, float]


@contextlib.contextmanager
def _serve(config: Path, guarded: bool) -> Iterator[tuple[str, int, SimClient]]:
    """`tether serve CONFIG --sim` (with or without its guardian): address, daemon pid, sim."""
    command = [sys.executable, "-m", "tether", "serve", str(config), "--sim",
               *([] if guarded else ["--no-guardian"])]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                               text=True, start_new_session=True)
    lines: list[str] = []
    ready = threading.Event()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line)
            if line.startswith(PREFIX):
                ready.set()

    threading.Thread(target=read, daemon=True).start()
    sim = None
    try:
        if not ready.wait(60):
            raise RuntimeError("tether serve did not start:\n" + "".join(lines))
        match = next(m for m in map(SERVING.search, lines) if m)
        sim = SimClient(SimAddresses.parse(next(x for x in lines if x.startswith(PREFIX))).inspect)
        yield match[1], int(match[2]), sim
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)
        if sim is not None:
            sim.close()


def kill_the_daemon(config: Path, guarded: bool,
                    client: Callable[[str, float], subprocess.Popen[str]],
                    drive_time: float) -> DaemonDeath:
    """Drive at 0.6, SIGKILL the daemon, watch the wheels for a second."""
    with _serve(config, guarded) as (address, daemon_pid, sim):
        driver = client(address, 0.6)
        try:
            time.sleep(drive_time)
            killed = time.monotonic()
            os.kill(daemon_pid, signal.SIGKILL)
            time.sleep(1.0)
            stopped = sim.zero_since()
            return DaemonDeath(guarded, None if stopped is None else stopped - killed,
                               sim.duties())
        finally:
            driver.kill()
            driver.wait(10)


def run_guardian_act(hardware: str, window: float, drive_time: float,
                     client: Callable[[str, float], subprocess.Popen[str]],
                     say: Callable[[str], None]) -> tuple[DaemonDeath, DaemonDeath]:
    """The daemon's own death, with the guardian and then without."""
    data = demo_data(hardware, window)
    data["guardian"] = {"restart": "never"}
    with tempfile.TemporaryDirectory(prefix="tether-demo-") as folder:
        config = Path(folder) / "rover.toml"
        config.write_text(to_toml(data))
        guarded = kill_the_daemon(config, True, client, drive_time)
        if guarded.stopped_after is None:
            say(f"SIGKILL of the daemon itself: the guardian did NOT stop the wheels "
                f"({_duties(guarded)} a second later)")
        else:
            say(f"SIGKILL of the daemon itself (tether serve's default: a guardian process "
                f"watches it): every wheel at duty 0 {guarded.stopped_after * 1000:.1f} ms "
                f"later, written by the guardian from its own process")
        alone = kill_the_daemon(config, False, client, drive_time)
        if alone.stopped_after is None:
            say(f"the same kill with --no-guardian: a second later the wheels still drive "
                f"({_duties(alone)}); nothing in software is left to stop them")
        else:
            say(f"the same kill with --no-guardian: the wheels ran on until "
                f"{alone.stopped_after * 1000:.0f} ms after it (the controller's own timeout)")
    return guarded, alone


def _duties(death: DaemonDeath) -> str:
    return ", ".join(f"{n} {d:.2f}" for n, d in death.duties_after.items())
