"""Wrong API keys per peer: a few are free, then each costs a doubling wait; a log line a minute.

While a peer waits, its keys are refused without being checked, so guessing costs it time and the
daemon nothing; other peers are unaffected. A peer is an IPv4 address, an IPv6 /64 (a host may
pick any address in its prefix) or the local socket. The table is bounded: the peer quiet for
longest is forgotten first, and a peer quiet for FORGET_AFTER starts again with a clean slate.
"""

from __future__ import annotations

import ipaddress
import logging
import math
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

log = logging.getLogger("tether.server")

FREE_FAILURES = 10
FIRST_WAIT = 1.0
MAX_WAIT = 300.0
FORGET_AFTER = 900.0
MAX_PEERS = 4096
LOG_EVERY = 60.0
LOCAL_SOCKET = "unix socket"


def peer_name(address: object) -> str:
    """Who a connection's failures count against: its IPv4 address, IPv6 /64 or the unix socket.

    Takes what a transport's 'peername' or aiohttp's request.remote gives."""
    host = address[0] if isinstance(address, tuple) and address else address
    if host == "":
        return LOCAL_SOCKET  # a Unix socket's client has no name
    if not isinstance(host, str):
        return "unknown peer"
    try:
        ip = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return host[:64]
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network(f"{ip}/64", strict=False))
    return str(ip)


@dataclass
class _Peer:
    """One peer's record: failures so far, its wait, and what its next log line will say."""

    failures: int = 0
    blocked_until: float = 0.0
    last_seen: float = 0.0
    logged_at: float = -math.inf
    wrong: int = 0  # since the last log line
    refused: int = 0  # since the last log line
    key_id: str = ""
    via: str = ""


class GuessBudget:
    """Counts wrong keys per peer and says how long each must wait before its next is checked."""

    def __init__(self, *, free: int = FREE_FAILURES, first_wait: float = FIRST_WAIT,
                 max_wait: float = MAX_WAIT, forget_after: float = FORGET_AFTER,
                 max_peers: int = MAX_PEERS, log_every: float = LOG_EVERY,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.free, self.first_wait, self.max_wait = free, first_wait, max_wait
        self.forget_after, self.max_peers, self.log_every = forget_after, max_peers, log_every
        self.clock = clock
        self._peers: OrderedDict[str, _Peer] = OrderedDict()

    def __len__(self) -> int:
        return len(self._peers)

    def wait(self, peer: str, key_id: str = "", via: str = "") -> float:
        """Seconds before this peer's next key may be checked; a refused attempt is counted."""
        now = self.clock()
        self._forget_quiet(now)
        record = self._peers.get(peer)
        if record is None or now >= record.blocked_until:
            return 0.0
        record.refused += 1
        self._touch(peer, record, now, key_id, via)
        return record.blocked_until - now

    def failed(self, peer: str, key_id: str, via: str = "Authenticate") -> None:
        """A wrong key from this peer: past the free ones, it waits twice as long as last time."""
        now = self.clock()
        self._forget_quiet(now)
        record = self._peers.get(peer) or _Peer()
        record.failures += 1
        record.wrong += 1
        over = record.failures - self.free
        if over > 0:
            record.blocked_until = now + min(self.first_wait * 2 ** min(over - 1, 30),
                                             self.max_wait)
        self._touch(peer, record, now, key_id, via)

    def _touch(self, peer: str, record: _Peer, now: float, key_id: str, via: str) -> None:
        record.last_seen, record.key_id, record.via = now, key_id, via
        self._peers[peer] = record
        self._peers.move_to_end(peer)
        while len(self._peers) > self.max_peers:
            self._peers.popitem(last=False)
        if now - record.logged_at >= self.log_every:
            self._log(peer, record, now)

    def _log(self, peer: str, record: _Peer, now: float) -> None:
        since = "" if math.isinf(record.logged_at) else (
            f" in the last {now - record.logged_at:.0f} s")
        wait = max(record.blocked_until - now, 0.0)
        log.warning(
            "wrong API keys from %s via %s: %d wrong, %d refused unchecked%s (%d in all; last "
            "key id %s); its next key is checked in %.0f s", peer, record.via, record.wrong,
            record.refused, since, record.failures, clip(record.key_id), wait,
        )
        record.logged_at, record.wrong, record.refused = now, 0, 0

    def _forget_quiet(self, now: float) -> None:
        """Drop peers (oldest first) quiet for forget_after and no longer waiting."""
        while self._peers:
            peer, record = next(iter(self._peers.items()))
            if now - record.last_seen < self.forget_after or now < record.blocked_until:
                return
            del self._peers[peer]


class PeerLog:
    """At most one warning per peer per period; the ones held back are counted into the next."""

    def __init__(self, logger: logging.Logger, *, every: float = LOG_EVERY,
                 max_peers: int = MAX_PEERS, clock: Callable[[], float] = time.monotonic) -> None:
        self.logger, self.every, self.max_peers, self.clock = logger, every, max_peers, clock
        self._last: OrderedDict[str, tuple[float, int]] = OrderedDict()  # peer: (logged, held)

    def warning(self, peer: str, message: str, *args: object) -> bool:
        """Log `message % args` (plus how many were held back) unless this peer had one lately."""
        now = self.clock()
        logged, held = self._last.get(peer, (-math.inf, 0))
        if now - logged < self.every:
            self._last[peer] = (logged, held + 1)
            return False
        suffix = f" (and {held} more in the last {now - logged:.0f} s)" if held else ""
        self.logger.warning(message + "%s", *args, suffix)
        self._last[peer] = (now, 0)
        self._last.move_to_end(peer)
        while len(self._last) > self.max_peers:
            self._last.popitem(last=False)
        return True


def clip(value: str, limit: int = 40) -> str:
    """A client-supplied key id as logged: short, and its length when cut."""
    if len(value) <= limit:
        return repr(value)
    return f"{value[:limit]!r}... ({len(value)} characters)"
