"""What one connection may make the daemon do, and the pieces that hold it to that.

An exposed daemon meets peers without a key. Each value below bounds what such a peer (or a
buggy script) can make the daemon spend - CPU on the one event loop that also carries every
heartbeat, memory that Python never hands back - while staying far above what any real client
(viam-sdk, tether's client, the drive page's daemon side) does. tether/server/guard.py applies
them per connection.
"""

from __future__ import annotations

import logging
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from google.protobuf.message import DecodeError
from grpclib.const import Status
from grpclib.encoding.proto import ProtoCodec
from grpclib.exceptions import GRPCError
from grpclib.protocol import Buffer

log = logging.getLogger(__name__)

#: No tether request needs more (the largest, SetPower with an `extra` Struct, is < 1 KiB).
MAX_MESSAGE_BYTES = 64 * 1024


@dataclass(frozen=True)
class Budget:
    """At most `burst` events at once and `per_second` on average (a token bucket)."""

    what: str
    burst: int
    per_second: float

    def __str__(self) -> str:
        return f"{self.burst} at once, {self.per_second:g}/s"


#: New calls (HEADERS). A grpclib client's sequential calls made 100-150/s here (a loaded 2-core
#: box) and 64 run at once at most (max_streams_per_connection); rapid reset opened 20,000/s.
NEW_CALLS = Budget("new calls", burst=1000, per_second=1000)
#: Calls the peer cancelled (RST_STREAM). A client cancels a call when its deadline passes, at
#: most at its call rate (20/s for a 20 Hz driver); rapid reset cancels every call it opens.
CANCELLED_CALLS = Budget("cancelled calls (RST_STREAM)", burst=200, per_second=50)
#: PING frames, each one the daemon must answer. grpclib and viam-sdk clients send none;
#: gRPC-core keepalives send one every few seconds at most. A flood sent 65,000/s.
PINGS = Budget("PING frames", burst=100, per_second=20)
#: SETTINGS frames, each one the daemon must apply and acknowledge. Clients send one when they
#: connect and rarely another; a flood sent 65,000/s.
SETTINGS = Budget("SETTINGS frames", burst=50, per_second=5)
#: Frames that ask for nothing back but still cost a parse: WINDOW_UPDATE, PRIORITY and empty
#: DATA. A client sends about one WINDOW_UPDATE per reply it reads and one empty DATA frame per
#: call at most (twice NEW_CALLS); a flood sent 65,000/s.
LESSER_FRAMES = Budget("WINDOW_UPDATE, PRIORITY and empty DATA frames", burst=500,
                       per_second=2000)
#: Calls (HEADERS) on a connection that has not authenticated, when keys are configured. A
#: client needs one (Authenticate) or a few (ResourceNames, a retry); a guesser wants
#: thousands, and rapid reset without a key is cut off here, after ten calls.
UNAUTHENTICATED_CALLS = Budget("calls without a key", burst=10, per_second=1)
#: Bytes a connection may send before it authenticates: a handshake and a few Authenticate
#: calls are < 4 KiB; this also ends a peer that keeps streaming a refused request's body.
UNAUTHENTICATED_BYTES = 256 * 1024
#: Seconds a connection may stay open without an authenticated call (keys configured): a
#: client authenticates right after connecting; authenticated connections may idle forever.
UNAUTHENTICATED_IDLE = 10.0
#: HTTP/2 flow-control windows the daemon grants (grpclib's default is 4 MiB each): what a peer
#: can make it hold unread per stream and per connection. The smallest window HTTP/2 allows
#: already fits any tether request; one of MAX_MESSAGE_BYTES arrives a window at a time.
STREAM_WINDOW = 65_535
CONNECTION_WINDOW = 2 * 65_535
#: Bytes handed to h2 at once: the budgets are checked between pieces, so an offender is cut
#: off after parsing at most this much beyond its budget (~30 HEADERS frames), not a whole
#: 256 KiB read (~8,000 frames; with 16 KiB pieces the loop still lagged 0.26 s).
FEED_PIECE = 1024
#: Seconds between two log lines about one peer (or one kind of malformed request).
LOG_INTERVAL = 10.0


class Allowance:
    """One connection's share of a Budget."""

    def __init__(self, budget: Budget, now: float) -> None:
        self.budget = budget
        self._tokens = float(budget.burst)
        self._at = now

    def take(self, now: float) -> bool:
        """Spend one event; False when the budget is exhausted."""
        budget = self.budget
        self._tokens = min(budget.burst, self._tokens + (now - self._at) * budget.per_second)
        self._at = now
        if self._tokens < 1:
            return False
        self._tokens -= 1
        return True


class ThrottledLog:
    """At most one warning per key every LOG_INTERVAL s, saying how many were held back."""

    MAX_KEYS = 1024

    def __init__(
        self, logger: logging.Logger, *, interval: float = LOG_INTERVAL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._log = logger
        self._interval = interval
        self._clock = clock
        self._last: dict[str, tuple[float, int]] = {}

    def warning(self, key: str, message: str, *args: Any) -> bool:
        """Log the line unless this key logged one recently; True if it was logged."""
        now = self._clock()
        last, held = self._last.get(key, (-self._interval, 0))
        if now - last < self._interval:
            self._last[key] = (last, held + 1)
            return False
        if len(self._last) >= self.MAX_KEYS:
            self._last = {k: v for k, v in self._last.items() if now - v[0] < self._interval}
        self._last[key] = (now, 0)
        suffix = f" ({held} more like it held back)" if held else ""
        self._log.warning(message + suffix, *args)
        return True


class LimitedProtoCodec(ProtoCodec):
    """Refuses oversized requests before decoding, and undecodable ones as INVALID_ARGUMENT
    (grpclib would answer UNKNOWN and log a traceback per request: a log flood)."""

    def __init__(self) -> None:
        self._malformed = ThrottledLog(log)

    def decode(self, data: bytes, message_type: Any) -> Any:
        if len(data) > MAX_MESSAGE_BYTES:
            raise GRPCError(
                Status.RESOURCE_EXHAUSTED,
                f"request of {len(data)} bytes: expected at most {MAX_MESSAGE_BYTES}",
            )
        try:
            return super().decode(data, message_type)
        except DecodeError:
            name = message_type.DESCRIPTOR.full_name
            self._malformed.warning(name, "refused a request that is not a valid %s", name)
            raise GRPCError(
                Status.INVALID_ARGUMENT,
                f"request of {len(data)} bytes is not a valid {name} (protobuf)",
            ) from None


class RequestBuffer(Buffer):
    """A stream's incoming bytes, read by grpclib as a 5-byte prefix then its body: the prefix
    is checked before a byte of the body is read (and so acknowledged, and so buffered)."""

    def __init__(self, ack_callback: Callable[[int], None]) -> None:
        super().__init__(ack_callback)
        self._body_next = False

    async def read(self, size: int) -> bytes:
        body, self._body_next = self._body_next, False
        try:
            data = await super().read(size)
        except AssertionError:  # grpclib's "Received less data than expected": a cut request
            data = b""
        if body and len(data) < size:
            raise GRPCError(
                Status.INVALID_ARGUMENT,
                f"request ended after {len(data)} of the {size} bytes its prefix declared",
            )
        if not body and size == 5 and data:
            check_prefix(data)
            self._body_next = True
        return data


def check_prefix(prefix: bytes) -> None:
    """A gRPC message prefix (compressed flag, big-endian length) tether accepts, or an error."""
    compressed, length = struct.unpack(">?I", prefix)
    if compressed:
        raise GRPCError(
            Status.UNIMPLEMENTED, "compressed request: tether accepts only grpc-encoding identity"
        )
    if length > MAX_MESSAGE_BYTES:
        raise GRPCError(
            Status.RESOURCE_EXHAUSTED,
            f"request declaring {length} bytes: expected at most {MAX_MESSAGE_BYTES}",
        )
