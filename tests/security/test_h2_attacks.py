"""What a peer without a key can make the daemon hold, one attack at a time (issue 14).

Each test runs an attack from tests/security/attacks.py against a keyed `tether serve --sim`
process on 127.0.0.1 (tests/security/rig.py), most of them beside a keyed client driving at
20 Hz in a session with a 1 s window, and checks what the driver, the daemon's memory (VmRSS)
and its log went through. Every attack is bounded in time and count.
"""

from __future__ import annotations

import asyncio
import json
import struct
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from grpclib.client import Channel
from h2.errors import ErrorCodes
from h2.events import RemoteSettingsChanged

from tests.security.attacks import (
    AUTHENTICATE,
    AttackReport,
    DriveReport,
    RawConnection,
    bearer,
    idle_connection,
    keyed_driver,
    malformed_headers,
    malformed_requests,
    oversized_request,
    split_address,
    unary_call,
    wrong_key_calls,
)
from tests.security.rig import KeyedDaemon, attack_process, settle, start_keyed_daemon
from tether.wire.tether.v1 import control_grpc, control_pb2
from tether.wire.viam.robot.v1 import robot_grpc, robot_pb2

ATTACK_SECONDS = 4.0
#: The driver heartbeats every 50 ms in a 1 s window. Generous CI bound for its worst gap during
#: an attack: ~0.08 s measured with the guard, 2.8-4.8 s (and expiries) without it.
WORST_GAP = 0.6
#: The issue's target for the daemon's RSS growth during an attack.
RSS_GROWTH_MIB = 20.0
#: What a connection without a key may do (tether/server/budgets.py has the exact values; these
#: bounds are what the tests hold it to): a dozen calls or so, ten seconds or so.
CALLS_WITHOUT_A_KEY = 16
IDLE_WITHOUT_A_KEY = (5.0, 20.0)
#: Flow-control windows the daemon may grant (grpclib's default is 4 MiB each).
MAX_STREAM_WINDOW, MAX_CONNECTION_WINDOW = 128 * 1024, 256 * 1024


def run_beside_driver(daemon: KeyedDaemon, attack: str) -> tuple[dict[str, object], DriveReport]:
    """The attack in its own process while a keyed driver drives for as long (and a bit)."""
    process = attack_process(attack, daemon.address, ATTACK_SECONDS)
    try:
        drive = asyncio.run(keyed_driver(
            daemon.address, daemon.key_id, daemon.secret, ATTACK_SECONDS + 1.0
        ))
        out, err = process.communicate(timeout=ATTACK_SECONDS + 60)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, err
    report: dict[str, object] = json.loads(out)
    return report, drive


def closing_lines(daemon: KeyedDaemon) -> list[str]:
    """The daemon's log lines about connections it closed."""
    return [line for line in daemon.log_text().splitlines() if "closing the connection" in line]


def warmed_rss(daemon: KeyedDaemon) -> float:
    """RSS after a keyed driver has run once (its own allocations are not the attack's)."""
    warm = asyncio.run(keyed_driver(daemon.address, daemon.key_id, daemon.secret, 0.5))
    assert warm.commands > 0 and not warm.errors, warm
    settle()
    return daemon.rss_mib()


def test_rapid_reset_without_a_key_neither_stalls_a_keyed_driver_nor_grows_memory(
    keyed_daemon: KeyedDaemon,
) -> None:
    before = warmed_rss(keyed_daemon)
    attack, drive = run_beside_driver(keyed_daemon, "rapid-reset")
    settle()
    growth = keyed_daemon.rss_mib() - before
    lines = closing_lines(keyed_daemon)
    print(f"\nrapid reset: {attack['requests']} calls opened and cancelled on "
          f"{attack['connections']} connections; driver worst gap {drive.worst_gap * 1000:.0f} ms"
          f", {drive.expired} expiries; RSS +{growth:.1f} MiB; {len(lines)} log line(s)")
    assert drive.expired == 0, f"the driver's session expired under the attack: {drive}"
    assert drive.worst_gap < WORST_GAP, drive
    assert growth < RSS_GROWTH_MIB
    assert attack["closed_by_daemon"], attack
    assert len(lines) == 1, lines  # one line per peer every LOG_INTERVAL, however many closes


@pytest.mark.parametrize(
    "attack", ["ping-flood", "settings-flood", "priority-flood", "window-update-flood"]
)
def test_frame_floods_are_cut_off_and_a_keyed_driver_keeps_its_session(
    keyed_daemon: KeyedDaemon, attack: str
) -> None:
    before = warmed_rss(keyed_daemon)
    report, drive = run_beside_driver(keyed_daemon, attack)
    settle()
    growth = keyed_daemon.rss_mib() - before
    lines = closing_lines(keyed_daemon)
    print(f"\n{attack}: {report['frames']} frames written on {report['connections']} "
          f"connections, first closed after {report['first_close_after']} s; driver worst gap "
          f"{drive.worst_gap * 1000:.0f} ms, {drive.expired} expiries; RSS +{growth:.1f} MiB; "
          f"{len(lines)} log line(s)")
    assert drive.expired == 0, f"the driver's session expired under the attack: {drive}"
    assert drive.worst_gap < WORST_GAP, drive
    first_close = report["first_close_after"]
    assert isinstance(first_close, float) and first_close < 1.0, report
    assert growth < RSS_GROWTH_MIB
    assert len(lines) == 1, lines


@pytest.mark.parametrize("keyed", [False, True], ids=["without a key", "with a key"])
def test_a_request_declaring_4_gib_is_refused_from_its_prefix_and_memory_stays(
    keyed_daemon: KeyedDaemon, keyed: bool
) -> None:
    metadata = asyncio.run(_token(keyed_daemon)) if keyed else None
    before = warmed_rss(keyed_daemon)
    report = oversized_request(keyed_daemon.address, metadata=metadata, seconds=30)
    settle()
    growth = keyed_daemon.rss_mib() - before
    print(f"\n4 GiB prefix ({'with' if keyed else 'without'} a key): {report.bytes_sent} body "
          f"bytes sent, outcome {report.statuses}; RSS +{growth:.1f} MiB")
    assert report.statuses == {"8": 1}, "RESOURCE_EXHAUSTED before the body was read"
    assert report.bytes_sent <= MAX_STREAM_WINDOW, "no more than a window was taken in"
    assert growth < RSS_GROWTH_MIB


def test_a_compressed_request_is_unimplemented_with_no_traceback(
    keyed_daemon: KeyedDaemon,
) -> None:
    conn = RawConnection(keyed_daemon.address)
    try:
        status = unary_call(conn, AUTHENTICATE, struct.pack(">?I", True, 3) + b"abc", timeout=3)
    finally:
        conn.close()
    settle()
    print(f"\ncompressed request: grpc-status {status}")
    assert status == "12", "UNIMPLEMENTED: tether takes grpc-encoding identity only"
    assert "Traceback" not in keyed_daemon.log_text()


async def _token(daemon: KeyedDaemon) -> dict[str, str]:
    channel = Channel(*split_address(daemon.address))
    try:
        return await bearer(channel, daemon.key_id, daemon.secret)
    finally:
        channel.close()


def test_malformed_request_bodies_are_invalid_argument_with_no_traceback(
    keyed_daemon: KeyedDaemon,
) -> None:
    logged = len(keyed_daemon.log_text())
    report = malformed_requests(keyed_daemon.address, 30, timeout=3.0)
    settle()
    grown = keyed_daemon.log_text()[logged:]
    print(f"\nmalformed bodies: answers {report.statuses}; log +{len(grown.encode())} bytes")
    assert set(report.statuses) <= {"3", "closed"}, "INVALID_ARGUMENT, or closed at the budget"
    assert report.statuses.get("3", 0) >= 20, report
    assert "Traceback" not in grown
    assert len(grown.splitlines()) <= 2, grown  # one about the bodies, one about the closing


def test_requests_with_headers_grpclib_cannot_read_are_reset_with_no_traceback(
    keyed_daemon: KeyedDaemon,
) -> None:
    report = malformed_headers(keyed_daemon.address, 6, timeout=2.0)
    settle()
    print(f"\nunreadable headers: answers {report.statuses}")
    # a call with unreadable metadata is reset; a header h2 cannot decode ends the connection
    assert report.statuses == {"reset": 4, "closed": 2}, report
    assert "Traceback" not in keyed_daemon.log_text()


def test_a_connection_without_a_key_is_closed_after_a_few_calls(
    keyed_daemon: KeyedDaemon,
) -> None:
    report = wrong_key_calls(keyed_daemon.address, 40, timeout=3.0)
    print(f"\nwrong keys on one connection: answers {report.statuses}, closed "
          f"{report.closed_by_daemon}, GOAWAY {report.goaway}")
    assert report.closed_by_daemon == 1, report
    assert report.statuses.get("16", 0) <= CALLS_WITHOUT_A_KEY, report
    assert report.goaway == ErrorCodes.ENHANCE_YOUR_CALM, report
    assert len(closing_lines(keyed_daemon)) == 1


@pytest.fixture
def patient_daemon(tmp_path: Path) -> Iterator[KeyedDaemon]:
    """A keyed daemon whose sessions outlive a long silence (a 30 s window)."""
    daemon = start_keyed_daemon(tmp_path, window=30.0)
    try:
        yield daemon
    finally:
        daemon.close()


def test_a_connection_without_a_key_is_closed_when_idle_and_keyed_ones_may_idle_on(
    patient_daemon: KeyedDaemon,
) -> None:
    keyed_daemon, idle = patient_daemon, list[AttackReport]()
    silent = threading.Thread(target=lambda: idle.append(
        idle_connection(keyed_daemon.address, IDLE_WITHOUT_A_KEY[1] + 5)
    ))
    silent.start()

    async def keyed_connections_idle() -> control_pb2.StatusResponse:
        host, port = split_address(keyed_daemon.address)
        first, second = Channel(host, port), Channel(host, port)
        try:
            token = await bearer(first, keyed_daemon.key_id, keyed_daemon.secret)
            robot = robot_grpc.RobotServiceStub(first)
            session = await robot.StartSession(robot_pb2.StartSessionRequest(), metadata=token)
            # the second connection never calls Authenticate: its token proves the key
            await robot_grpc.RobotServiceStub(second).SendSessionHeartbeat(
                robot_pb2.SendSessionHeartbeatRequest(id=session.id), metadata=token)
            until = time.monotonic() + IDLE_WITHOUT_A_KEY[1] + 10
            while silent.is_alive() and time.monotonic() < until:
                await asyncio.sleep(0.1)
            await asyncio.sleep(1.0)
            return await control_grpc.ControlServiceStub(first).Status(
                control_pb2.StatusRequest(), metadata=token)
        finally:
            first.close()
            second.close()

    status = asyncio.run(keyed_connections_idle())
    silent.join(5)
    closed_after = idle[0].first_close_after
    print(f"\nidle without a key: closed after {closed_after} s; the keyed session's "
          f"connections then: {[s.connections for s in status.sessions]}")
    assert closed_after is not None, "the silent connection was never closed"
    assert IDLE_WITHOUT_A_KEY[0] < closed_after < IDLE_WITHOUT_A_KEY[1]
    assert [s.connections for s in status.sessions] == [2], "both keyed connections stayed open"


def test_the_daemon_grants_small_flow_control_windows(keyed_daemon: KeyedDaemon) -> None:
    conn = RawConnection(keyed_daemon.address)
    try:
        events: list[object] = []
        until = time.monotonic() + 5
        while time.monotonic() < until and not any(
                isinstance(e, RemoteSettingsChanged) for e in events):
            events += conn.pump(0.1)
        conn.pump(0.2)  # and the connection's WINDOW_UPDATE, if any
        stream_window = conn.h2.remote_settings.initial_window_size
        connection_window = conn.h2.outbound_flow_control_window
    finally:
        conn.close()
    print(f"\nwindows granted: stream {stream_window}, connection {connection_window}")
    assert stream_window <= MAX_STREAM_WINDOW
    assert connection_window <= MAX_CONNECTION_WINDOW
