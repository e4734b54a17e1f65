"""No false kill: `tether serve --sim` with its guardian at the default hang_timeout (0.2 s),
driven for N minutes by client processes that come and go (viam-sdk, tether.client and raw
grpclib, SIGKILLed or SIGSTOPped and replaced every few seconds) while `tether status` is asked
every second; then the guardian's kills are counted from its log. Every kill here is false:
nothing hangs the daemon on purpose.

Run: python bench/guardian_soak.py [--minutes N] [--quick]
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.faults.guarded_rig import Hardware, Serve
from tests.faults.rig import free_port

CLIENT = Path(__file__).resolve().parent.parent / "tests" / "faults" / "fault_client.py"
#: (kind, what it drives): five clients, one per resource, as five users would.
DRIVERS = (("viam", ["--base", "base"]), ("tether", ["--base", "hat_base"]),
           ("raw", ["--motor", "saber"]), ("tether", ["--motor", "claw"]),
           ("raw", ["--motor", "smc"]))


def start_client(address: str, kind: str, target: list[str]) -> subprocess.Popen[str]:
    """A driving client process (20 Hz, each command a heartbeat), quiet."""
    return subprocess.Popen(
        [sys.executable, str(CLIENT), address, kind, *target, "--power", "0.4", "--rate", "20",
         "--start-tries", "20"], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL, text=True)


def soak(minutes: float, seed: int) -> tuple[int, int, int, list[str], float]:
    """(guardian kills, client faults, status calls, the guardian's kill lines, the mean number
    of outputs driven, sampled every second)."""
    import asyncio

    from tether.status import fetch_status

    rng = random.Random(seed)
    with tempfile.TemporaryDirectory() as tmp:
        # A fixed port: after a (false) kill the restarted daemon is where the clients retry.
        hardware = Hardware(Path(tmp), restart="always", listen=f"127.0.0.1:{free_port()}")
        serve = Serve(hardware)
        clients = [start_client(serve.address, k, t) for k, t in DRIVERS]
        faults = statuses = 0
        driven: list[int] = []
        try:
            until = time.monotonic() + minutes * 60
            next_fault = time.monotonic() + 3.0
            while time.monotonic() < until:
                time.sleep(1.0)
                driven.append(sum(d != 0.0 for d in hardware.duties().values()))
                try:
                    asyncio.run(fetch_status(serve.address, timeout=3.0))
                    statuses += 1
                except Exception:  # a restarted daemon listens elsewhere: counted below anyway
                    pass
                if time.monotonic() >= next_fault:
                    index = rng.randrange(len(clients))
                    victim = clients[index]
                    if rng.random() < 0.5:
                        victim.send_signal(signal.SIGSTOP)  # hung past its window, then gone
                        time.sleep(0.8)
                    victim.kill()
                    victim.wait(10)
                    clients[index] = start_client(serve.address, *DRIVERS[index])
                    faults += 1
                    next_fault = time.monotonic() + rng.uniform(2.0, 5.0)
        finally:
            for client in clients:
                client.kill()
                client.wait(10)
            serve.close()
            hardware.close()
        kills = [line.strip() for line in serve.lines if "hung:" in line and "SIGKILL" in line]
        return len(kills), faults, statuses, kills, sum(driven) / max(1, len(driven))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--quick", action="store_true", help="half a minute")
    args = parser.parse_args()
    minutes = 0.5 if args.quick else args.minutes
    load = os.getloadavg()[0]
    kills, faults, statuses, lines, driven = soak(minutes, args.seed)
    print(f"guardian soak: {minutes:g} min, seed {args.seed}, {os.cpu_count()} CPUs, load "
          f"average {load:.2f} at the start, {os.getloadavg()[0]:.2f} at the end; five clients "
          f"(viam-sdk, tether.client, raw grpclib) driving at 20 Hz, {faults} of them SIGKILLed "
          f"or SIGSTOPped and replaced, tether status asked {statuses} times; {driven:.1f} of 7 "
          f"outputs driven on average")
    print(f"1. guardian kills of a daemon nobody hung (default hang_timeout 0.2 s): {kills}   "
          f"target 0: {'MET' if kills == 0 else 'MISSED'}")
    for line in lines[:10]:
        print(f"   {line}")


if __name__ == "__main__":
    main()
