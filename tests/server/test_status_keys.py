"""`tether status` against a keyed TLS daemon, and what Status shows to each key.

Before: `tether status` had no key or TLS option and could not talk to a keyed daemon; Status
listed every session id (a bearer of that key's safety) to any caller.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.server.test_auth import (
    Key,
    make_certificate,
    new_key,
    rover_data,
    secret_file_entry,
)
from tether.cli import main
from tether.client import connect_async
from tether.config import parse_config
from tether.server.background import BackgroundDaemon


@pytest.fixture
def tls_two_keys(tmp_path: Path) -> Iterator[tuple[BackgroundDaemon, Key, Key, str]]:
    cert, key_file = make_certificate(tmp_path)
    mine, theirs = new_key(), new_key()
    data = rover_data([secret_file_entry(tmp_path, k) for k in (mine, theirs)],
                      tls_cert=str(cert), tls_key=str(key_file))
    daemon = BackgroundDaemon(parse_config(data, "<status keys>"), sim=True, listen="127.0.0.1:0")
    try:
        yield daemon, mine, theirs, str(cert)
    finally:
        daemon.close()


def test_tether_status_talks_to_a_keyed_tls_daemon(
    tls_two_keys: tuple[BackgroundDaemon, Key, Key, str], capsys: pytest.CaptureFixture[str],
) -> None:
    daemon, mine, _, ca = tls_two_keys
    assert main(["status", daemon.address, "--api-key", mine.arg, "--tls", ca]) == 0
    shown = capsys.readouterr().out
    assert "resources: left, right, base" in shown
    assert main(["status", daemon.address, "--tls", ca]) == 1
    assert "API key" in capsys.readouterr().err


def test_status_shows_session_ids_only_to_their_own_key(
    tls_two_keys: tuple[BackgroundDaemon, Key, Key, str],
) -> None:
    daemon, mine, theirs, ca = tls_two_keys

    async def look() -> tuple[list[tuple[str, str]], list[tuple[str, str]], str, str]:
        me = await connect_async(daemon.address, api_key=mine.arg, tls=ca)
        them = await connect_async(daemon.address, api_key=theirs.arg, tls=ca)
        async with me, them, me.session() as my_session, them.session() as their_session:
            await me.base("base").set_power(0.2, 0)
            await them.motor("left").set_power(0.1)  # not the base: no takeover
            mine_seen = [(s.id, s.owner) for s in (await me.status()).sessions]
            theirs_seen = [(s.id, s.owner) for s in (await them.status()).sessions]
            return mine_seen, theirs_seen, my_session.id, their_session.id

    mine_seen, theirs_seen, my_id, their_id = asyncio.run(look())
    assert sorted(mine_seen) == sorted([(my_id, mine.id), ("", "(another key)")])
    assert sorted(theirs_seen) == sorted([(their_id, theirs.id), ("", "(another key)")])


def test_a_huge_session_id_is_clipped_in_the_log(caplog: pytest.LogCaptureFixture) -> None:
    """Before: a 50 KB viam-sid was logged whole, once per request (a log flood)."""
    from tests.server.harness import DaemonThread
    from tests.server.test_api import Wire

    daemon = DaemonThread()
    wire = Wire(daemon)
    huge = "x" * 50_000
    try:
        with caplog.at_level("INFO", logger="tether"):
            for _ in range(3):
                with pytest.raises(Exception, match="SESSION_EXPIRED"):
                    wire.set_power(0.2, sid=huge)
            attach_with(wire, huge)
    finally:
        wire.close()
        daemon.close()
    longest = max(len(r.getMessage()) for r in caplog.records)
    assert longest < 300, f"a log line of {longest} characters"
    assert any("50000 characters" in r.getMessage() for r in caplog.records)


def attach_with(wire: object, session_id: str) -> None:
    """One Attach round trip naming session_id (refused: SESSION_EXPIRED in-band)."""
    from tether.wire.tether.v1 import control_pb2

    async def call() -> None:
        async with wire.control.Attach.open() as stream:  # type: ignore[attr-defined]
            await stream.send_message(control_pb2.AttachRequest(session_id=session_id), end=True)
            await stream.recv_message()

    wire.run(call)  # type: ignore[attr-defined]
