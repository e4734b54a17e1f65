"""The command line: `soak.py --minutes N [--seed S] [--delays FILE]` sets up the daemon, runs
the scheduler, takes the leak figures, cleans up on every path and prints the results;
`soak.py --worker KIND ADDRESS PARENT` is a client process."""

from __future__ import annotations

import argparse
import gc
import logging
import signal
import sys
import time
from typing import Any

import soak as package
from soak.clients import worker_main
from soak.endings import LogCount, Tally
from soak.guardian import GuardianCount
from soak.leaks import fake_retention, leftovers, open_fds, rss_mib
from soak.results import report, write_delays
from soak.rover import rover_data
from soak.scheduler import Soak

DESCRIPTION = (package.__doc__ or "").split("\n\n")[0]


def soak(args: argparse.Namespace) -> int:
    """Set up, run, clean up (on every path), report."""
    from tether.config import parse_config
    from tether.server.background import BackgroundDaemon

    figures: dict[str, Any] = {"began": time.monotonic()}
    tally = Tally()
    logger = logging.getLogger("tether")
    logger.addHandler(LogCount(tally))
    logger.propagate = False
    daemon = BackgroundDaemon(parse_config(rover_data(), "<soak rover>"), sim=True,
                              listen="127.0.0.1:0")
    runner: Soak | None = None
    guardian: GuardianCount | None = None
    try:
        guardian = GuardianCount(daemon)
        runner = Soak(daemon, args.seed, tally)
        gc.collect()
        fds_before, rss_start = open_fds(), rss_mib()
        series = [rss_start]
        runner.run(args.minutes * 60, lambda: series.append(rss_mib()))
        runner.quit_all()
        runner.faults.clear()
        figures["leftovers"] = leftovers(daemon)
        daemon.robot.stop_all()  # reopens a serial port closed by a failed write: fds comparable
        gc.collect()
        series.append(rss_mib())
        figures["rss"], figures["fakes"] = series, fake_retention(daemon.sim)
        figures["fds"] = (fds_before, open_fds())
    finally:
        if guardian is not None:
            figures["guardian"] = guardian.close()
        if runner is not None:
            runner.close()
        daemon.close()
    if args.delays:
        write_delays(args.delays, tally.endings)
    assert runner is not None
    return report(tally, runner.faults, figures, args)


def on_signal(signum: int, _frame: Any) -> None:
    """SIGTERM/SIGHUP: unwind, so every client process and the daemon are cleaned up."""
    raise SystemExit(128 + signum)


def main() -> int:
    """Parse the arguments; a client process, or the soak."""
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        worker_main(sys.argv[2], sys.argv[3], int(sys.argv[4]))
        return 0
    parser = argparse.ArgumentParser(description=DESCRIPTION)
    parser.add_argument("--minutes", type=float, default=1.0, help="how long to soak")
    parser.add_argument("--seed", type=int, default=1, help="seed of every random choice")
    parser.add_argument("--delays", help="write each stop delay to this file (JSON lines)")
    args = parser.parse_args()
    if not 0 < args.minutes <= 24 * 60:
        parser.error("--minutes: expected a number in (0, 1440]")
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, on_signal)
    return soak(args)
