"""Stop figures on a Raspberry Pi's CPU budget, emulated: the daemon and the guardian each confined
to a share of one core of this machine (bench/cpu_budget.py: a cgroup per process, 10 ms
period), the simulated hardware (standing in for the devices and for pigpiod, a C daemon) and
the clients (a laptop) unconfined. Budgets: 1/8 of a core (Pi Zero 2 W class), 1/4 (Pi 3),
1/2 (Pi 4), and unlimited, the baseline of the same run. The share each Pi class really gets is
estimated first, from one pure-Python loop against published figures (see `calibrate`).

At each budget, with a realistic load on the rover (a 20 Hz teleop client driving a second
base, the drive page open, `tether status` every second): client SIGKILL -> duty 0; hung client
-> duty 0 after its deadline; daemon SIGKILL -> duty 0 (the guardian); graceful end -> duty 0;
monitored command round trip; heartbeats/s; the smallest heartbeat window that would have had no
false expiry and the false expiries at the default window, and the guardian's false kills at its
default hang timeout, over the soak; `tether serve` to ready; import time; RSS of each process.

Needs root (cgroups). Run: python bench/pi_budget.py [--quick] [--soak SECONDS] [--runs N]
Emulated budgets on this machine, not Pi measurements.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import math
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from cpu_budget import CpuBudget, hierarchy, move_home
from figures import percentile
from processes import Child, cpu_seconds, free_port, rss_mib

from tether.demo.guardian import SERVING
from tether.sim.addresses import PREFIX, SimAddresses
from tether.sim.client import SimClient

ROOT = Path(__file__).resolve().parent.parent
CLIENT = ROOT / "bench" / "budget_client.py"
BUDGETS: tuple[tuple[str, float | None], ...] = (
    ("unlimited (baseline)", None), ("1/2 core", 0.5), ("1/4 core", 0.25), ("1/8 core", 0.125),
    ("1/16 core", 0.0625),
)
#: The soak runs its full length at the budget the targets are set for, a fifth of it elsewhere.
FULL_SOAK_AT = 0.125
WINDOW = 0.5  # the daemon's default heartbeat window
HANG_TIMEOUT = 0.2  # the guardian's default
MEASURED = ("left", "right")  # base "base": the stop figures
LOADED = ("load_left", "load_right")  # base "teleop": the 20 Hz load client's
TARGET = 0.020
#: Every child's environment: tether importable from this checkout, with its bytecode cached
#: (an installed tether has .pyc files; PYTHONDONTWRITEBYTECODE, set on some CI machines, would
#: make every process compile tether from source and count that as import time).
CHILD_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
CHILD_ENV["PYTHONPATH"] = str(ROOT)


# -- calibration -------------------------------------------------------------------------------

#: A published pure-Python figure for a Pi 4: the Computer Language Benchmarks Game's n-body
#: program in Python, 5,000,000 steps, 158.26 s on a Raspberry Pi 4 Model B (4 GB, 1.5 GHz,
#: performance governor), Chaitanya Mehta, "Performance Analysis of Languages on Raspberry Pi",
#: chaitanyamehta.github.io/projects/performance-analysis-of-programming-languages.
PI4_NBODY_SECONDS, PI4_NBODY_STEPS = 158.26, 5_000_000
#: Per-core ratios between Pi classes, from sysbench cpu (1 thread) on leoncode.co.uk's
#: "Raspberry Pi CPU Benchmarks": Pi 3B+ 687.45 events/s, Pi 4 1477.83. The Zero 2 W has the
#: Pi 3's Cortex-A53 at 1.0 GHz instead of the 3B+'s 1.4 GHz: scaled by clock (an estimate).
PI3_PER_PI4 = 687.45 / 1477.83
ZERO2_PER_PI4 = PI3_PER_PI4 * 1.0 / 1.4


def _nbody_steps(steps: int) -> float:
    """Seconds for `steps` steps of five bodies under gravity, the n-body benchmark's loop
    (written here: pairs of bodies, dt 0.01, plain floats and lists)."""
    pi, days = 3.141592653589793, 365.24
    mass = 4 * pi * pi
    bodies = [
        [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, mass],
        [4.84143144246472090e+00, -1.16032004402742839e+00, -1.03622044471123109e-01,
         1.66007664274403694e-03 * days, 7.69901118419740425e-03 * days,
         -6.90460016972063023e-05 * days, 9.54791938424326609e-04 * mass],
        [8.34336671824457987e+00, 4.12479856412430479e+00, -4.03523417114321381e-01,
         -2.76742510726862411e-03 * days, 4.99852801234917238e-03 * days,
         2.30417297573763929e-05 * days, 2.85885980666130812e-04 * mass],
        [1.28943695621391310e+01, -1.51111514016986312e+01, -2.23307578892655734e-01,
         2.96460137564761618e-03 * days, 2.37847173959480950e-03 * days,
         -2.96589568540237556e-05 * days, 4.36624404335156298e-05 * mass],
        [1.53796971148509165e+01, -2.59193146099879641e+01, 1.79258772950371181e-01,
         2.68067772490389322e-03 * days, 1.62824170038242295e-03 * days,
         -9.51592254519715870e-05 * days, 5.15138902046611451e-05 * mass],
    ]
    pairs = [(bodies[i], bodies[j]) for i in range(5) for j in range(i + 1, 5)]
    dt = 0.01
    began = time.perf_counter()
    for _ in range(steps):
        for a, b in pairs:
            dx, dy, dz = a[0] - b[0], a[1] - b[1], a[2] - b[2]
            mag = dt * (dx * dx + dy * dy + dz * dz) ** -1.5
            bm, am = b[6] * mag, a[6] * mag
            a[3] -= dx * bm
            a[4] -= dy * bm
            a[5] -= dz * bm
            b[3] += dx * am
            b[4] += dy * am
            b[5] += dz * am
        for body in bodies:
            body[0] += dt * body[3]
            body[1] += dt * body[4]
            body[2] += dt * body[5]
    return time.perf_counter() - began


def calibrate(steps: int) -> None:
    """Print what share of this machine's core each Pi class's core is, for this loop."""
    here = min(_nbody_steps(steps) for _ in range(3)) / steps
    pi4 = PI4_NBODY_SECONDS / PI4_NBODY_STEPS
    share4 = here / pi4
    print("1. calibration: one pure-Python loop (n-body, five bodies), best of 3 x "
          f"{steps:,} steps here")
    print(f"   here: {here * 1e6:.2f} us/step; published Pi 4 (1.5 GHz): {pi4 * 1e6:.2f} us/step "
          "(CLBG n-body in Python, 5M steps in 158.26 s, Chaitanya Mehta)")
    print(f"   so a Pi 4 core ~ {share4:.2f} of this core; Pi 3B+ ~ {share4 * PI3_PER_PI4:.2f}; "
          f"Zero 2 W ~ {share4 * ZERO2_PER_PI4:.2f} (sysbench per-core ratios, leoncode.co.uk; "
          "Zero 2 W scaled by clock)")
    for name, share in (("Pi 4", share4), ("Pi 3B+", share4 * PI3_PER_PI4),
                        ("Zero 2 W", share4 * ZERO2_PER_PI4)):
        nearest = min((b for b in BUDGETS if b[1] is not None),
                      key=lambda b: abs(math.log(b[1] or 1.0) - math.log(share)))
        print(f"   {name}: nearest budget {nearest[0]}")
    print("   caveats: a different Python version and build on the Pi; one loop is not a "
          "daemon's mix of work")


# -- the rover, served on a budget --------------------------------------------------------------


def rover_toml(web_port: int) -> str:
    """Four GPIO motors on the fake pigpiod: "base" (measured) and "teleop" (the load client's);
    the daemon's default window and the guardian's default hang timeout; the drive page on."""
    motors = "".join(
        f'[[motor]]\nname = "{name}"\ndriver = "gpio"\nin1 = {a}\nin2 = {b}\npwm = {p}\n'
        for name, (a, b, p) in (("left", (5, 6, 12)), ("right", (20, 21, 13)),
                                ("load_left", (16, 17, 18)), ("load_right", (22, 23, 19))))
    return (
        f'[server]\nlisten = "127.0.0.1:0"\nheartbeat_window = {WINDOW}\n'
        '[gpio]\npin_factory = "pigpio"\n'
        '[guardian]\nrestart = "always"\nmax_restarts = 100\n'
        f'[web]\nenabled = true\nlisten = "127.0.0.1:{web_port}"\n'
        + motors +
        '[[base]]\nname = "base"\nleft = ["left"]\nright = ["right"]\n'
        'width_mm = 160\nwheel_circumference_mm = 204\n'
        '[[base]]\nname = "teleop"\nleft = ["load_left"]\nright = ["load_right"]\n'
        'width_mm = 160\nwheel_circumference_mm = 204\n'
    )


def children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


class Served:
    """`tether serve --sim` with the guardian in one budget from its first instruction, each
    daemon it starts moved into another as soon as it appears (within ~1 ms), the
    simulated-hardware process moved out (it stands for devices and pigpiod)."""

    def __init__(self, config: Path, guardian: CpuBudget, daemon: CpuBudget) -> None:
        self.guardian_budget, self.daemon_budget = guardian, daemon
        self.placed: set[int] = set()
        self._closing = threading.Event()
        command = (f"echo $$ > {guardian.procs_file} && exec {sys.executable} -m tether serve "
                   f"{config} --sim")
        self.started = time.monotonic()
        self.child = Child(["sh", "-c", command], env=CHILD_ENV, new_session=True)
        self.process = self.child.process
        threading.Thread(target=self._place, daemon=True).start()
        self.address, self.daemon_pid, self.guardian_pid = self.wait_serving(120)
        self.ready_after = time.monotonic() - self.started
        sim_line = self.child.wait_for(PREFIX, 30)
        self.sim = SimClient(SimAddresses.parse(sim_line).inspect)

    def _place(self) -> None:
        """Every 1 ms: a new child of the guardian goes to its budget."""
        while not self._closing.is_set() and self.process.poll() is None:
            for child in children(self.process.pid):
                if child in self.placed:
                    continue
                line = cmdline(child)
                with contextlib.suppress(OSError):
                    if "tether.sim" in line:
                        move_home(child)
                        self.placed.add(child)
                    elif "--no-guardian" in line:
                        self.daemon_budget.add(child)
                        self.placed.add(child)
            time.sleep(0.001)

    def wait_serving(self, timeout: float) -> tuple[str, int, int]:
        match = SERVING.search(self.child.wait_for(SERVING, timeout))
        assert match is not None and match[3]
        return match[1], int(match[2]), int(match[3])

    def close(self) -> None:
        self._closing.set()
        with contextlib.suppress(Exception):
            self.sim.close()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)


# -- the clients --------------------------------------------------------------------------------


def start_client(*args: str) -> Child:
    """bench/budget_client.py in its own process (a line on its stdin steers it)."""
    return Child([sys.executable, str(CLIENT), *args], stdin=subprocess.PIPE, env=CHILD_ENV)


def wait_zero(sim: SimClient, names: tuple[str, ...], since: float, timeout: float) -> float:
    """Seconds from `since` until every named output read 0 (device-side time)."""
    until = time.monotonic() + timeout
    while time.monotonic() < until:
        zero = sim.zero_since(list(names))
        if zero is not None:
            return zero - since
        time.sleep(0.002)
    raise RuntimeError(f"outputs {names} still driven {timeout} s later: {sim.duties()}")


def driving(served: Served, run: int) -> Child:
    """A drive client on "base", moving; the fault lands at a different point of its cycle."""
    client = start_client("drive", served.address, "base", str(WINDOW))
    client.wait_for("driving", 60)
    until = time.monotonic() + 10
    while not all(abs(served.sim.duties()[n]) > 0.4 for n in MEASURED):
        if time.monotonic() > until:
            raise RuntimeError(f"base not driven: {served.sim.duties()}")
        time.sleep(0.005)
    time.sleep(0.1 + (run % 5) * 0.011)
    return client


def client_kill(served: Served, run: int) -> float:
    client = driving(served, run)
    try:
        killed = time.monotonic()
        client.process.kill()
        return wait_zero(served.sim, MEASURED, killed, 5 + 10 * WINDOW)
    finally:
        client.close()


def client_hang(served: Served, run: int) -> tuple[float, float, float]:
    """A client that hangs between two commands: (duty 0 - the latest its deadline can be,
    duty 0 - the earliest, the daemon's own record of stop entered - deadline). Its last
    command was sent at SENT and answered at REPLIED, so the deadline is in [SENT + window,
    REPLIED + window]."""
    client = driving(served, run)
    try:
        client.send("freeze")
        _, sent, replied = client.wait_for("frozen ", 30).split()
        start = float(replied)
        stopped = start + wait_zero(served.sim, MEASURED, start, 5 + 10 * WINDOW)
        record = stop_record(served, "base")
        return stopped - (float(sent) + WINDOW), stopped - (start + WINDOW), record
    finally:
        client.close()


def stop_record(served: Served, resource: str) -> float:
    """The daemon's own delay (stop entered - deadline) of the latest expiry of `resource`."""
    from tether.client import connect

    until = time.monotonic() + 10
    with connect(served.address) as rover:
        while time.monotonic() < until:
            stops = [s for s in rover.status().recent_stops
                     if s.resource == resource and s.reason == "expired"]
            if stops:
                return min(stops, key=lambda s: s.age_s).delay_ms / 1000
            time.sleep(0.05)
    raise RuntimeError(f"no expiry of {resource!r} in the daemon's recent stops")


def graceful_end(served: Served, run: int) -> float:
    client = driving(served, run)
    try:
        asked = time.monotonic()
        client.send("end")
        return wait_zero(served.sim, MEASURED, asked, 10)
    finally:
        client.close()


def daemon_kill(served: Served, run: int) -> float:
    """SIGKILL the daemon while a client drives; the guardian safes; wait for the next daemon."""
    client = driving(served, run)
    try:
        killed = time.monotonic()
        os.kill(served.daemon_pid, signal.SIGKILL)
        delay = wait_zero(served.sim, MEASURED, killed, 10)
    finally:
        client.close()
    served.address, served.daemon_pid, _ = served.wait_serving(120)
    return delay


def round_trips(served: Served, count: int) -> list[float]:
    client = start_client("rtt", served.address, "base", str(count))
    try:
        line = client.wait_for("[", 300)
        times: list[float] = json.loads(line)
        return times
    finally:
        client.close()


def heartbeats_per_s(served: Served, seconds: float) -> float:
    client = start_client("beats", served.address, str(seconds), "4")
    try:
        found = json.loads(client.wait_for("{", seconds + 120))
        return float(found["beats"] / found["seconds"])
    finally:
        client.close()


# -- the load -----------------------------------------------------------------------------------


@dataclass
class Load:
    """The 20 Hz teleop client, the drive page, `tether status` every second."""

    served: Served
    web_port: int
    teleop: Child | None = None
    status_runs: int = 0
    status_failures: int = 0
    page_frames: int = 0
    page_errors: list[str] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)

    def start(self) -> None:
        self.teleop = start_client("drive", self.served.address, "teleop", str(WINDOW))
        self.teleop.wait_for("driving", 60)
        for target in (self._status, self._page):
            thread = threading.Thread(target=target, daemon=True)
            thread.start()
            self._threads.append(thread)

    def _status(self) -> None:
        while not self._stop.wait(1.0):
            done = subprocess.run(
                [sys.executable, "-m", "tether", "status", self.served.address],
                capture_output=True, cwd=ROOT, env=CHILD_ENV,
                timeout=60, check=False)
            self.status_runs += 1
            self.status_failures += done.returncode != 0

    def _page(self) -> None:
        asyncio.run(self._page_socket())

    async def _page_socket(self) -> None:
        """An open, idle drive page: reads status frames, heartbeats every window/3."""
        import aiohttp

        url = f"http://127.0.0.1:{self.web_port}/ws"
        try:
            async with aiohttp.ClientSession() as http, http.ws_connect(
                    url, origin=f"http://127.0.0.1:{self.web_port}") as ws:
                last = 0.0
                while not self._stop.is_set():
                    with contextlib.suppress(asyncio.TimeoutError):
                        message = await ws.receive(timeout=0.05)
                        if message.type == aiohttp.WSMsgType.TEXT:
                            self.page_frames += 1
                        elif message.type in (aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR):
                            self.page_errors.append(str(message))
                            return
                    if time.monotonic() - last >= WINDOW / 3:
                        await ws.send_str('{"type": "heartbeat"}')
                        last = time.monotonic()
        except Exception as exc:
            self.page_errors.append(f"{type(exc).__name__}: {exc}")

    def teleop_gaps(self, since: float) -> tuple[float, int]:
        """(the largest SENT-to-next-REPLIED span of the beats sent after `since`: an upper
        bound on the gap between two heartbeats the daemon took, number of beats)."""
        assert self.teleop is not None
        beats = [line.split() for line in self.teleop.drain() if line.startswith("beat ")]
        beats = [b for b in beats if float(b[1]) >= since]
        gaps = [float(b[2]) - float(a[1]) for a, b in itertools.pairwise(beats)]
        return (max(gaps) if gaps else float("nan")), len(beats)

    def teleop_alive(self) -> bool:
        return self.teleop is not None and self.teleop.process.poll() is None

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(70)
        if self.teleop is not None:
            self.teleop.close()


# -- one budget ---------------------------------------------------------------------------------


def import_seconds(budget: CpuBudget) -> float:
    """Wall time of `import tether.server.daemon` (what serve imports) in a fresh interpreter in
    the budget, interpreter start excluded."""
    code = ("import time; t = time.perf_counter(); import tether.server.daemon; "
            "print(time.perf_counter() - t)")
    done = subprocess.run(
        ["sh", "-c", f"echo $$ > {budget.procs_file} && exec {sys.executable} -c '{code}'"],
        capture_output=True, text=True, cwd=ROOT, env=CHILD_ENV,
        timeout=300, check=True)
    return float(done.stdout.strip())


def stats(values: list[float]) -> str:
    p50, p99 = statistics.median(values) * 1e3, percentile(values, 0.99) * 1e3
    most = max(values) * 1e3
    return f"p50 {p50:6.1f} ms  p99 {p99:6.1f} ms  max {most:6.1f} ms  (n={len(values)})"


@dataclass
class Figures:
    """One budget's figures (seconds unless named)."""

    label: str
    share: float | None
    results: dict[str, Any] = field(default_factory=dict)


def run_budget(label: str, share: float | None, args: argparse.Namespace, tag: str) -> Figures:
    print(f"pi_budget: {label} from {time.strftime('%H:%M:%S')}", file=sys.stderr, flush=True)
    figures = Figures(label, share)
    out = figures.results
    guardian = CpuBudget(f"tether-bench-{tag}-guardian", share)
    daemon = CpuBudget(f"tether-bench-{tag}-daemon", share)
    served: Served | None = None
    load: Load | None = None
    try:
        out["budget"] = daemon.describe()
        out["import"] = statistics.median(import_seconds(daemon) for _ in range(3))
        with tempfile.TemporaryDirectory() as tmp:
            web_port = free_port()
            config = Path(tmp) / "rover.toml"
            config.write_text(rover_toml(web_port))
            served = Served(config, guardian, daemon)
            out["ready"] = served.ready_after
            load = Load(served, web_port)
            load.start()
            time.sleep(1.0)
            out["rss"] = {"guardian": rss_mib(served.guardian_pid),
                          "daemon": rss_mib(served.daemon_pid),
                          "sim": rss_mib(children_named(served, "tether.sim"))}
            measure(served, load, daemon, args, out)
    finally:
        if load is not None:
            load.stop()
        if served is not None:
            served.close()
        guardian.close()
        daemon.close()
    return figures


def measure(served: Served, load: Load, daemon: CpuBudget, args: argparse.Namespace,
            out: dict[str, Any]) -> None:
    """Every figure of one budget on a served, loaded rover (the soak before the daemon kills)."""
    runs = args.runs
    out["client_kill"] = [client_kill(served, i) for i in range(runs)]
    hangs = [client_hang(served, i) for i in range(runs)]
    out["client_hang"] = [latest for latest, _, _ in hangs]
    out["client_hang_earliest"] = [earliest for _, earliest, _ in hangs]
    out["client_hang_record"] = [record for _, _, record in hangs]
    out["graceful"] = [graceful_end(served, i) for i in range(runs)]
    out["rtt"] = round_trips(served, args.rtt)
    out["beats"] = heartbeats_per_s(served, 3.0)
    soak_start = time.monotonic()
    cpu_start = cpu_seconds(served.daemon_pid)
    share = daemon.share
    length = args.soak if share == FULL_SOAK_AT else args.soak / 5
    while time.monotonic() - soak_start < length:
        time.sleep(1.0)
        if not load.teleop_alive():
            break
    out["soak"] = time.monotonic() - soak_start
    out["daemon_cpu"] = (cpu_seconds(served.daemon_pid) - cpu_start) / out["soak"]
    gap, beats = load.teleop_gaps(soak_start)
    out["gap"], out["beats_seen"] = gap, beats
    out["teleop_alive"] = load.teleop_alive()
    status = served_status(served)
    out["expiries"] = sum(1 for s in status["stops"] if s == "expired")
    out["guardian_actions"] = status["guardian_actions"]
    out["daemon_restarts_in_soak"] = int(status["daemon_pid"] != served.daemon_pid)
    out["throttled"] = daemon.throttled()
    out["status"] = (load.status_runs, load.status_failures)
    out["page"] = (load.page_frames, load.page_errors[:3])
    out["daemon_kill"] = [daemon_kill(served, i) for i in range(args.kills)]


def children_named(served: Served, marker: str) -> int:
    for child in children(served.process.pid):
        if marker in cmdline(child):
            return child
    raise RuntimeError(f"no child of tether serve runs {marker}")


def served_status(served: Served) -> dict[str, Any]:
    """Recent stops' reasons (the teleop session's expiries show here), the guardian's actions
    and the daemon's pid, from the daemon's Status."""
    from tether.client import connect

    with connect(served.address) as rover:
        status = rover.status()
    return {"stops": [s.reason for s in status.recent_stops if s.resource in ("teleop",)
                      or s.resource in LOADED],
            "guardian_actions": len(status.guardian_actions), "daemon_pid": status.daemon_pid}


# -- report -------------------------------------------------------------------------------------


def verdict(met: bool) -> str:
    return "MET" if met else "MISSED"


def report_setup() -> None:
    """What every budget's figures were measured under."""
    print("   setup: the daemon and the guardian each in a cgroup of its own at the budget; the "
          "simulated hardware and the clients unconfined; load on the rover throughout: a 20 Hz "
          "teleop client on base 'teleop', the drive page open, `tether status` every 1 s; "
          f"window {WINDOW} s, hang timeout {HANG_TIMEOUT} s. Emulated budgets on this machine, "
          "not Pi measurements.", flush=True)


def report(number: int, figures: Figures, base: dict[str, Any]) -> None:
    """One numbered figure for one budget, each line against the unlimited baseline."""
    r = figures.results
    print(f"{number}. {figures.label}: {r['budget']}")
    for key, name in (("client_kill", "client SIGKILL -> duty 0"),
                      ("client_hang", "hung client, duty 0 - its deadline, at most"),
                      ("daemon_kill", "daemon SIGKILL -> duty 0 (guardian)")):
        met = percentile(r[key], 0.99) <= TARGET
        print(f"   {name}: {stats(r[key])}   target p99 <= 20 ms: {verdict(met)}"
              + ("" if met else f" (by {(percentile(r[key], 0.99) - TARGET) * 1e3:.0f} ms)")
              + f"; baseline p99 {percentile(base[key], 0.99) * 1e3:.1f} ms")
    missed = [key for key in ("client_kill", "client_hang", "daemon_kill")
              if percentile(r[key], 0.99) > TARGET]
    if missed:
        periods, seconds = r["throttled"]
        print(f"   why missed ({', '.join(missed)}): the daemon used "
              f"{r['daemon_cpu'] * 100:.1f} % of a core under the load against a quota of "
              f"{(figures.share or 1.0) * 100:.1f} %, in bursts, and was throttled in {periods} "
              f"periods ({seconds:.1f} s): a stop that finds the quota spent waits for the next "
              "period, and for the GIL behind the request being handled (per call, most of it "
              "is grpclib/h2: docs/performance)")
    print(f"   hung client, duty 0 - its deadline, at least: "
          f"{stats(r['client_hang_earliest'])}   no target")
    print(f"   hung client, the daemon's own record, stop entered - deadline: "
          f"{stats(r['client_hang_record'])}   no target")
    print(f"   graceful end -> duty 0: {stats(r['graceful'])}   no target; baseline p50 "
          f"{statistics.median(base['graceful']) * 1e3:.1f} ms")
    print(f"   monitored round trip: {stats(r['rtt'])}   no target; baseline p50 "
          f"{statistics.median(base['rtt']) * 1e3:.1f} ms")
    print(f"   heartbeats/s, 4 sessions at once: {r['beats']:.0f} /s   no target; baseline "
          f"{base['beats']:.0f} /s")
    clean = r["expiries"] == 0 and r["teleop_alive"]
    print(f"   soak {r['soak']:.0f} s, false expiries at the {WINDOW} s window: "
          f"{r['expiries']} (teleop client still driving: {r['teleop_alive']})   target 0: "
          f"{verdict(clean)}")
    print(f"   largest gap between two teleop heartbeats (upper bound): {r['gap'] * 1e3:.1f} "
          f"ms over {r['beats_seen']} beats, so the smallest window with 0 false expiries "
          f"is about {r['gap'] * 1e3:.0f} ms   no target; baseline {base['gap'] * 1e3:.1f} ms")
    print(f"   daemon CPU during the soak: {r['daemon_cpu'] * 100:.1f} % of a core   no target; "
          f"baseline {base['daemon_cpu'] * 100:.1f} %")
    print(f"   guardian false kills at the {HANG_TIMEOUT} s hang timeout during the soak: "
          f"{r['daemon_restarts_in_soak']}   target 0: "
          f"{verdict(r['daemon_restarts_in_soak'] == 0)}")
    late = r["ready"] - 3.0
    print(f"   tether serve -> ready: {r['ready'] * 1e3:.0f} ms   target <= 3000 ms: "
          f"{verdict(late <= 0)}"
          + ("" if late <= 0 else f" (by {late * 1e3:.0f} ms; why: the imports, "
             f"{r['import'] * 1e3:.0f} ms for tether.server.daemon alone at this budget, "
             "after the guardian's own start)")
          + f"; baseline {base['ready'] * 1e3:.0f} ms")
    print(f"   import tether.server.daemon: {r['import'] * 1e3:.0f} ms   no target; baseline "
          f"{base['import'] * 1e3:.0f} ms")
    rss = r["rss"]
    print(f"   RSS: daemon {rss['daemon']:.1f} MiB, guardian {rss['guardian']:.1f} MiB, "
          f"simulated hardware {rss['sim']:.1f} MiB   no target")
    periods, seconds = r["throttled"]
    print(f"   the daemon was throttled in {periods} periods ({seconds:.1f} s) before the "
          f"daemon kills; status polls {r['status'][0]}, {r['status'][1]} failed; drive "
          f"page frames {r['page'][0]}" + (f", errors {r['page'][1]}" if r['page'][1] else ""),
          flush=True)


def save(all_figures: list[Figures], args: argparse.Namespace) -> None:
    """The JSON and the plot, when asked for."""
    if args.json:
        Path(args.json).write_text(json.dumps(
            [{"label": f.label, "share": f.share, **f.results} for f in all_figures],
            indent=1, default=str))
    if args.plot:
        plot(all_figures, Path(args.plot))


def plot(all_figures: list[Figures], path: Path) -> None:
    """Stop delays per budget: one panel per fault, one strip of dots per budget."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    faults = (("client_kill", "client SIGKILL -> duty 0"),
              ("client_hang", "hung client: duty 0 - deadline (at most)"),
              ("daemon_kill", "daemon SIGKILL -> duty 0 (guardian)"))
    figure, axes = plt.subplots(1, len(faults), figsize=(15, 4.2), sharey=False)
    for axis, (key, title) in zip(axes, faults, strict=True):
        for row, figures in enumerate(all_figures):
            values = [v * 1e3 for v in figures.results[key]]
            axis.scatter(values, [row] * len(values), s=14, alpha=0.6)
            axis.plot([statistics.median(values)] * 2, [row - 0.3, row + 0.3], color="black")
        axis.axvline(TARGET * 1e3, color="red", linestyle="--", linewidth=1)
        axis.set_yticks(range(len(all_figures)), [f.label for f in all_figures], fontsize=8)
        axis.set_xlabel("ms")
        axis.set_title(title, fontsize=10)
    figure.suptitle("Emulated CPU budgets on this machine (cgroup quota, 10 ms period), not Pi "
                    "measurements; black bar: median, dashed red: the 20 ms target", fontsize=9)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="few runs, a 20 s soak")
    parser.add_argument("--soak", type=float, default=300.0, help="seconds of driving per budget")
    parser.add_argument("--runs", type=int, default=10, help="faults of each client kind")
    parser.add_argument("--kills", type=int, default=5, help="daemon SIGKILLs per budget")
    parser.add_argument("--rtt", type=int, default=300, help="round trips per budget")
    parser.add_argument("--json", help="also write every figure here")
    parser.add_argument("--plot", help="also draw the stop delays per budget here (PNG)")
    parser.add_argument("--only", help="run only budgets whose label contains this")
    args = parser.parse_args()
    if args.quick:
        args.soak, args.runs, args.kills, args.rtt = min(args.soak, 20.0), 5, 3, 100
    if os.geteuid() != 0:
        raise SystemExit("pi_budget needs root: it makes cgroups")
    kind, home = hierarchy()
    print(f"pi_budget: cgroup {kind} at {home}; load average {os.getloadavg()[0]:.2f}; "
          f"{os.cpu_count()} CPUs")
    calibrate(20_000 if args.quick else 100_000)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # the cgroups go in `finally`
    cache = tempfile.mkdtemp(prefix="tether-bench-pyc-")
    CHILD_ENV["PYTHONPYCACHEPREFIX"] = cache
    subprocess.run([sys.executable, "-m", "compileall", "-q", "tether"], cwd=ROOT, env=CHILD_ENV,
                   check=True, stdout=subprocess.DEVNULL)
    tag = str(os.getpid())
    chosen = [(label, share) for label, share in BUDGETS
              if share is None or not args.only or args.only in label]
    report_setup()
    all_figures: list[Figures] = []
    try:
        for i, (label, share) in enumerate(chosen):
            try:
                figures = run_budget(label, share, args, f"{tag}-{i}")
            except Exception as exc:
                traceback.print_exc(file=sys.stderr)
                print(f"{i + 2}. {label}: the run failed: {type(exc).__name__}: "
                      f"{str(exc)[:300]}", flush=True)
                if not all_figures:
                    raise
                continue
            all_figures.append(figures)
            report(i + 2, figures, all_figures[0].results)
            save(all_figures, args)
    finally:
        shutil.rmtree(cache, ignore_errors=True)


if __name__ == "__main__":
    main()
