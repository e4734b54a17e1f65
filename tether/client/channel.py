"""Open a grpclib channel to a daemon address ('HOST:PORT' or 'unix:PATH')."""

from __future__ import annotations

from grpclib.client import Channel

from tether.contract.address import parse_listen


def open_channel(address: str) -> Channel:
    """A channel to the daemon at address (same syntax as [server].listen)."""
    target = parse_listen(address, "address")
    if isinstance(target, str):
        return Channel(path=target)
    host, port = target
    return Channel(host, port)
