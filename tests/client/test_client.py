"""tether's own client: sessions that end with the application, local validation, recovery."""

from __future__ import annotations

import asyncio
import math
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from grpclib.events import RecvRequest, listen

from tests.server.harness import DaemonThread
from tether.client import connect, connect_async
from tether.errors import ConnectionLost, InvalidCommand, SessionExpired, UnknownResource

SCRIPT = Path(__file__).resolve().parent / "clients_tether.py"
ROOT = Path(__file__).resolve().parent.parent.parent
BOUND = 0.05  # graceful end targets 10 ms; generous for CI


@pytest.fixture
def daemon() -> Iterator[DaemonThread]:
    running = DaemonThread()
    yield running
    running.close()


def count_requests(daemon: DaemonThread) -> list[str]:
    seen: list[str] = []

    async def record(event: RecvRequest) -> None:
        seen.append(event.method_name)

    server = daemon.daemon._server
    assert server is not None
    listen(server, RecvRequest, record)
    return seen


def test_commands_drive_and_leaving_the_block_stops_at_once(daemon: DaemonThread) -> None:
    with connect(daemon.address) as rover:
        assert ("base", "base") in rover.resource_names()
        with rover.session(heartbeat_window=0.5) as session:
            rover.base().set_power(0.5, 0.2)
            assert daemon.moving() and session.heartbeat() > 0.4
            assert rover.base().is_moving()
            left = rover.motor("left")
            assert left.is_powered()[0]
            ended = time.monotonic()
        stopped = daemon.stopped_at()
        assert stopped is not None and stopped - ended < BOUND
        assert daemon.daemon.api.sessions.sessions() == []  # type: ignore[union-attr]


def test_an_exception_in_the_block_ends_the_session(daemon: DaemonThread) -> None:
    with connect(daemon.address) as rover:
        with pytest.raises(RuntimeError), rover.session():
            rover.base().set_power(-0.3, 0)
            raise RuntimeError("script bug")
        assert not daemon.moving()


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda b: b.set_power(math.nan, 0), "linear=nan: expected a number in"),
        (lambda b: b.set_power(0, 1.5), "angular=1.5"),
        (lambda b: b.move_straight(math.inf, 10), "distance_mm=inf"),
        (lambda b: b.spin(90, math.nan), "deg_per_s=nan"),
        (lambda b: b.move_straight(1e19, 10), "distance_mm=1e\\+19: expected a number in"),
    ],
)
def test_bad_values_fail_locally_before_anything_is_sent(
    daemon: DaemonThread, call: object, message: str
) -> None:
    with connect(daemon.address) as rover, rover.session():
        seen = count_requests(daemon)
        with pytest.raises(InvalidCommand, match=message):
            call(rover.base())  # type: ignore[operator]
        assert seen == [], "nothing reached the daemon"
        assert not daemon.moving()


def test_session_expired_then_the_next_command_starts_a_new_session(daemon: DaemonThread) -> None:
    with connect(daemon.address) as rover, rover.session(heartbeat_window=0.2) as session:
        rover.base().set_power(0.4, 0)
        first = session.id
        time.sleep(0.35)  # the app stalls past its window: no background heartbeat saves it
        assert not daemon.moving()
        with pytest.raises(SessionExpired):
            session.heartbeat()
        rover.base().set_power(0.4, 0)
        assert session.id != first and daemon.moving()
        session.heartbeat()


def test_keepalive_opt_in_keeps_a_quiet_app_alive(daemon: DaemonThread) -> None:
    with connect(daemon.address) as rover, rover.session(0.2, keepalive=True):
        rover.base().set_power(0.4, 0)
        time.sleep(0.6)
        assert daemon.moving(), "keepalive heartbeats from the client's loop thread"
    assert not daemon.moving()


def test_unknown_resource_and_connection_loss(daemon: DaemonThread) -> None:
    rover = connect(daemon.address)
    try:
        with pytest.raises(UnknownResource, match="no base named 'tank'"):
            rover.base("tank").stop()
        daemon.close()
        with pytest.raises(ConnectionLost, match="reconnect"):
            rover.base().is_moving()
    finally:
        rover.close()


def test_reconnect_after_the_daemon_comes_back() -> None:
    first = DaemonThread()
    port = first.address.rsplit(":", 1)[1]
    rover = connect(first.address)
    try:
        first.close()
        with pytest.raises(ConnectionLost):
            rover.base().is_moving()
        second = DaemonThread(listen=f"127.0.0.1:{port}")
        try:
            rover.reconnect()
            with rover.session():
                rover.base().set_power(0.2, 0)
                assert second.moving()
        finally:
            second.close()
    finally:
        rover.close()


def test_async_client(daemon: DaemonThread) -> None:
    async def drive() -> bool:
        client = await connect_async(daemon.address)
        try:
            async with client.session(heartbeat_window=0.5):
                await client.base().set_power(0.3, -0.1)
                return daemon.moving()
        finally:
            client.close()

    assert asyncio.run(drive()) is True
    assert not daemon.moving()


def start(address: str, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(
        [sys.executable, str(SCRIPT), address, *args], stdout=subprocess.PIPE, text=True, env=env
    )
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "driving"
    return process


def test_killed_client_stops_the_rover_at_once(daemon: DaemonThread) -> None:
    process = start(daemon.address, "2.0", "sleep")
    try:
        assert daemon.moving()
        killed = time.monotonic()
        process.send_signal(signal.SIGKILL)
        assert daemon.wait_until(lambda: not daemon.moving(), 3)
        stopped = daemon.stopped_at()
        assert stopped is not None and stopped - killed < 0.25, "not the 2 s window"
    finally:
        process.kill()
        process.wait(10)


@pytest.mark.parametrize(("keepalive", "stops"), [(False, True), (True, False)])
def test_a_hung_app_stops_at_its_window_unless_it_opted_into_keepalive(
    daemon: DaemonThread, keepalive: bool, stops: bool
) -> None:
    extra = ["keepalive"] if keepalive else []
    process = start(daemon.address, "0.3", "hang", *extra)
    try:
        hung = time.monotonic()  # the script's main thread now sleeps: the app is "hung"
        time.sleep(0.9)
        assert (not daemon.moving()) is stops
        if stops:
            stopped = daemon.stopped_at()
            assert stopped is not None and stopped - hung < 0.3 + 0.2
    finally:
        process.kill()
        process.wait(10)


def test_sigstopped_client_stops_at_the_window(daemon: DaemonThread) -> None:
    process = start(daemon.address, "0.4", "sleep", "keepalive")
    try:
        frozen = time.monotonic()
        process.send_signal(signal.SIGSTOP)
        assert daemon.wait_until(lambda: not daemon.moving(), 3)
        stopped = daemon.stopped_at()
        assert stopped is not None
        assert 0.4 - 0.08 - 0.05 <= stopped - frozen <= 0.4 + 0.3
    finally:
        process.kill()
        process.wait(10)
