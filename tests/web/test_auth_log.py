"""The drive page logs refused API keys and its three-strike closes: one line each per peer a
minute, with the peer and the key id (clipped), never the secret. Everything on 127.0.0.1."""

from __future__ import annotations

import logging

import pytest

from tests.web.conftest import KEY, NEEDS_AIOHTTP, RoverFactory, run_async

pytest.importorskip("aiohttp", reason=NEEDS_AIOHTTP)

from tests.web.raw_client import RawPage

SOCKETS = 3
STRIKES = 3
LONG_ID = "k" * 200


def test_wrong_keys_and_three_strike_closes_are_logged_once_per_peer_without_secrets(
    start_rover: RoverFactory, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    rover = start_rover(keys=True)
    secrets_sent = [f"wrong-secret-{n:03d}-do-not-log" for n in range(SOCKETS * STRIKES)]

    async def scenario() -> list[int | None]:
        codes = []
        for socket in range(SOCKETS):
            async with RawPage.open(rover.ws_url, rover.origin) as page:
                for strike in range(STRIKES):
                    secret = secrets_sent[socket * STRIKES + strike]
                    await page.send({"type": "auth", "key_id": LONG_ID, "secret": secret})
                    if strike < STRIKES - 1:
                        await page.next("error")
                codes.append(await page.closed())
        return codes

    assert run_async(scenario(), timeout=60) == [4003] * SOCKETS
    messages = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    wrong = [m for m in messages if m.startswith("wrong API keys from 127.0.0.1 via the drive")]
    closes = [m for m in messages if m.startswith("drive socket from 127.0.0.1 closed after 3")]
    assert len(wrong) == 1, messages
    assert len(closes) == 1, messages
    for line in (wrong[0], closes[0]):
        assert "'kkkkkkkkkk" in line and "(200 characters)" in line, line
        assert "k" * 41 not in line, "the key id is clipped"
    everything = "\n".join(r.getMessage() for r in caplog.records)
    assert not any(secret in everything for secret in secrets_sent), "no secret is logged"
    assert KEY.secret not in everything
    assert rover.still_for(0.1)
