"""Connections that never get to the point are closed: a keyless idle gRPC connection, request
headers that never end, a TLS handshake that never starts. A keyed client's idle connection is
kept. The deadlines are shortened here (the real ones: 30 s, 5 s, 10 s) so the tests are quick."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import pytest

import tether.server.daemon
from tests.security.connection_attacks import (
    KEY,
    HeldConnections,
    idle_http2_connections,
    silent_connections,
    slow_headers,
    write_rover_config,
)
from tests.server.test_auth import make_certificate
from tests.web.conftest import NEEDS_AIOHTTP, run_async
from tether.client.aio import AsyncClient
from tether.config import load_config
from tether.server.background import BackgroundDaemon

pytest.importorskip("aiohttp", reason=NEEDS_AIOHTTP)

import tether.web.server

SHORT = 1.0
#: Generous CI bound on "closed at the deadline".
BOUND = SHORT + 5.0


def shorten(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    """Set deadline `name` to SHORT wherever it is read (modules without it just gain it)."""
    modules = [tether.server.daemon, tether.web.server, sys.modules.get("tether.server.admission")]
    for module in modules:
        if module is not None:
            monkeypatch.setattr(module, name, SHORT, raising=False)


def start(tmp_path: Path, *, tls: bool = False) -> BackgroundDaemon:
    """An in-process keyed rover with its drive page, both on 127.0.0.1 (TLS on both if asked)."""
    certificate = make_certificate(tmp_path) if tls else None
    return BackgroundDaemon(
        load_config(write_rover_config(tmp_path, tls=certificate)), listen="127.0.0.1:0"
    )


@pytest.fixture
def daemons() -> Iterator[list[BackgroundDaemon]]:
    started: list[BackgroundDaemon] = []
    yield started
    for daemon in started:
        daemon.close()


def ports(daemon: BackgroundDaemon) -> tuple[tuple[str, int], tuple[str, int]]:
    """(gRPC host, port), (drive page host, port)."""
    host, _, port = daemon.address.rpartition(":")
    assert daemon.daemon.web is not None
    web_host, _, web_port = daemon.daemon.web.url.split("//")[1].rstrip("/").rpartition(":")
    return (host, int(port)), (web_host, int(web_port))


def closed_within(attack: Callable[[], Awaitable[HeldConnections]]) -> tuple[int, float | None]:
    """Run `attack` and wait (bounded) until the daemon has closed all it opened."""

    async def scenario() -> tuple[int, float | None]:
        held = await attack()
        try:
            return len(held.streams), await held.all_closed_within(BOUND)
        finally:
            held.close()

    return run_async(scenario())


def test_an_idle_keyless_grpc_connection_is_closed_at_the_idle_deadline(
    tmp_path: Path, daemons: list[BackgroundDaemon], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before: an HTTP/2 connection that answers PINGs and asks nothing was held for ever."""
    shorten(monkeypatch, "GRPC_IDLE_TIMEOUT")
    daemons.append(daemon := start(tmp_path))
    (host, port), _ = ports(daemon)

    async def attack() -> float | None:
        held = await idle_http2_connections(host, port, 3)
        try:
            return await held.all_closed_within(BOUND)
        finally:
            held.close()

    closed = run_async(attack())
    assert closed is not None, f"idle keyless connections still open after {BOUND} s"
    assert closed >= SHORT * 0.8, f"closed after {closed:.2f} s, before the deadline"


def test_a_keyed_clients_idle_connection_is_kept(
    tmp_path: Path, daemons: list[BackgroundDaemon], monkeypatch: pytest.MonkeyPatch
) -> None:
    """viam-sdk idles between calls; once a key is checked the idle deadline no longer applies."""
    shorten(monkeypatch, "GRPC_IDLE_TIMEOUT")
    daemons.append(daemon := start(tmp_path))

    async def scenario() -> bool:
        client = await AsyncClient(daemon.address, api_key=KEY).open()
        try:
            await client.resource_names()  # with the token: this connection is trusted
            connection = client.channel._protocol
            await asyncio.sleep(SHORT * 3)
            await client.resource_names()
            return connection is not None and client.channel._protocol is connection
        finally:
            client.close()

    assert run_async(scenario()), "the keyed client's idle connection was closed"


def test_request_headers_that_never_end_are_dropped_at_the_header_deadline(
    tmp_path: Path, daemons: list[BackgroundDaemon], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before: slow headers (and silent connections) to the drive page were held for ever."""
    shorten(monkeypatch, "WEB_HEADER_TIMEOUT")
    daemons.append(daemon := start(tmp_path))
    _, (host, port) = ports(daemon)
    count, closed = closed_within(lambda: slow_headers(host, port, 4))
    assert count == 4
    assert closed is not None and closed <= BOUND, "slow headers were not dropped"


@pytest.mark.parametrize("port_name", ["gRPC", "drive page"])
def test_a_silent_tls_connection_is_dropped_at_the_handshake_deadline(
    tmp_path: Path, daemons: list[BackgroundDaemon], monkeypatch: pytest.MonkeyPatch,
    port_name: str,
) -> None:
    """Before: a connection that never sent a ClientHello was held 60 s (asyncio's default)."""
    shorten(monkeypatch, "HANDSHAKE_TIMEOUT")
    daemons.append(daemon := start(tmp_path, tls=True))
    grpc, web = ports(daemon)
    host, port = grpc if port_name == "gRPC" else web
    count, closed = closed_within(lambda: silent_connections(host, port, 4))
    assert count == 4
    assert closed is not None and closed <= BOUND, f"silent TLS connections held > {BOUND} s"


def test_a_keyed_client_still_connects_over_tls(
    tmp_path: Path, daemons: list[BackgroundDaemon]
) -> None:
    """The doorway runs the TLS handshake itself now: a real client must not notice."""
    daemons.append(daemon := start(tmp_path, tls=True))
    cert = str(tmp_path / "cert.pem")

    async def scenario() -> list[tuple[str, str]]:
        client = await AsyncClient(daemon.address, api_key=KEY, tls=cert).open()
        try:
            return await client.resource_names()
        finally:
            client.close()

    assert ("base", "base") in run_async(scenario())
