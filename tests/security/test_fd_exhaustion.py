"""A stranger holding connections must not use up the daemon's fds: the real `tether serve` in a
child process with RLIMIT_NOFILE = 200 (so a few hundred sockets reach the limit), attacked from
127.0.0.2..7 while a keyed client on 127.0.0.1 tries to connect."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

from tests.security.connection_attacks import (
    KEY,
    DaemonProcess,
    HeldConnections,
    idle_http2_connections,
    keyed_client_connect_time,
    measure_during,
    silent_connections,
    write_rover_config,
)

NOFILE = 200
#: More connections than the daemon has fds: before the caps, this locked everyone out.
FLOOD = NOFILE + 100
#: Generous CI bound for "a new keyed client gets in" (the target is 1 s).
CONNECT_BOUND = 5.0
T = TypeVar("T")


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(asyncio.wait_for(coroutine, 90))


@pytest.fixture
def rover(tmp_path: Path) -> Iterator[DaemonProcess]:
    """`tether serve --sim` with keys and the drive page, RLIMIT_NOFILE = NOFILE."""
    daemon = DaemonProcess(write_rover_config(tmp_path), tmp_path / "daemon.log", nofile=NOFILE)
    try:
        daemon.wait_ready()
        yield daemon
    finally:
        daemon.close()


def test_idle_http2_flood_beyond_the_fd_limit_leaves_room_for_a_keyed_client(
    rover: DaemonProcess,
) -> None:
    """Before: the daemon hit EMFILE; the keyed client never connected; 700 kB/s of tracebacks
    and ~50 % CPU. Now the flood's address gets its per-address cap, the rest are closed."""

    async def attack() -> tuple[int, float, float, float | None, int]:
        host, port = rover.grpc_host_port
        held = await idle_http2_connections(host, port, FLOOD)
        try:
            cpu, log_rate, connect = await measure_during(
                rover, 3.0, lambda: keyed_client_connect_time(rover.address, KEY, 8.0)
            )
            return held.open_now(), cpu, log_rate, connect, rover.open_fds()
        finally:
            held.close()

    held, cpu, log_rate, connect, fds = run(attack())
    print(f"held {held}, cpu {cpu:.0f} %, log {log_rate:.0f} B/s, connect {connect}, fds {fds}")
    assert connect is not None, f"a keyed client could not connect while {held} were held"
    assert connect < CONNECT_BOUND
    assert held < FLOOD // 4, f"one address kept {held} of {FLOOD} connections"
    assert fds < NOFILE - 32, f"{fds} fds open of {NOFILE}: no room kept"
    assert log_rate < 1000, f"the daemon logged {log_rate:.0f} bytes/s under attack"
    assert cpu < 25, f"the daemon used {cpu:.0f} % CPU holding idle connections"
    assert "Traceback" not in rover.log_path.read_text()


def test_silent_connections_to_the_drive_page_neither_last_nor_lock_out_grpc(
    rover: DaemonProcess,
) -> None:
    """Before: 300 silent TCP connections to the web port were held forever and took the gRPC
    port's fds too (one fd table). Now they are capped, and dropped at the header deadline."""

    async def attack() -> tuple[float | None, int, int]:
        host, port = rover.web_host_port
        held: HeldConnections = await silent_connections(host, port, FLOOD)
        try:
            connect = await keyed_client_connect_time(rover.address, KEY, 8.0)
            return connect, held.open_now(), await held.settle(15.0)
        finally:
            held.close()

    connect, held, left = run(attack())
    print(f"connect {connect}, held {held}, still open after 15 s {left}")
    assert connect is not None and connect < CONNECT_BOUND, "the gRPC port was locked out"
    assert held < FLOOD // 4
    assert left == 0, f"{left} silent connections still open 15 s later"


def test_many_attacking_addresses_cannot_exhaust_fds_or_lock_out_a_keyed_client(
    rover: DaemonProcess,
) -> None:
    """Six addresses, 50 idle HTTP/2 connections each: more than the total cap. The daemon's fds
    stay below its limit, and a keyed client still gets in (an idle keyless one makes room)."""

    async def attack() -> tuple[float | None, int, float]:
        host, port = rover.grpc_host_port
        floods = [await idle_http2_connections(host, port, 50, source=f"127.0.0.{n}")
                  for n in range(2, 8)]
        try:
            _, log_rate, connect = await measure_during(
                rover, 2.0, lambda: keyed_client_connect_time(rover.address, KEY, 8.0)
            )
            return connect, rover.open_fds(), log_rate
        finally:
            for held in floods:
                held.close()

    connect, fds, log_rate = run(attack())
    print(f"connect {connect}, fds {fds}, log {log_rate:.0f} B/s")
    assert connect is not None and connect < CONNECT_BOUND
    assert fds < NOFILE - 32
    assert log_rate < 1000
    assert "Too many open files" not in rover.log_path.read_text()


def test_an_fd_limit_too_low_for_any_connection_refuses_to_start(tmp_path: Path) -> None:
    """Better a clear start-up error than a daemon any peer locks out with a few sockets."""
    daemon = DaemonProcess(write_rover_config(tmp_path), tmp_path / "daemon.log", nofile=64)
    try:
        code = daemon.process.wait(20)
    except subprocess.TimeoutExpired:
        code = None
    finally:
        daemon.close()
    log = daemon.log_path.read_text()
    assert code == 2, f"started (or exited {code}) with 64 fds: {log[-500:]}"
    assert "RLIMIT_NOFILE = 64: expected at least" in log
    assert "LimitNOFILE=" in log
