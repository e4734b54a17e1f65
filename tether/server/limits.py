"""Per-connection stream limit: one greedy client gets RESOURCE_EXHAUSTED, the others nothing."""

from __future__ import annotations

from collections import Counter
from typing import Any

from grpclib.const import Status
from grpclib.events import RecvRequest, listen
from grpclib.exceptions import GRPCError

from tether.server.connections import connection_key

DEFAULT_MAX_STREAMS = 64


class StreamLimiter:
    """Counts the RPCs in flight on each connection and refuses those beyond the limit."""

    def __init__(self, max_streams: int = DEFAULT_MAX_STREAMS) -> None:
        self.max_streams = max_streams
        self._open: Counter[int] = Counter()

    def in_flight(self, key: int) -> int:
        """RPCs running now on that connection."""
        return self._open[key]

    def install(self, server: Any) -> None:
        """Check each request before its handler starts; count it until the handler ends."""

        async def on_request(event: RecvRequest) -> None:
            key = connection_key(event)
            if self._open[key] >= self.max_streams:
                raise GRPCError(
                    Status.RESOURCE_EXHAUSTED,
                    f"too many concurrent calls on this connection: {self.max_streams} "
                    "already running (the limit); others' calls are unaffected",
                )
            self._open[key] += 1
            event.method_func = self._counted(event.method_func, key)

        listen(server, RecvRequest, on_request)

    def _counted(self, handler: Any, key: int) -> Any:
        async def counted(stream: Any) -> None:
            try:
                await handler(stream)
            finally:
                self._open[key] -= 1
                if self._open[key] <= 0:
                    del self._open[key]

        return counted
