"""Attacks without a key, each for 20 s against a fresh daemon while a keyed client drives: what
the driver, the daemon and a newcomer with the key went through.

Run: python bench/attack_bench.py [--seconds 20] [--attack NAME ...] [--quick]

Every attack of tests/security (attacks.py, connection_attacks.py) and the key guesser of
bench/guess_bench.py runs in a process of its own, from 127.0.0.2 (another peer on the loopback
network; the many-addresses attack from 127.0.0.2-38), against a fresh `tether serve --sim`
(one API key, gRPC port and drive page on 127.0.0.1, RLIMIT_NOFILE 1024 as under systemd's
default, heartbeat window 0.5 s, the default). One-shot attacks are repeated, and held
connections topped up every second, until the time is up. Meanwhile, from 127.0.0.1, a keyed
client drives the base at 20 Hz (each SetPower a heartbeat of its session), and every 2 s a new
keyed client connects (Authenticate + ResourceNames) and a new drive-page tab with the key asks
for a session. Printed per attack: the driver's worst heartbeat gap and false stops (its session
expired under it), the daemon's RSS growth (peak, and after), its CPU and log, and how fast the
newcomers got in; first a baseline, the same daemon and witnesses with no attack, in the same
run. Every socket is on 127.0.0.0/8; every loop is bounded in count and time.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import select
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

# tests.security (the attacks and the daemon rig) lives beside bench/, not in the package.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from guess_bench import guess_secrets

from tests.security.attacks import ATTACKS as H2_ATTACKS
from tests.security.attacks import AttackReport, DriveReport, keyed_driver
from tests.security.connection_attacks import (
    ATTACKER,
    KEY,
    DaemonProcess,
    HeldConnections,
    HeldTabs,
    drive_page_connect_time,
    idle_http2_connections,
    keyed_client_connect_time,
    silent_connections,
    slow_headers,
    unauthenticated_drive_sockets,
    write_rover_config,
)

ROOT = Path(__file__).resolve().parent.parent
NOFILE = 1024           # systemd's default LimitNOFILE (examples/tether.service raises it)
WINDOW = 0.5            # the daemon's default heartbeat window (the rover config sets none)
CONNECTIONS = 1100      # held connections: more than the daemon has fds
ADDRESSES, PER_ADDRESS = 37, 30  # the many-addresses attack: past every per-address cap
TABS = 20               # keyless drive-page sockets: more than its 16 seats
TOP_UP_EVERY = 1.0      # s between two top-ups of held connections
PROBE_EVERY = 2.0       # s between two newcomers (a gRPC client and a tab)
PROBE_TIMEOUT = 5.0     # a newcomer not in by then counts as locked out
SETTLE = 0.5            # s for the daemon to go quiet before a memory reading
RSS_TARGET_MIB, CONNECT_TARGET = 20.0, 1.0


def verdict(met: bool) -> str:
    """The word the benches print after a target."""
    return "MET" if met else "MISSED"


# -- the attacks, each run in a child process ----------------------------------------------------


@dataclass(frozen=True)
class Target:
    """The daemon under attack: its gRPC address and its drive page's URL."""

    grpc: str
    web_url: str

    def host_port(self, port: str) -> tuple[str, int]:
        """The host and port of the "grpc" port or of the "web" one (the drive page)."""
        address = self.grpc if port == "grpc" else self.web_url.split("//")[1].rstrip("/")
        host, _, number = address.rpartition(":")
        return host, int(number)


@dataclass(frozen=True)
class Attack:
    """One attack: what a peer without a key does, and how (in the child: what it did)."""

    name: str
    what: str
    run: Callable[[Target, float], str]


def repeated(name: str, target: Target, seconds: float) -> str:
    """tests/security/attacks.py's attack `name` again and again until `seconds` pass."""
    until, total, rounds = time.monotonic() + seconds, AttackReport(name), 0
    while (left := until - time.monotonic()) > 0.1:
        add(total, H2_ATTACKS[name](target.grpc, left, source=ATTACKER))
        rounds += 1
    return described(total, rounds)


def add(total: AttackReport, report: AttackReport) -> None:
    """Fold one round's report into the total."""
    for name in ("connections", "closed_by_daemon", "refused_connections", "requests", "frames",
                 "bytes_sent"):
        setattr(total, name, getattr(total, name) + getattr(report, name))
    for outcome, count in report.statuses.items():
        total.statuses[outcome] = total.statuses.get(outcome, 0) + count
    if total.first_close_after is None:
        total.first_close_after = report.first_close_after
    total.goaway = report.goaway if report.goaway is not None else total.goaway


def described(report: AttackReport, rounds: int) -> str:
    """What an attack did, in one sentence (zero counts left out)."""
    counts = [f"{value:,} {label}" for value, label in (
        (report.requests, "calls"), (report.frames, "control frames written to the socket"),
        (report.bytes_sent, "body bytes")) if value]
    answers = ", ".join(f"{k} x{v:,}" for k, v in sorted(report.statuses.items()))
    return (f"{', '.join(counts) or 'nothing sent'} on {report.connections:,} connections "
            f"(rounds of the attack: {rounds:,}); {report.closed_by_daemon:,} closed by the "
            "daemon, "
            f"{report.refused_connections:,} refused at connect"
            + (f"; answers (grpc-status or outcome) {answers}" if answers else ""))


Opener = Callable[[str, int], Awaitable[HeldConnections]]


class Hold(Protocol):
    """connection_attacks.py's way to open `count` connections from `source` and hold them."""

    def __call__(
        self, host: str, port: int, count: int, *, source: str = ...
    ) -> Awaitable[HeldConnections]: ...


async def topped_up(open_from: Opener, sources: list[str], count: int, seconds: float) -> str:
    """Keep `count` connections open from each source (reopening what the daemon closed, every
    TOP_UP_EVERY s) until `seconds` pass."""
    until = time.monotonic() + seconds
    held: dict[str, list[HeldConnections]] = {source: [] for source in sources}
    opened = failed = most = 0
    try:
        while time.monotonic() < until:
            open_now = {s: sum(h.open_now() for h in batches) for s, batches in held.items()}
            most = max(most, sum(open_now.values()))
            for source, batches in held.items():
                for done in [h for h in batches if not h.open_now()]:
                    done.close()
                    batches.remove(done)
                if open_now[source] < count:
                    batch = await open_from(source, count - open_now[source])
                    batches.append(batch)
                    opened, failed = opened + len(batch.streams), failed + batch.failed
            await asyncio.sleep(TOP_UP_EVERY)
    finally:
        for batches in held.values():
            for batch in batches:
                batch.close()
    return (f"{opened:,} connections opened ({failed:,} failed to connect), topped up to "
            f"{count * len(sources):,} every {TOP_UP_EVERY:g} s; at most {most:,} still open "
            "at a top-up")


def held(hold: Hold, port: str, *, many: bool = False) -> Callable[[Target, float], str]:
    """A held-connections attack on the "grpc" or "web" port as a child runs it: from ATTACKER,
    or PER_ADDRESS from each of ADDRESSES addresses."""
    sources = [f"127.0.{n // 250}.{n % 250 + 2}" for n in range(ADDRESSES)] if many else [ATTACKER]
    count = PER_ADDRESS if many else CONNECTIONS

    def run(target: Target, seconds: float) -> str:
        host, number = target.host_port(port)
        return asyncio.run(topped_up(
            lambda source, n: hold(host, number, n, source=source), sources, count, seconds))

    return run


async def keyless_tabs(target: Target, seconds: float) -> str:
    """Keep TABS drive-page sockets without a key open (reopening closed ones) for `seconds`."""
    ws_url, origin = target.web_url.replace("http://", "ws://") + "ws", target.web_url.rstrip("/")
    until, opened, refused, most = time.monotonic() + seconds, 0, Counter[int](), 0
    tabs: list[HeldTabs] = []
    try:
        while time.monotonic() < until:
            open_now = sum(t.open_now() for t in tabs)
            most = max(most, open_now)
            batch = await unauthenticated_drive_sockets(ws_url, origin, TABS - open_now)
            tabs.append(batch)
            opened, refused = opened + len(batch.sockets), refused + Counter(batch.refused)
            await asyncio.sleep(TOP_UP_EVERY)
    finally:
        for batch in tabs:
            await batch.close()
    shown = ", ".join(f"{status} x{n}" for status, n in sorted(refused.items())) or "none"
    return (f"{opened:,} sockets opened, refused {shown}; at most {most} still open at a "
            f"top-up (of {TABS})")


def brute_force(target: Target, seconds: float) -> str:
    """bench/guess_bench.py's guesser: wrong secrets for the real key id from ATTACKER."""
    answers: Counter[str] = Counter()
    port = int(target.grpc.rpartition(":")[2])
    began = time.monotonic()
    asyncio.run(guess_secrets(port, KEY[0], seconds, answers, source=ATTACKER))
    total = sum(answers.values())
    kinds = ", ".join(f"{kind} x{n:,}" for kind, n in sorted(answers.items()))
    return f"{total:,} guesses answered ({total / (time.monotonic() - began):,.0f}/s): {kinds}"


def h2(name: str) -> Callable[[Target, float], str]:
    """tests/security/attacks.py's attack `name`, repeated until the time is up."""
    return lambda target, seconds: repeated(name, target, seconds)


ATTACKS = [
    Attack("rapid-reset", "HTTP/2 rapid reset: Authenticate calls opened and cancelled at once, "
           "100 per write, reconnecting when closed", h2("rapid-reset")),
    Attack("ping-flood", "PING frames as fast as the socket takes them, reconnecting when "
           "closed", h2("ping-flood")),
    Attack("settings-flood", "empty SETTINGS frames as fast as the socket takes them",
           h2("settings-flood")),
    Attack("priority-flood", "PRIORITY frames as fast as the socket takes them",
           h2("priority-flood")),
    Attack("window-update-flood", "1-byte WINDOW_UPDATE frames as fast as the socket takes them",
           h2("window-update-flood")),
    Attack("oversized-request", "Authenticate calls whose prefix declares 4 GiB, then as much "
           "of 256 MiB of body as flow control lets through, one after another",
           h2("oversized-request")),
    Attack("malformed-requests", "Authenticate calls whose body is not protobuf or ends "
           "short, one after another", h2("malformed-requests")),
    Attack("malformed-headers", "calls with headers grpclib cannot read (no :path, bad -bin "
           "metadata, non-ASCII)", h2("malformed-headers")),
    Attack("wrong-key-calls", "Authenticate with a made-up key, call after call, reconnecting "
           "when closed", h2("wrong-key-calls")),
    Attack("idle-connection", "one HTTP/2 connection that says nothing (answering PINGs), "
           "reopened when closed", h2("idle-connection")),
    Attack("grpc-idle-h2", f"{CONNECTIONS:,} idle HTTP/2 connections to the gRPC port from one "
           "address", held(idle_http2_connections, "grpc")),
    Attack("grpc-idle-h2-many", f"{PER_ADDRESS} idle HTTP/2 connections from each of "
           f"{ADDRESSES} addresses ({PER_ADDRESS * ADDRESSES:,})",
           held(idle_http2_connections, "grpc", many=True)),
    Attack("web-silent", f"{CONNECTIONS:,} silent TCP connections to the drive page",
           held(silent_connections, "web")),
    Attack("web-slow", f"{CONNECTIONS:,} drive-page requests whose headers never end",
           held(slow_headers, "web")),
    Attack("keyless-tabs", f"{TABS} drive-page sockets that never send a key",
           lambda target, seconds: asyncio.run(keyless_tabs(target, seconds))),
    Attack("brute-force", "wrong secrets for the real key id on Authenticate, 4 connections x "
           "16 calls in flight (bench/guess_bench.py)", brute_force),
]
BY_NAME = {attack.name: attack for attack in ATTACKS}


def child(name: str, target: Target, seconds: float) -> int:
    """The child process: say 'attacking', run the attack, print what it did."""
    print("attacking", flush=True)
    print(BY_NAME[name].run(target, seconds), flush=True)
    return 0


# -- the daemon under attack and its witnesses ---------------------------------------------------


@dataclass
class Outcome:
    """What one scenario (an attack, or none) did to the driver, the daemon and the newcomers."""

    name: str
    did: str = ""
    drive: DriveReport = field(default_factory=DriveReport)
    rss_before: float = 0.0
    rss_peak: float = 0.0
    rss_after: float = 0.0
    cpu: float = 0.0
    elapsed: float = 0.0
    log_bytes: int = 0
    clients: list[float | None] = field(default_factory=list)  # gRPC newcomers' connect times
    tabs: list[float | None] = field(default_factory=list)     # drive-page newcomers' times
    failure: str = ""  # the bench itself failed (the daemon died, the attack crashed)

    @property
    def false_stops(self) -> int:
        """Times the driver's session expired under it while it drove."""
        return self.drive.expired

    @property
    def growth(self) -> float:
        """Peak RSS growth over the attack, MiB."""
        return self.rss_peak - self.rss_before

    @property
    def worst_connect(self) -> float | None:
        """The slowest newcomer of either kind; None if one did not get in at all."""
        times = [*self.clients, *self.tabs]
        if not times or any(t is None for t in times):
            return None
        return max(t for t in times if t is not None)


def page_addresses(daemon: DaemonProcess) -> tuple[str, str]:
    """The drive page's WebSocket URL and the Origin a tab of it sends."""
    return daemon.web_url.replace("http://", "ws://") + "ws", daemon.web_url.rstrip("/")


async def newcomers(daemon: DaemonProcess, seconds: float, outcome: Outcome) -> None:
    """Every PROBE_EVERY s for `seconds`: a new keyed gRPC client, then a new keyed tab."""
    ws_url, origin = page_addresses(daemon)
    until = time.monotonic() + seconds - PROBE_EVERY / 2
    await asyncio.sleep(PROBE_EVERY / 2)
    while time.monotonic() < until:
        began = time.monotonic()
        outcome.clients.append(await keyed_client_connect_time(daemon.address, KEY, PROBE_TIMEOUT))
        outcome.tabs.append(await drive_page_connect_time(ws_url, origin, KEY, PROBE_TIMEOUT))
        await asyncio.sleep(max(0.0, began + PROBE_EVERY - time.monotonic()))


async def memory(daemon: DaemonProcess, seconds: float, outcome: Outcome) -> None:
    """The daemon's peak RSS, sampled every 0.1 s for `seconds`."""
    until = time.monotonic() + seconds
    while time.monotonic() < until and daemon.process.poll() is None:
        outcome.rss_peak = max(outcome.rss_peak, daemon.rss_mib())
        await asyncio.sleep(0.1)


async def witness(daemon: DaemonProcess, seconds: float, outcome: Outcome) -> None:
    """The keyed driver, the newcomers and the memory sampler, side by side for `seconds`."""
    drive, _, _ = await asyncio.gather(
        keyed_driver(daemon.address, KEY[0], KEY[1], seconds),
        newcomers(daemon, seconds, outcome),
        memory(daemon, seconds, outcome),
    )
    outcome.drive = drive


async def warm_up(daemon: DaemonProcess) -> None:
    """A short drive and a newcomer of each kind: their first allocations are no attack's."""
    ws_url, origin = page_addresses(daemon)
    await keyed_driver(daemon.address, KEY[0], KEY[1], 0.5)
    await keyed_client_connect_time(daemon.address, KEY, PROBE_TIMEOUT)
    await drive_page_connect_time(ws_url, origin, KEY, PROBE_TIMEOUT)


def start_attack(attack: Attack, daemon: DaemonProcess, seconds: float,
                 errors: Path) -> subprocess.Popen[str]:
    """The attack's child process, once it says it is attacking."""
    with open(errors, "w") as stderr:
        process = subprocess.Popen(
            [sys.executable, __file__, "--child", attack.name, "--grpc", daemon.address,
             "--web", daemon.web_url, "--seconds", str(seconds)],
            stdout=subprocess.PIPE, stderr=stderr, text=True, cwd=ROOT,
        )
    assert process.stdout is not None
    ready, _, _ = select.select([process.stdout], [], [], 60)
    line = process.stdout.readline() if ready else ""
    if line.strip() != "attacking":
        process.kill()
        process.wait(10)
        raise RuntimeError(f"attack {attack.name} did not start: {line!r} "
                           f"{errors.read_text()[-2000:]}")
    return process


def finish_attack(process: subprocess.Popen[str], seconds: float, errors: Path) -> str:
    """What the child says it did (it stops on its own at `seconds`); killed if it overruns."""
    try:
        out, _ = process.communicate(timeout=seconds + 60)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        raise RuntimeError(f"the attack ran past {seconds + 60:.0f} s") from None
    if process.returncode != 0:
        raise RuntimeError(f"the attack exited {process.returncode}: "
                           f"{errors.read_text()[-2000:]}")
    return out.strip().splitlines()[-1] if out.strip() else "(it said nothing)"


def scenario(attack: Attack | None, seconds: float) -> Outcome:
    """A fresh daemon, warmed up; the attack (if any) beside the witnesses for `seconds`."""
    outcome = Outcome(attack.name if attack else "baseline")
    with tempfile.TemporaryDirectory(prefix="tether-attack-") as scratch:
        folder = Path(scratch)
        daemon = DaemonProcess(write_rover_config(folder), folder / "daemon.log", nofile=NOFILE)
        try:
            daemon.wait_ready()
            asyncio.run(warm_up(daemon))
            measure(daemon, attack, seconds, outcome, folder / "attack.err")
        except Exception as error:  # a failed scenario is reported; the others still run
            outcome.failure = f"{type(error).__name__}: {error}"
        finally:
            if daemon.process.poll() is not None and not outcome.failure:
                outcome.failure = f"the daemon exited {daemon.process.returncode}"
            daemon.close()
    return outcome


def measure(daemon: DaemonProcess, attack: Attack | None, seconds: float, outcome: Outcome,
            errors: Path) -> None:
    """The attack's child beside the witnesses; the daemon's memory, CPU and log around them."""
    time.sleep(SETTLE)
    outcome.rss_before = outcome.rss_peak = daemon.rss_mib()
    cpu, logged = daemon.cpu_seconds(), daemon.log_bytes()
    process = start_attack(attack, daemon, seconds, errors) if attack else None
    try:
        began = time.monotonic()
        asyncio.run(witness(daemon, seconds, outcome))
        outcome.elapsed, outcome.cpu = time.monotonic() - began, daemon.cpu_seconds() - cpu
        outcome.did = finish_attack(process, seconds, errors) if process else "no attack"
    finally:
        if process is not None and process.poll() is None:
            process.kill()
            process.communicate()
    time.sleep(SETTLE)
    outcome.rss_after = daemon.rss_mib()
    outcome.rss_peak = max(outcome.rss_peak, outcome.rss_after)
    outcome.log_bytes = daemon.log_bytes() - logged


# -- printing ------------------------------------------------------------------------------------


def ms(seconds: float | None) -> str:
    """Seconds as whole milliseconds ('locked out' for None)."""
    return "locked out" if seconds is None else f"{seconds * 1e3:.0f} ms"


def newcomers_line(times: list[float | None]) -> str:
    """'9 of 9 in, worst 30 ms' for one kind of newcomer."""
    got_in = [t for t in times if t is not None]
    return f"{len(got_in)} of {len(times)} in, worst {ms(max(got_in) if got_in else None)}"


def cpu_percent(outcome: Outcome) -> float:
    """The daemon's CPU over the attack, % of one core."""
    return 100 * outcome.cpu / outcome.elapsed if outcome.elapsed else 0.0


def errors_text(drive: DriveReport) -> str:
    """The driver's failed commands by error, or 'no errors'."""
    return ", ".join(f"{text} x{n}" for text, n in sorted(drive.errors.items())) or "no errors"


def figure(number: int, title: str, outcome: Outcome, baseline: Outcome | None) -> None:
    """One numbered figure: what the attack did, then each measurement against its target."""
    print(f"{number}. {title}")
    if outcome.failure:
        print(f"   the bench FAILED here: {outcome.failure}")
        return
    print(f"   what it did (its own count): {outcome.did}.")
    drive, connect = outcome.drive, outcome.worst_connect
    print(f"   driver at 20 Hz, {WINDOW * 1e3:.0f} ms window: {drive.commands} commands answered, "
          f"worst heartbeat gap {ms(drive.worst_gap)}, {errors_text(drive)}   "
          f"target 0 false stops: {verdict(outcome.false_stops == 0 and drive.commands > 0)} "
          f"({outcome.false_stops})")
    print(f"   daemon RSS {outcome.rss_before:.1f} MiB before, peak +{outcome.growth:.1f} MiB, "
          f"{outcome.rss_after - outcome.rss_before:+.1f} MiB after   target peak growth < "
          f"{RSS_TARGET_MIB:.0f} MiB: {verdict(outcome.growth < RSS_TARGET_MIB)}")
    print(f"   daemon CPU {outcome.cpu:.1f} s in {outcome.elapsed:.1f} s "
          f"({cpu_percent(outcome):.0f} % of one core), log +{outcome.log_bytes / 1e3:.1f} kB   "
          "no target")
    print(f"   newcomers with the key: gRPC client {newcomers_line(outcome.clients)}; drive-page "
          f"tab {newcomers_line(outcome.tabs)}   target every one in within "
          f"{CONNECT_TARGET * 1e3:.0f} ms: "
          f"{verdict(connect is not None and connect < CONNECT_TARGET)}")
    if baseline is not None and not baseline.failure:
        print(f"   baseline (no attack, same run): worst gap {ms(baseline.drive.worst_gap)}, "
              f"{baseline.false_stops} false stops, RSS peak +{baseline.growth:.1f} MiB, CPU "
              f"{cpu_percent(baseline):.0f} %, newcomers worst {ms(baseline.worst_connect)}")


def summary(outcomes: list[Outcome]) -> None:
    """The figures again as one markdown table (the README's)."""
    print("summary:")
    print("| attack | driver's worst gap | false stops | daemon RSS, peak growth | daemon CPU "
          "| newcomers with the key (gRPC; tab): in, worst |")
    print("|---|---|---|---|---|---|")
    for o in outcomes:
        if o.failure:
            print(f"| {o.name} | bench failed: {o.failure[:80]} | | | | |")
            continue
        print(f"| {o.name} | {ms(o.drive.worst_gap)} | {o.false_stops} | +{o.growth:.1f} MiB "
              f"| {o.cpu:.1f} s ({cpu_percent(o):.0f} %) | {newcomers_line(o.clients)}; "
              f"{newcomers_line(o.tabs)} |")


def title(attack: Attack) -> str:
    """A figure's first line: the attack, where it comes from, what it does."""
    many = attack.name == "grpc-idle-h2-many"
    source = f"127.0.0.2-{ADDRESSES + 1}" if many else ATTACKER
    return f"{attack.name} from {source}: {attack.what}"


def main(argv: list[str] | None = None) -> int:
    """The baseline, then each attack (or those named), each against a fresh daemon."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, help="per attack (default 20; 5 with --quick)")
    parser.add_argument("--quick", action="store_true", help="5 s per attack, for a smoke run")
    parser.add_argument("--attack", action="append", choices=list(BY_NAME), metavar="NAME",
                        help=f"run only this one (repeatable): {', '.join(BY_NAME)}")
    parser.add_argument("--child", choices=list(BY_NAME), help=argparse.SUPPRESS)
    parser.add_argument("--grpc", help=argparse.SUPPRESS)
    parser.add_argument("--web", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    seconds = args.seconds or (5.0 if args.quick else 20.0)
    if args.child:
        return child(args.child, Target(args.grpc, args.web), seconds)
    attacks = [BY_NAME[name] for name in args.attack] if args.attack else ATTACKS
    began = time.monotonic()
    print(f"tether attack bench ({'quick' if args.quick else 'full'}): {seconds:g} s per attack, "
          f"a baseline and {len(attacks)} attack(s), each against a fresh `tether serve --sim` "
          f"(RLIMIT_NOFILE {NOFILE}); python {platform.python_version()}, {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.2f} at the start", flush=True)
    baseline = scenario(None, seconds)
    figure(1, "baseline, no attack: the same daemon, driver and newcomers, nothing else",
           baseline, None)
    outcomes = [baseline]
    for number, attack in enumerate(attacks, start=2):
        outcomes.append(scenario(attack, seconds))
        figure(number, title(attack), outcomes[-1], baseline)
        sys.stdout.flush()
    summary(outcomes)
    print(f"total {time.monotonic() - began:.0f} s; load average {os.getloadavg()[0]:.2f} at the "
          "end")
    return 1 if any(o.failure for o in outcomes) else 0


if __name__ == "__main__":
    sys.exit(main())
