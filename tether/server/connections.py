"""Which connections carried which session ids, so a session ends when its last one closes.

viam-sdk heartbeats on a second TCP connection, so a session can't be keyed by connection:
every connection that carried an id is recorded, and the session ends (its motors stop) when
the last of them closes - a killed client stops the rover in milliseconds, not a window. The
close is learned from the kernel on a thread of its own (tether.server.hangups), so a busy
event loop does not delay it.

grpclib makes one H2Protocol per connection in the private Server._protocol_factory; pinned
grpclib (<0.5) and tests/server cover this hook. The same hook puts every connection behind a
Doorway (tether.server.admission): caps, the TLS handshake's deadline, the idle deadline.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable, Collection
from typing import Any

from grpclib.events import RecvRequest, listen
from grpclib.exceptions import GRPCError
from grpclib.server import Server

from tether.server.admission import LISTEN_BACKLOG, Doorway
from tether.server.auth import Authenticator
from tether.server.hangups import HangupWatch

log = logging.getLogger("tether.server")

ConnectionKey = int


def connection_key(stream: Any) -> ConnectionKey:
    """The connection a request (stream or RecvRequest event) arrived on: grpclib's Peer wraps
    the transport, and connection_made saw the same transport object."""
    return id(stream.peer._transport)


class ConnectionTracker:
    """Session ids per connection and connections per session id; thread-safe."""

    def __init__(self, on_orphaned: Callable[[str], None]) -> None:
        self._on_orphaned = on_orphaned
        self._lock = threading.Lock()
        self._open: set[ConnectionKey] = set()
        self._sessions_of: dict[ConnectionKey, set[str]] = {}
        self._connections_of: dict[str, set[ConnectionKey]] = {}

    @property
    def open_connections(self) -> int:
        """Connections open now."""
        return len(self._open)

    def carries_sessions(self, key: ConnectionKey) -> bool:
        """True once a request on this connection used a live session id."""
        with self._lock:
            return bool(self._sessions_of.get(key))

    def connections_of(self, session_id: str) -> int:
        """How many open connections have carried this session id."""
        with self._lock:
            return len(self._connections_of.get(session_id, ()))

    def opened(self, key: ConnectionKey) -> None:
        """A connection was accepted."""
        with self._lock:
            self._open.add(key)

    def carried(self, key: ConnectionKey, session_id: str) -> None:
        """A request on this connection used this session id."""
        with self._lock:
            if key not in self._open:
                return
            self._sessions_of.setdefault(key, set()).add(session_id)
            self._connections_of.setdefault(session_id, set()).add(key)

    def forget(self, session_id: str) -> None:
        """The session ended some other way."""
        with self._lock:
            for key in self._connections_of.pop(session_id, set()):
                self._sessions_of.get(key, set()).discard(session_id)

    def closed(self, key: ConnectionKey) -> list[str]:
        """A connection closed; end (via the callback) every session it was the last one of."""
        with self._lock:
            self._open.discard(key)
            orphaned = []
            for session_id in self._sessions_of.pop(key, set()):
                holders = self._connections_of.get(session_id, set())
                holders.discard(key)
                if not holders:
                    self._connections_of.pop(session_id, None)
                    orphaned.append(session_id)
        for session_id in orphaned:
            log.info("session %s: its last connection closed; ending it", session_id)
            self._on_orphaned(session_id)
        return orphaned


class _TrackedProtocol(asyncio.Protocol):
    """Delegates to grpclib's H2Protocol; tells the tracker when the connection comes and goes."""

    def __init__(
        self, inner: asyncio.Protocol, tracker: ConnectionTracker, live: set[_TrackedProtocol],
        hangups: HangupWatch,
    ) -> None:
        self._inner = inner
        self._tracker = tracker
        self._live = live
        self._hangups = hangups
        self._watched = -1
        self._key: ConnectionKey | None = None
        self.transport: asyncio.BaseTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._key = id(transport)
        self.transport = transport
        self._live.add(self)
        self._tracker.opened(self._key)
        self._watched = self._hangups.watch(transport, self._key)
        self._inner.connection_made(transport)

    def data_received(self, data: bytes) -> None:
        self._inner.data_received(data)

    def eof_received(self) -> bool | None:
        return self._inner.eof_received()

    def pause_writing(self) -> None:
        self._inner.pause_writing()

    def resume_writing(self) -> None:
        self._inner.resume_writing()

    def connection_lost(self, exc: Exception | None) -> None:
        """The sessions it was the last connection of end (their stops start) before grpclib
        tears the connection's streams down."""
        self._live.discard(self)
        try:
            self._hangups.forget(self._watched)
            if self._key is not None:
                self._tracker.closed(self._key)
        finally:
            self._inner.connection_lost(exc)


class TrackingServer(Server):
    """grpclib's Server whose connections report to a ConnectionTracker (and pass a Doorway)."""

    def __init__(self, handlers: Collection[Any], *, tracker: ConnectionTracker, **kw: Any) -> None:
        super().__init__(handlers, **kw)
        self._tracker = tracker
        self._live: set[_TrackedProtocol] = set()
        #: Closed connections end their sessions from here, without waiting for the loop.
        self.hangups = HangupWatch(tracker.closed)
        self._doorway: Doorway | None = None
        self._authenticator: Authenticator | None = None

    def admit_through(self, doorway: Doorway, authenticator: Authenticator) -> None:
        """Put every connection behind `doorway`; requests tell it when it is busy or keyed."""
        self._doorway, self._authenticator = doorway, authenticator
        listen(self, RecvRequest, self._on_request)

    def _protocol_factory(self) -> Any:
        make = super()._protocol_factory

        def tracked() -> _TrackedProtocol:
            return _TrackedProtocol(make(), self._tracker, self._live, self.hangups)

        return tracked() if self._doorway is None else self._doorway.gate(tracked)

    async def start(self, *args: Any, ssl: Any = None, **kw: Any) -> None:
        """As grpclib's, but the doorway runs TLS itself (so handshakes count and time out)."""
        if self._doorway is not None:
            self._doorway.tls, ssl = ssl, None
            kw.setdefault("backlog", LISTEN_BACKLOG)
        self.hangups.start()
        await super().start(*args, ssl=ssl, **kw)

    async def _on_request(self, event: RecvRequest) -> None:
        assert self._doorway is not None
        connection = self._doorway.connection(event.peer._transport)
        if connection is None:
            return
        handler, key = event.method_func, connection_key(event)
        keyed = self._keyed(event.metadata)

        async def watched(stream: Any) -> None:
            connection.busy()
            try:
                await handler(stream)
            finally:
                if keyed or self._tracker.carries_sessions(key):
                    connection.trust()
                connection.done()

        event.method_func = watched

    def _keyed(self, metadata: Any) -> bool:
        """The request carries a valid bearer token (exempt methods too: viam-sdk polls
        ResourceNames with its token between calls)."""
        authenticator = self._authenticator
        if authenticator is None or not authenticator.enabled:
            return False
        try:
            authenticator.owner(metadata)
        except GRPCError:
            return False
        return True

    def close_connections(self) -> None:
        """Close every client connection (grpclib's close() only stops accepting new ones)."""
        for protocol in list(self._live):
            if protocol.transport is not None:
                protocol.transport.close()
        if self._doorway is not None:
            self._doorway.close_all()
        self.hangups.close()
