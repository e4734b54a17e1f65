"""A connection refused at the door costs nothing once it is gone. Before, grpclib made its
per-connection Handler for every accepted socket, the refused ones too, and only a
connection_lost (which a refused connection's protocol never sees) closes one; the server keeps
every Handler that is not closed, so a peer churning over-cap connections grew the daemon's
memory without bound (bench/attack_bench.py, grpc-idle-h2: +5.5 MiB in 20 s, +9.1 MiB in 60 s)."""

from __future__ import annotations

import gc
import time
from pathlib import Path

import pytest
from grpclib.server import Handler

from tests.security.connection_attacks import idle_http2_connections, write_rover_config
from tests.web.conftest import NEEDS_AIOHTTP, run_async
from tether.config import load_config
from tether.server.admission import MAX_CONNECTIONS_PER_PEER
from tether.server.background import BackgroundDaemon

pytest.importorskip("aiohttp", reason=NEEDS_AIOHTTP)

#: Connections from one address: all but MAX_CONNECTIONS_PER_PEER are refused at once.
FLOOD = 400
#: grpclib drops closed Handlers every 10 new connections, so up to 10 may linger.
GRPCLIB_GC_INTERVAL = 10


def grpclib_handlers() -> int:
    """grpclib server Handlers alive in this process (one per connection it was given)."""
    gc.collect()
    return sum(isinstance(thing, Handler) for thing in gc.get_objects())


def test_connections_refused_at_the_door_leave_no_grpclib_handler_behind(tmp_path: Path) -> None:
    daemon = BackgroundDaemon(load_config(write_rover_config(tmp_path)), listen="127.0.0.1:0")
    try:
        host, _, port = daemon.address.rpartition(":")
        before = grpclib_handlers()

        async def flood() -> int:
            held = await idle_http2_connections(host, int(port), FLOOD)
            try:
                return await held.settle(1.0)  # the refused ones are closed at once
            finally:
                held.close()

        admitted = run_async(flood())
        time.sleep(0.5)  # the daemon sees the admitted ones close
        left = grpclib_handlers() - before
    finally:
        daemon.close()
    print(f"{FLOOD} connections, {admitted} admitted; grpclib handlers left after all closed: "
          f"{left}")
    assert admitted <= MAX_CONNECTIONS_PER_PEER
    assert left <= admitted + GRPCLIB_GC_INTERVAL, (
        f"{left} grpclib handlers outlived {FLOOD} closed connections ({FLOOD - admitted} of "
        "them refused at the door)")
