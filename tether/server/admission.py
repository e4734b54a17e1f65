"""Which connections the daemon admits, so a peer without a key cannot use up its fds.

Both ports (gRPC and the drive page) share one fd table, so one ConnectionBudget per daemon caps
the connections of both, in total and per peer address, below RLIMIT_NOFILE with room kept for
the daemon itself (devices, logs, accept bursts). Each port wraps its protocol in a Doorway:
over a cap a new connection is closed at once (one log line per interval, no traceback); when
the total is full the connection idle longest that never authenticated nor carried a session
makes room; a TLS handshake gets HANDSHAKE_TIMEOUT; a connection with nothing in flight is
closed after the port's idle timeout unless it is trusted (it authenticated or carried a
session).
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import os
import resource
import ssl
import time
from collections import Counter, OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tether.errors import ConfigError

log = logging.getLogger("tether.server")

#: Connections on both ports together, whatever the fd limit allows (a rover needs a handful).
MAX_CONNECTIONS = 1024
#: Connections from one address (an IPv6 /64 counts as one): a laptop's scripts and tabs.
MAX_CONNECTIONS_PER_PEER = 32
#: Connections that have shown no key and carried no session, whoever opened them: each keeps
#: ~27 KiB of grpclib/h2 state that Python does not give back, so strangers on many addresses
#: hold at most ~14 MiB (bench/attack_bench.py: 918 such connections grew RSS by 22.9 MiB).
MAX_UNTRUSTED_CONNECTIONS = 512
#: Each listener's backlog: asyncio accepts up to this many sockets before any is checked.
LISTEN_BACKLOG = 32
#: fds kept free beyond the accept bursts: log files, device files, pipes, threads' files.
FD_SPARE = 32
#: Fewer connections than this would make the daemon useless: refuse to start instead.
MIN_CONNECTIONS = 8
HANDSHAKE_TIMEOUT = 10.0
#: A gRPC connection with no call in flight that never authenticated nor carried a session.
GRPC_IDLE_TIMEOUT = 30.0
#: A drive-page connection must send a request's headers within this long (also between requests).
WEB_HEADER_TIMEOUT = 5.0
REFUSAL_LOG_INTERVAL = 10.0


def fd_limit() -> int:
    """This process's soft RLIMIT_NOFILE (what accept() runs into)."""
    soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    return 1 << 20 if soft == resource.RLIM_INFINITY else int(soft)


def open_fds() -> int:
    """File descriptors this process holds now."""
    with contextlib.suppress(OSError):
        return len(os.listdir("/proc/self/fd"))
    return 64


@dataclass(frozen=True)
class ConnectionLimits:
    """How many connections the daemon holds: in total (both ports) and from one peer."""

    max_connections: int = MAX_CONNECTIONS
    max_per_peer: int = MAX_CONNECTIONS_PER_PEER
    max_untrusted: int = MAX_UNTRUSTED_CONNECTIONS

    @classmethod
    def for_fd_limit(cls, nofile: int | None = None, in_use: int | None = None) -> ConnectionLimits:
        """Caps that keep every connection, two accept bursts and FD_SPARE below `nofile`."""
        nofile = fd_limit() if nofile is None else nofile
        kept = (open_fds() if in_use is None else in_use) + 2 * (LISTEN_BACKLOG + 1) + FD_SPARE
        room = nofile - kept
        if room < MIN_CONNECTIONS:
            raise ConfigError(
                f"RLIMIT_NOFILE = {nofile}: expected at least {kept + MIN_CONNECTIONS} file "
                f"descriptors ({kept} kept for the daemon itself, {MIN_CONNECTIONS} for "
                "connections); raise it (LimitNOFILE= in the systemd unit, ulimit -n)"
            )
        total = min(MAX_CONNECTIONS, room)
        return cls(total, min(MAX_CONNECTIONS_PER_PEER, total),
                   min(MAX_UNTRUSTED_CONNECTIONS, total))


def peer_of(transport: asyncio.BaseTransport) -> str:
    """The address a connection is counted under: its IP, an IPv6 peer's /64, or 'local'."""
    peername = transport.get_extra_info("peername")
    if not isinstance(peername, tuple) or not peername:
        return "local"  # a Unix socket
    return peer_key(str(peername[0]))


def peer_key(host: str) -> str:
    """One key per address; one per /64 for IPv6 (a host picks any address in its /64)."""
    try:
        address = ipaddress.ip_address(host.split("%", maxsplit=1)[0])
    except ValueError:
        return host
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network(f"{address}/64", strict=False))
    return str(address)


class ConnectionBudget:
    """Connections open on every port of one daemon, by peer; decides who gets in."""

    def __init__(self, limits: ConnectionLimits) -> None:
        self.limits = limits
        self.total = 0
        self.untrusted = 0
        self.refused = 0
        self.evicted = 0
        self._by_peer: Counter[str] = Counter()
        self._idle: OrderedDict[GatedConnection, None] = OrderedDict()
        self._refusals = ThrottledWarning()

    def from_peer(self, peer: str) -> int:
        """Connections open now from this peer."""
        return self._by_peer[peer]

    def admit(self, peer: str, port: str) -> bool:
        """Count a new connection in, or say why not (one log line per interval)."""
        reason = self._refusal(peer)
        if reason is not None:
            self.refused += 1
            self._refusals.note(f"{port} connection from {peer} refused: {reason}")
            return False
        self.total += 1
        self.untrusted += 1
        self._by_peer[peer] += 1
        return True

    def _refusal(self, peer: str) -> str | None:
        limits = self.limits
        if self._by_peer[peer] >= limits.max_per_peer:
            return (f"{self._by_peer[peer]} connections open from that address: expected at "
                    f"most {limits.max_per_peer} per address")
        if self.untrusted >= limits.max_untrusted and not self._evict_one():
            return (f"{self.untrusted} connections open without a key or session, none idle: "
                    f"expected at most {limits.max_untrusted}")
        if self.total >= limits.max_connections and not self._evict_one():
            return (f"{self.total} connections open, none idle without a key or session: "
                    f"expected at most {limits.max_connections} (from RLIMIT_NOFILE)")
        return None

    def _evict_one(self) -> bool:
        """Close the connection idle longest that never authenticated nor carried a session."""
        while self._idle:
            victim, _ = self._idle.popitem(last=False)
            if victim.close_now():
                log.info("%s connection from %s closed to make room: idle without a key or "
                         "session", victim.doorway.port, victim.peer)
                self.evicted += 1
                self.release(victim)  # its slot is free now, before its connection_lost
                return True
        return False

    def release(self, connection: GatedConnection) -> None:
        """A counted connection is gone (or going): its slot is free."""
        self._idle.pop(connection, None)
        if not connection.counted:
            return
        connection.counted = False
        self.total -= 1
        if not connection.trusted:
            self.untrusted -= 1
        self._by_peer[connection.peer] -= 1
        if self._by_peer[connection.peer] <= 0:
            del self._by_peer[connection.peer]

    def trusted(self, connection: GatedConnection) -> None:
        """A counted connection showed a key or carried a session: no longer a stranger's."""
        if connection.counted and not connection.trusted:
            self.untrusted -= 1

    def idle(self, connection: GatedConnection, evictable: bool) -> None:
        """Note whether a connection may make room for a new one (and since when)."""
        self._idle.pop(connection, None)
        if evictable:
            self._idle[connection] = None


class ThrottledWarning:
    """At most one warning per `interval`, counting the ones it did not print (a peer that is
    refused a thousand times a second must not write a thousand lines a second)."""

    def __init__(self, logger: logging.Logger = log, interval: float = REFUSAL_LOG_INTERVAL):
        self._logger = logger
        self._interval = interval
        self._last = -interval
        self._unlogged = 0

    def note(self, message: str) -> None:
        """Log `message` unless one was logged less than `interval` ago."""
        now = time.monotonic()
        if now - self._last < self._interval:
            self._unlogged += 1
            return
        more = f" ({self._unlogged} more since the last such line)" if self._unlogged else ""
        self._logger.warning("%s%s", message, more)
        self._last, self._unlogged = now, 0


class Doorway:
    """One port's admission: the shared budget, TLS with a deadline, and an idle deadline."""

    def __init__(
        self,
        budget: ConnectionBudget,
        port: str,
        *,
        idle_timeout: float,
        tls: ssl.SSLContext | None = None,
        handshake_timeout: float | None = None,
    ) -> None:
        self.budget = budget
        self.port = port
        self.idle_timeout = idle_timeout
        self.tls = tls
        self.handshake_timeout = handshake_timeout or HANDSHAKE_TIMEOUT
        self._live: set[GatedConnection] = set()
        self._by_transport: dict[int, GatedConnection] = {}
        _quiet_accept_errors()

    @property
    def open(self) -> int:
        """Connections of this port open now (handshaking ones included)."""
        return len(self._live)

    def wrap(self, factory: Callable[[], asyncio.Protocol]) -> Callable[[], asyncio.Protocol]:
        """A protocol factory for loop.create_server() whose connections pass this doorway."""
        return lambda: self.gate(factory)

    def gate(self, make_inner: Callable[[], asyncio.Protocol]) -> GatedConnection:
        """One connection behind this doorway; its own protocol is made only once admitted."""
        return GatedConnection(self, make_inner)

    def connection(self, transport: Any) -> GatedConnection | None:
        """The admitted connection behind the transport a request arrived on."""
        return self._by_transport.get(id(transport))

    def close_all(self) -> None:
        """Drop every connection of this port now (the daemon is stopping)."""
        for connection in list(self._live):
            connection.close_now()


class GatedConnection(asyncio.Protocol):
    """Admits (or refuses) one connection, runs its TLS handshake, then hands it to the inner
    protocol `make_inner` makes. Made no sooner: a refused connection must cost nothing once
    gone, and grpclib keeps each protocol's handler until that protocol's connection_lost."""

    def __init__(self, doorway: Doorway, make_inner: Callable[[], asyncio.Protocol]) -> None:
        self.doorway = doorway
        self._make_inner = make_inner
        self.inner: asyncio.Protocol | None = None  # once open, until closed
        self.peer = ""
        self.counted = False
        self.trusted = False
        self.transport: asyncio.BaseTransport | None = None
        self._raw: asyncio.BaseTransport | None = None
        self._early: list[bytes] = []
        self._handshaking: asyncio.Future[None] | None = None
        self._in_flight = 0
        self._idle_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        doorway = self.doorway
        self.peer = peer_of(transport)
        if not doorway.budget.admit(self.peer, doorway.port):
            transport.abort()  # type: ignore[attr-defined]
            return
        self.counted = True
        self._raw = transport
        doorway._live.add(self)
        doorway.budget.idle(self, evictable=True)  # a handshake may make room for a client too
        if doorway.tls is None:
            self._open(transport)
        else:
            transport.pause_reading()  # type: ignore[attr-defined]  # start_tls reads first
            self._handshaking = asyncio.ensure_future(self._handshake(transport, doorway.tls))

    async def _handshake(self, raw: Any, tls: ssl.SSLContext) -> None:
        loop = asyncio.get_running_loop()
        try:
            secured = await loop.start_tls(
                raw, self, tls, server_side=True,
                ssl_handshake_timeout=self.doorway.handshake_timeout,
            )
        except Exception as exc:  # a failed handshake is the peer's problem, never a traceback
            log.debug("%s TLS handshake from %s failed: %r", self.doorway.port, self.peer, exc)
            raw.abort()
            return
        if secured is None or secured.is_closing():
            return
        self._open(secured)

    def _open(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport
        self.doorway._by_transport[id(transport)] = self
        self.inner = inner = self._make_inner()
        inner.connection_made(transport)
        early, self._early = self._early, []
        for data in early:  # what TLS decrypted in the callback that finished the handshake
            inner.data_received(data)
        self._now_idle()

    # -- activity, told by the port's request hooks ---------------------------------------

    def busy(self) -> None:
        """A request started: no idle deadline while one is in flight."""
        self._in_flight += 1
        self._cancel_idle_timer()
        self.doorway.budget.idle(self, evictable=False)

    def done(self) -> None:
        """A request ended: the idle deadline starts again when none is left."""
        self._in_flight = max(0, self._in_flight - 1)
        if self._in_flight == 0:
            self._now_idle()

    def trust(self) -> None:
        """It authenticated or carried a session: no idle deadline, never evicted."""
        self.doorway.budget.trusted(self)
        self.trusted = True
        self._cancel_idle_timer()
        self.doorway.budget.idle(self, evictable=False)

    def _now_idle(self) -> None:
        if self.trusted or not self.counted or self._in_flight:
            return
        self._cancel_idle_timer()
        loop = asyncio.get_running_loop()
        self._idle_timer = loop.call_later(self.doorway.idle_timeout, self._idle_expired)
        self.doorway.budget.idle(self, evictable=True)

    def _idle_expired(self) -> None:
        log.info("%s connection from %s idle for %g s without a key or session: closed",
                 self.doorway.port, self.peer, self.doorway.idle_timeout)
        self.close_now()

    def _cancel_idle_timer(self) -> None:
        if self._idle_timer is not None:
            self._idle_timer.cancel()
            self._idle_timer = None

    def close_now(self) -> bool:
        """Drop the connection at once (no TLS goodbye); False if it was already gone."""
        raw = self._raw
        if raw is None or raw.is_closing():
            return False
        raw.abort()  # type: ignore[attr-defined]
        return True

    # -- asyncio.Protocol: forwarded to the inner protocol once it is open ------------------

    def data_received(self, data: bytes) -> None:
        if self.inner is not None:
            self.inner.data_received(data)
        elif self._raw is not None:
            self._early.append(data)

    def eof_received(self) -> bool | None:
        return self.inner.eof_received() if self.inner is not None else None

    def pause_writing(self) -> None:
        if self.inner is not None:
            self.inner.pause_writing()

    def resume_writing(self) -> None:
        if self.inner is not None:
            self.inner.resume_writing()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._raw is None:
            return  # refused at the door: never counted, never opened
        self._cancel_idle_timer()
        doorway = self.doorway
        doorway._live.discard(self)
        if self.transport is not None:
            doorway._by_transport.pop(id(self.transport), None)
        doorway.budget.release(self)
        inner, self.inner = self.inner, None
        if inner is not None:
            inner.connection_lost(exc)


class _AcceptErrorFilter(logging.Filter):
    """asyncio logs a traceback per failed accept(); out of fds that is megabytes a second."""

    def __init__(self) -> None:
        super().__init__()
        self._log = ThrottledWarning()

    def filter(self, record: logging.LogRecord) -> bool:
        if "out of system resource" not in str(record.msg):
            return True
        self._log.note(f"accept() failed: {record.exc_info[1] if record.exc_info else '?'} "
                       "(fd limit reached by something other than connections)")
        return False


def _quiet_accept_errors() -> None:
    """Install the accept-error filter on asyncio's logger once."""
    logger = logging.getLogger("asyncio")
    if not any(isinstance(f, _AcceptErrorFilter) for f in logger.filters):
        logger.addFilter(_AcceptErrorFilter())
