"""What a resource proxy needs from its connection: the channel and the two kinds of call.

The asyncio client implements it; the proxies depend on this alone, so neither module imports
the other's internals.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol, TypeVar

from grpclib.client import Channel

T = TypeVar("T")

#: The metadata one call carries (auth, and on monitored calls the session id).
Metadata = dict[str, str]


class Connection(Protocol):
    """A daemon connection as a Base or Motor proxy uses it."""

    @property
    def channel(self) -> Channel:
        """The open channel; ConnectionLost if closed."""
        ...

    async def call(self, call: Callable[[Metadata], Awaitable[T]]) -> T:
        """An unmonitored call (stop, queries): tether's errors, never gRPC's."""
        ...

    async def command(self, call: Callable[[Metadata], Awaitable[T]]) -> T:
        """A monitored call: the session id rides along (a lapsed session is replaced first)."""
        ...
