"""The clients bench/pi_budget.py runs against a daemon on a CPU budget, each in its own process
(a laptop's share of the machine: never confined).

  drive ADDRESS BASE WINDOW [HZ]   a teleop client: set_power at HZ (20) in one session; after each
                                   reply prints "beat SENT REPLIED" (monotonic seconds); a line
                                   "end" on stdin ends the session gracefully ("ended T" first),
                                   "freeze" hangs it between two commands: it prints "frozen SENT
                                   REPLIED" of its last command and SIGSTOPs itself
  rtt ADDRESS BASE COUNT           COUNT monitored set_power round trips: prints JSON seconds
  beats ADDRESS SECONDS THREADS    heartbeats/s one client process gets through, THREADS sessions
"""

from __future__ import annotations

import json
import os
import select
import signal
import sys
import threading
import time

from tether.client import connect


def drive(address: str, base: str, window: float, hz: float) -> None:
    """Drive at 0.5, one command (one heartbeat) per period, until told to end or killed."""
    period = 1.0 / hz
    with connect(address) as rover, rover.session(heartbeat_window=window):
        wheels = rover.base(base)
        print("driving", flush=True)
        next_at = time.monotonic()
        while True:
            sent = time.monotonic()
            wheels.set_power(0.5, 0.0)
            print(f"beat {sent:.6f} {time.monotonic():.6f}", flush=True)
            next_at += period
            replied = time.monotonic()
            ready, _, _ = select.select([sys.stdin], [], [], max(0.0, next_at - time.monotonic()))
            line = sys.stdin.readline().strip() if ready else ""
            if line == "freeze":  # no command in flight: the daemon's deadline is fixed now
                print(f"frozen {sent:.6f} {replied:.6f}", flush=True)
                os.kill(os.getpid(), signal.SIGSTOP)
            if line == "end":
                print(f"ended {time.monotonic():.6f}", flush=True)
                break
            next_at = max(next_at, time.monotonic() - period)
    print("closed", flush=True)


def rtt(address: str, base: str, count: int) -> None:
    """Round trips of a monitored command (the session's id rides on each one)."""
    times: list[float] = []
    with connect(address) as rover, rover.session(heartbeat_window=2.0):
        wheels = rover.base(base)
        for i in range(count + 10):
            start = time.perf_counter()
            wheels.set_power(0.2 if i % 2 else 0.0, 0.0)
            if i >= 10:  # the first few open the connection's paths
                times.append(time.perf_counter() - start)
        wheels.stop()
    print(json.dumps(times), flush=True)


def beats(address: str, seconds: float, threads: int) -> None:
    """Heartbeats as fast as replies come, on `threads` sessions at once."""
    counts = [0] * threads
    start = threading.Barrier(threads + 1)
    end_at: list[float] = []

    def run(index: int) -> None:
        with connect(address) as rover, rover.session(heartbeat_window=2.0) as session:
            start.wait()
            while time.monotonic() < end_at[0]:
                session.heartbeat()
                counts[index] += 1

    workers = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    end_at.append(time.monotonic() + 30.0)
    start.wait()
    began = time.monotonic()
    end_at[0] = began + seconds
    for worker in workers:
        worker.join()
    print(json.dumps({"beats": sum(counts), "seconds": time.monotonic() - began}), flush=True)


def main(argv: list[str]) -> None:
    mode, address, *rest = argv
    if mode == "drive":
        drive(address, rest[0], float(rest[1]), float(rest[2]) if len(rest) > 2 else 20.0)
    elif mode == "rtt":
        rtt(address, rest[0], int(rest[1]))
    elif mode == "beats":
        beats(address, float(rest[0]), int(rest[1]))
    else:
        raise SystemExit(f"unknown mode {mode!r}: expected drive, rtt or beats")


if __name__ == "__main__":
    main(sys.argv[1:])
