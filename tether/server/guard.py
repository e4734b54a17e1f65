"""Each HTTP/2 connection held to tether/server/budgets.py before grpclib acts on what it sent.

grpclib starts a handler task for every stream a peer opens and answers every PING and
SETTINGS frame, however many. On the one event loop that also carries every heartbeat, a peer
without a key could stall the daemon (rapid reset: a driver's session expired, the rover
stopped) and grow its memory. The guard sits between the transport and grpclib's H2Protocol:
it hands h2 the bytes a piece at a time, counts each event against its budget, closes an
offender (GOAWAY ENHANCE_YOUR_CALM, one log line per peer every LOG_INTERVAL s) and, with keys
configured, keeps a connection that has not authenticated short and slow.

grpclib also grants 4 MiB windows and reads a request body of whatever size its prefix
declares (one keyless request buffered 256 MiB): the guard grants small windows and has each
request's prefix checked before its body is read (budgets.RequestBuffer). It resets a call
whose headers grpclib would fail on, with a traceback per call (a log flood).

grpclib internals used (pinned grpclib <0.5; tests/security cover every one): Server.
_protocol_factory, H2Protocol.connection/.processor/.config, Connection._connection (its
H2Connection, for GOAWAY and RST_STREAM) and protocol.Stream.buffer.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Collection
from dataclasses import replace
from functools import partial
from typing import Any

from grpclib.events import RecvRequest, listen
from grpclib.exceptions import GRPCError
from grpclib.metadata import decode_metadata
from grpclib.protocol import H2Protocol
from grpclib.server import Server
from h2.errors import ErrorCodes
from h2.events import (
    DataReceived,
    PingReceived,
    PriorityUpdated,
    RemoteSettingsChanged,
    RequestReceived,
    StreamReset,
    WindowUpdated,
)
from h2.exceptions import ProtocolError

from tether.server.auth import Authenticator
from tether.server.budgets import (
    CANCELLED_CALLS,
    CONNECTION_WINDOW,
    FEED_PIECE,
    LESSER_FRAMES,
    NEW_CALLS,
    PINGS,
    SETTINGS,
    STREAM_WINDOW,
    UNAUTHENTICATED_BYTES,
    UNAUTHENTICATED_CALLS,
    UNAUTHENTICATED_IDLE,
    Allowance,
    RequestBuffer,
    ThrottledLog,
)
from tether.server.connections import ConnectionTracker, TrackingServer, connection_key

log = logging.getLogger(__name__)

AUTHENTICATE = "/proto.rpc.v1.AuthService/Authenticate"
_BUDGETED = {RequestReceived: NEW_CALLS, StreamReset: CANCELLED_CALLS, PingReceived: PINGS,
             RemoteSettingsChanged: SETTINGS, WindowUpdated: LESSER_FRAMES,
             PriorityUpdated: LESSER_FRAMES, DataReceived: LESSER_FRAMES}


class ConnectionGuard(asyncio.Protocol):
    """One connection: wraps grpclib's H2Protocol and holds its peer to the budgets."""

    def __init__(self, inner: H2Protocol, guards: Guards) -> None:
        self._inner = inner
        self._guards = guards
        self.authenticated = not guards.authenticator.enabled
        self.peer = self.host = "unknown peer"
        self.transport: asyncio.BaseTransport | None = None
        self._closing = False
        self._received = 0
        self._idle: asyncio.TimerHandle | None = None
        now = time.monotonic()
        shares = {budget: Allowance(budget, now) for budget in set(_BUDGETED.values())}
        self._allowances = {kind: shares[budget] for kind, budget in _BUDGETED.items()}
        self._calls = Allowance(UNAUTHENTICATED_CALLS, now)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._inner.config = replace(
            self._inner.config, http2_stream_window_size=STREAM_WINDOW,
            http2_connection_window_size=CONNECTION_WINDOW,
        )
        self._inner.connection_made(transport)
        self.transport = transport
        self.peer, self.host = _describe(transport.get_extra_info("peername"))
        self._guards.opened(self)
        if not self.authenticated:
            self._idle = asyncio.get_running_loop().call_later(
                UNAUTHENTICATED_IDLE, self._idle_timeout
            )

    def data_received(self, data: bytes) -> None:
        for start in range(0, len(data), FEED_PIECE):
            if self._closing or not self._feed(data[start:start + FEED_PIECE]):
                return

    def eof_received(self) -> bool | None:
        return self._inner.eof_received()

    def pause_writing(self) -> None:
        self._inner.pause_writing()

    def resume_writing(self) -> None:
        self._inner.resume_writing()

    def connection_lost(self, exc: Exception | None) -> None:
        self._closing = True
        if self._idle is not None:
            self._idle.cancel()
        self._guards.closed(self)
        self._inner.connection_lost(exc)

    def authenticate(self) -> None:
        """A call proved a key: the connection is no longer short or slow."""
        self.authenticated = True
        if self._idle is not None:
            self._idle.cancel()

    def close_for(self, reason: str, code: ErrorCodes = ErrorCodes.ENHANCE_YOUR_CALM) -> None:
        """Tell the peer why (GOAWAY), log it (throttled per peer), close, cancel its calls."""
        if self._closing:
            return
        self._closing = True
        self._guards.log.warning(self.host, "closing the connection from %s: %s",
                                 self.peer, reason)
        connection = self._inner.connection
        if not connection.is_closing():
            with contextlib.suppress(ProtocolError):
                connection._connection.close_connection(code, additional_data=reason.encode())
            connection.flush()
        self._inner.processor.close(f"closed by tether: {reason}")

    def _idle_timeout(self) -> None:
        if not self.authenticated:
            self.close_for(f"no authenticated call in {UNAUTHENTICATED_IDLE:g} s",
                           ErrorCodes.NO_ERROR)

    def _feed(self, data: bytes) -> bool:
        """One piece through h2, each event checked, then to grpclib (as H2Protocol would)."""
        connection, processor = self._inner.connection, self._inner.processor
        if not self.authenticated:
            self._received += len(data)
            if self._received > UNAUTHENTICATED_BYTES:
                self.close_for(f"{UNAUTHENTICATED_BYTES} bytes without a key (the most it may "
                               "send before authenticating)")
                return False
        try:
            events = connection.feed(data)
        except (ProtocolError, UnicodeDecodeError):  # the latter: a header grpclib's h2 config
            # cannot decode (not ASCII); grpclib would let it escape with a traceback
            log.debug("HTTP/2 protocol error from %s", self.peer, exc_info=True)
            processor.close("Protocol error")
            return False
        connection.flush()
        cancelled = {e.stream_id for e in events if isinstance(e, StreamReset)}
        now = time.monotonic()
        for event in events:
            if self._over_budget(event, now):
                return False
            if isinstance(event, RequestReceived):
                if not self._admit(event, cancelled, now):
                    if self._closing:
                        return False
                    continue
                processor.process(event)
                self._limit_reads(event.stream_id)
            else:
                processor.process(event)
        if connection.is_closing():
            return False
        connection.flush()
        return True

    def _over_budget(self, event: Any, now: float) -> bool:
        allowance = self._allowances.get(type(event))
        if allowance is None or (isinstance(event, StreamReset) and not event.remote_reset):
            return False
        if isinstance(event, DataReceived) and event.flow_controlled_length:
            return False  # data is budgeted by flow control
        if allowance.take(now):
            return False
        self.close_for(f"{allowance.budget.what} beyond {allowance.budget}")
        return True

    def _admit(self, event: RequestReceived, cancelled: Collection[int], now: float) -> bool:
        """Whether grpclib may start this call. Not when the peer cancelled it in the same read
        (grpclib would start a handler that never runs, and keep its stream until the connection
        closes); not with headers grpclib would fail on with a traceback (no :method or :path,
        bad -bin metadata): reset; not beyond the budget of calls without a key: closed."""
        headers: list[tuple[str, str]] = list(event.headers or [])  # type: ignore[arg-type]
        names = {name for name, _ in headers}  # str: grpclib has h2 decode them (ascii)
        try:
            metadata = decode_metadata(headers)
        except (ValueError, UnicodeError):
            metadata = None
        if not self.authenticated and not self._allowed_without_key(metadata, now):
            return False
        if event.stream_id in cancelled:
            return False
        if metadata is None or ":method" not in names or ":path" not in names:
            self._inner.connection._connection.reset_stream(
                event.stream_id, ErrorCodes.PROTOCOL_ERROR
            )
            return False
        return True

    def _allowed_without_key(self, metadata: Any, now: float) -> bool:
        """A call on a connection not yet authenticated: one with a valid token authenticates
        it; others spend the budget of calls without a key, beyond which it is closed."""
        if metadata is not None and self._guards.holds_token(metadata):
            self.authenticate()
            return True
        if self._calls.take(now):
            return True
        self.close_for(f"{UNAUTHENTICATED_CALLS.what} beyond {UNAUTHENTICATED_CALLS}: "
                       "authenticate first (proto.rpc.v1.AuthService/Authenticate)")
        return False

    def _limit_reads(self, stream_id: int) -> None:
        stream = self._inner.processor.streams.get(stream_id)
        if stream is not None:
            stream.buffer = RequestBuffer(partial(self._inner.connection.ack, stream_id))


class Guards:
    """Every live connection's guard, and the check each call passes before its handler."""

    def __init__(self, authenticator: Authenticator) -> None:
        self.authenticator = authenticator
        self.log = ThrottledLog(log)
        self._live: dict[int, ConnectionGuard] = {}

    def wrap(self, protocol: H2Protocol) -> ConnectionGuard:
        """A guard for a new connection's grpclib protocol."""
        return ConnectionGuard(protocol, self)

    def opened(self, guard: ConnectionGuard) -> None:
        """The guard's connection was accepted."""
        self._live[id(guard.transport)] = guard

    def closed(self, guard: ConnectionGuard) -> None:
        """The guard's connection closed."""
        self._live.pop(id(guard.transport), None)

    def install(self, server: Server) -> None:
        """Watch Authenticate calls on connections that have not authenticated yet."""
        listen(server, RecvRequest, self._on_request)

    async def _on_request(self, event: RecvRequest) -> None:
        guard = self._live.get(connection_key(event))
        if guard is not None and not guard.authenticated and event.method_name == AUTHENTICATE:
            event.method_func = _authenticating(event.method_func, guard)

    def holds_token(self, metadata: Any) -> bool:
        """The call's metadata carries a live bearer token."""
        try:
            self.authenticator.owner(metadata)
        except GRPCError:
            return False
        return True


def _authenticating(handler: Any, guard: ConnectionGuard) -> Any:
    """Authenticate's handler, marking the connection authenticated when it grants a token."""

    async def authenticate(stream: Any) -> None:
        await handler(stream)
        guard.authenticate()

    return authenticate


def _describe(peername: Any) -> tuple[str, str]:
    """('HOST:PORT', 'HOST') of a peer; Unix socket peers have no address."""
    if isinstance(peername, tuple) and len(peername) >= 2:
        return f"{peername[0]}:{peername[1]}", str(peername[0])
    return "a Unix socket peer", "unix"


class _GuardedProtocols(Server):
    """grpclib's Server whose connections are guarded (below TrackingServer in the MRO)."""

    guards: Guards

    def _protocol_factory(self) -> Any:
        return self.guards.wrap(super()._protocol_factory())


class GuardedServer(TrackingServer, _GuardedProtocols):
    """The daemon's server: connections tracked for sessions and held to the budgets."""

    def __init__(
        self, handlers: Collection[Any], *, tracker: ConnectionTracker,
        authenticator: Authenticator, **kw: Any,
    ) -> None:
        super().__init__(handlers, tracker=tracker, **kw)
        self.guards = Guards(authenticator)
        self.guards.install(self)
