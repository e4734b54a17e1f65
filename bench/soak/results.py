"""What the soak prints: the run, the faults, then five numbered figures (1. missed stops,
2. stop delays, 3. sessions leaked, 4. daemon RSS, 5. file descriptors), each with its target and
MET or MISSED, as bench/report.py parses them; and the stop delays as JSON lines for its plot."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import Counter
from typing import TYPE_CHECKING, Any

from figures import percentile

from soak.endings import BOUND, Ending, Tally
from soak.leaks import fds_leaked
from soak.rover import BASES, TETHER_WINDOWS, WINDOW

if TYPE_CHECKING:
    from soak.faults import Faults

#: (statistic, limit) per cause, on ends without a fault; "close" is viam-sdk's RobotClient.close(),
#: whose session ends by expiry (see the report), so its target is the window's.
TARGETS = {"kill": ("p99", 0.05), "hang": ("max", 0.02), "end": ("p99", 0.01),
           "drop": ("p99", 0.05), "close": ("max", WINDOW + 0.02)}


def ms(seconds: float) -> str:
    """Seconds as milliseconds, for printing."""
    return f"{seconds * 1e3:.1f} ms"


def verdict(met: bool) -> str:
    """The word the benches print after a target."""
    return "MET" if met else "MISSED"


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
    print("daemon: in this process (BackgroundDaemon), its simulated hardware in a process of "
          "its own (tether.sim): faults are injected through the fakes' switches, every stop "
          "record reaches a listener (the Status RPC keeps 20), duties are read from the "
          "simulated hardware on the same clock; clients are separate processes, so RSS and fds "
          "below are the daemon's (plus this scheduler's small bookkeeping), the fakes' memory "
          "is not in them")
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
    print(f"6. {figures.get('guardian', 'guardian kills: not counted')} (target 0)")
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
