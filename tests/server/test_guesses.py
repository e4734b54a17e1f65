"""Guessing API keys over the wire: a peer gets a few checked, then waits; other peers don't.

Every daemon here listens on 127.0.0.1; the "other peer" connects from 127.0.0.2, which is the
same loopback interface. Every burst is bounded in count and time.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from grpclib.client import Channel
from grpclib.const import Status
from grpclib.exceptions import GRPCError

from tests.server.test_auth import Key, new_key, rover_data, secret_file_entry
from tether.config import parse_config
from tether.server.background import BackgroundDaemon
from tether.wire.proto.rpc.v1 import auth_grpc, auth_pb2
from tether.wire.viam.robot.v1 import robot_grpc, robot_pb2

GUESSES = 300
#: A connection without a key may make 10 calls (tether/server/budgets.py), so the guesser opens
#: one connection per guess, at most 16 at a time (the per-address cap is 32): the per-peer
#: budget is what must hold it, whatever the connections.
IN_FLIGHT = 16
#: The README's figures: the first 10 wrong keys from a peer are checked, then waits double.
FREE_FAILURES = 10
WRONG_KEY = "unknown API key id or wrong secret"
BUDGET_LINE = "wrong API keys from"


class SourceChannel(Channel):
    """A plaintext channel whose connection leaves from `source`: another peer on loopback."""

    def __init__(self, address: str, source: str) -> None:
        host, _, port = address.rpartition(":")
        super().__init__(host, int(port))
        self._source = source

    async def _create_connection(self) -> Any:
        _, protocol = await self._loop.create_connection(
            self._protocol_factory, self._host, self._port, local_addr=(self._source, 0))
        return protocol


def authenticate_request(key_id: str, secret: str) -> auth_pb2.AuthenticateRequest:
    return auth_pb2.AuthenticateRequest(
        entity=key_id, credentials=auth_pb2.Credentials(type="api-key", payload=secret))


async def answer(channel: Channel, key_id: str, secret: str) -> str:
    """The token, or the refusal's message."""
    try:
        reply = await auth_grpc.AuthServiceStub(channel).Authenticate(
            authenticate_request(key_id, secret), timeout=10)
    except GRPCError as error:
        assert error.status == Status.UNAUTHENTICATED, error
        return f"refused: {error.message}"
    return str(reply.access_token)


@pytest.fixture
def key() -> Key:
    return new_key()


@pytest.fixture
def keyed(tmp_path: Path, key: Key) -> Iterator[BackgroundDaemon]:
    daemon = BackgroundDaemon(
        parse_config(rover_data([secret_file_entry(tmp_path, key)]), "<test_guesses>"),
        sim=True, listen="127.0.0.1:0")
    try:
        yield daemon
    finally:
        daemon.close()


def test_a_guessing_peer_gets_a_few_keys_checked_then_waits_and_another_peer_logs_in(
    keyed: BackgroundDaemon, key: Key, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    guesses = [secrets.token_urlsafe(24) for _ in range(GUESSES)]

    async def scenario() -> tuple[list[str], float, str, str, list[str]]:
        attacker = SourceChannel(keyed.address, "127.0.0.1")
        owner = SourceChannel(keyed.address, "127.0.0.2")
        limit = asyncio.Semaphore(IN_FLIGHT)
        try:
            async def guess(secret: str) -> str:
                async with limit:
                    fresh = SourceChannel(keyed.address, "127.0.0.1")
                    try:
                        return await answer(fresh, key.id, secret)
                    finally:
                        fresh.close()

            started = time.monotonic()
            answers = await asyncio.gather(*(guess(s) for s in guesses))
            elapsed = time.monotonic() - started
            same_peer = await answer(attacker, key.id, key.secret)  # its right key: not checked
            other_peer = await answer(owner, key.id, key.secret)
            names = await robot_grpc.RobotServiceStub(owner).ResourceNames(
                robot_pb2.ResourceNamesRequest(),
                metadata={"authorization": f"Bearer {other_peer}"}, timeout=10)
            return answers, elapsed, same_peer, other_peer, [r.name for r in names.resources]
        finally:
            attacker.close()
            owner.close()

    answers, elapsed, same_peer, other_peer, names = asyncio.run(
        asyncio.wait_for(scenario(), 60))
    checked = answers.count(f"refused: {WRONG_KEY}")
    waiting = [a for a in answers if a.startswith("refused: too many wrong API keys")]
    print(f"{GUESSES} guesses in {elapsed:.2f} s ({GUESSES / elapsed:,.0f}/s answered); "
          f"{checked} had their secret checked, {len(waiting)} were refused unchecked")
    assert checked + len(waiting) == GUESSES, set(answers) - {f"refused: {WRONG_KEY}"}
    # The free ones, the one that starts the first wait, one more per doubling wait that ended.
    assert FREE_FAILURES + 1 <= checked <= FREE_FAILURES + 2 + int(elapsed).bit_length(), checked
    assert same_peer.startswith("refused: too many wrong API keys from this address"), same_peer
    assert not other_peer.startswith("refused"), f"another peer's right key: {other_peer}"
    assert "base" in names, "and its token works"
    lines = [r.getMessage() for r in caplog.records if BUDGET_LINE in r.getMessage()]
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"{BUDGET_LINE} 127.0.0.1 via Authenticate: 1 wrong"), lines
    assert repr(key.id) in lines[0]
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert key.secret not in logged and not any(g in logged for g in guesses), "no secret logged"
