"""tether's own client against the daemon, with baselines measured in the same run (issue 7).

Run: python bench/client_bench.py [--quick]

1. monitored SetPower round trip with tether.client (blocking API), against a bare grpclib echo
   called the same way (the caller's thread -> a client loop thread -> a server loop thread);
2. graceful end (leaving `with client.session()`) -> every duty 0;
3. SIGKILL of a client process whose session is bound to an Attach stream -> every duty 0,
   against waiting one heartbeat window.
Every socket is on 127.0.0.1; every loop is bounded in count and time.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

from api_bench import (
    LoopThread,
    echo_call,
    spread,
    start_echo_server,
    stop_echo_server,
    verdict,
)
from figures import percentile
from grpclib.client import Channel
from processes import free_port

from tether.client import connect
from tether.demo_configs import demo_config
from tether.server.background import BackgroundDaemon

ROOT = Path(__file__).resolve().parent.parent
CLIENT = ROOT / "tests" / "client" / "clients_tether.py"
WINDOW = 0.5


def round_trips(daemon: BackgroundDaemon, calls: int) -> tuple[list[float], list[float]]:
    """(tether client set_power, bare echo) seconds per call, interleaved in blocks of 50."""
    server_loop, client_loop = LoopThread(), LoopThread()
    port = free_port()
    server = server_loop.call(start_echo_server(port))

    async def open_echo() -> Channel:
        return Channel("127.0.0.1", port)

    channel = client_loop.call(open_echo())
    call_echo = echo_call(channel)

    async def echo(i: int) -> None:
        await call_echo(i)

    ours: list[float] = []
    bare: list[float] = []
    try:
        with connect(daemon.address) as rover, rover.session(heartbeat_window=5.0):
            base = rover.base()
            for i in range(100):
                base.set_power(0.5 if i % 2 else 0.4, 0.0)
                client_loop.call(echo(i))
            for block in range(max(1, calls // 50)):
                for i in range(50):
                    began = time.perf_counter()
                    base.set_power(0.5 if (block + i) % 2 else 0.4, 0.0)
                    ours.append(time.perf_counter() - began)
                for i in range(50):
                    began = time.perf_counter()
                    client_loop.call(echo(i))
                    bare.append(time.perf_counter() - began)
    finally:
        channel.close()
        server_loop.call(stop_echo_server(server))
        server_loop.close()
        client_loop.close()
    return ours, bare


def graceful_ends(daemon: BackgroundDaemon, runs: int) -> list[float]:
    """Seconds from leaving the session block to every duty 0."""
    delays = []
    with connect(daemon.address) as rover:
        for _ in range(runs):
            with rover.session(heartbeat_window=5.0):
                rover.base().set_power(0.5, 0.0)
                left = time.monotonic()
            stopped = daemon.stopped_at()
            if stopped is None:
                raise RuntimeError("the rover still moves after the session ended")
            delays.append(stopped - left)
    return delays


def attach_kills(daemon: BackgroundDaemon, runs: int) -> list[float]:
    """Seconds from SIGKILL of a tether.client process (2 s window) to every duty 0."""
    delays = []
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for _ in range(runs):
        process = subprocess.Popen(
            [sys.executable, str(CLIENT), daemon.address, "2.0", "sleep"],
            stdout=subprocess.PIPE, text=True, env=env,
        )
        try:
            assert process.stdout is not None
            if process.stdout.readline().strip() != "driving":
                raise RuntimeError("the client process did not start")
            time.sleep(0.1)
            killed = time.monotonic()
            process.kill()
            if daemon.wait_until(lambda: not daemon.moving(), 5) is None:
                raise RuntimeError("the rover did not stop after the kill")
            stopped = daemon.stopped_at()
            assert stopped is not None
            delays.append(stopped - killed)
        finally:
            process.kill()
            process.wait(10)
    return delays


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    args = parser.parse_args()
    calls, ends, kills = (200, 10, 3) if args.quick else (2000, 50, 20)
    daemon = BackgroundDaemon(demo_config("gpio", WINDOW), sim=True, listen="127.0.0.1:0")
    try:
        ours, bare = round_trips(daemon, calls)
        p50, p99 = percentile(ours, 0.5), percentile(ours, 0.99)
        print(f"1. monitored SetPower round trip, tether.client (blocking) -> daemon (sim gpio), "
              f"{len(ours)} calls:")
        print(f"   tether client {spread(ours)}   targets p50 <= 0.5 ms: {verdict(p50 <= 5e-4)},"
              f" p99 <= 2 ms: {verdict(p99 <= 2e-3)}")
        print(f"   baseline bare grpclib echo, called the same way {spread(bare)}"
              f"   ratio p50 {p50 / percentile(bare, 0.5):.2f}x")
        delays = graceful_ends(daemon, ends)
        print(f"2. graceful end (leaving the session block) -> every duty 0, {len(delays)} runs: "
              f"{spread(delays)}   target <= 10 ms: {verdict(percentile(delays, 0.99) <= 0.01)}"
              " (p99)")
        kills_ = attach_kills(daemon, kills)
        print(f"3. Attach-stream client SIGKILL -> every duty 0, {len(kills_)} runs: "
              f"{spread(kills_)}   target <= 50 ms: {verdict(percentile(kills_, 0.99) <= 0.05)}"
              f" (p99); baseline: its 2 s window ({2.0 / percentile(kills_, 0.5):.0f}x the p50)")
    finally:
        daemon.close()


if __name__ == "__main__":
    asyncio.set_event_loop_policy(None)
    main()
