"""The drive page's seats: tabs without a key cannot lock the owner out (they wait, a few per
address, for a short while); only tabs with a session count against MAX_SOCKETS."""

from __future__ import annotations

import asyncio
import time

import pytest

from tests.web.conftest import KEY, NEEDS_AIOHTTP, RoverFactory, run_async

pytest.importorskip("aiohttp", reason=NEEDS_AIOHTTP)

from tests.security.connection_attacks import (
    drive_page_connect_time,
    unauthenticated_drive_sockets,
)
from tests.web.raw_client import RawPage
from tether.web.server import MAX_SOCKETS

#: The documented limits: 4 keyless sockets per address, each closed 10 s after it opened.
WAITING_PER_ADDRESS = 4
AUTH_DEADLINE = 10.0
#: Generous CI bound on "the owner's tab gets a session" (the target is 1 s).
CONNECT_BOUND = 5.0


def test_keyless_sockets_cannot_take_the_owners_seat(start_rover: RoverFactory) -> None:
    """Before: 16 keyless sockets from 127.0.0.2 took every seat; the owner's tab got 503."""
    rover = start_rover(keys=True)

    async def scenario() -> tuple[int, list[int], float | None]:
        tabs = await unauthenticated_drive_sockets(rover.ws_url, rover.origin, MAX_SOCKETS + 4)
        try:
            owner = await drive_page_connect_time(
                rover.ws_url, rover.origin, (KEY.id, KEY.secret), timeout=CONNECT_BOUND
            )
            return tabs.open_now(), tabs.refused, owner
        finally:
            await tabs.close()

    waiting, refused, owner = run_async(scenario())
    assert owner is not None, f"the owner was locked out by {waiting} keyless sockets"
    assert owner < CONNECT_BOUND
    assert waiting <= WAITING_PER_ADDRESS, f"one address holds {waiting} keyless sockets"
    assert refused and set(refused) == {503}


def test_a_keyless_socket_is_closed_at_the_auth_deadline(start_rover: RoverFactory) -> None:
    """Before: a socket that never sent its key held its slot for 60 s, then could reopen."""
    rover = start_rover(keys=True)

    async def scenario() -> tuple[int | None, float]:
        began = time.monotonic()
        async with RawPage.open(rover.ws_url, rover.origin) as page:
            code = await page.closed(AUTH_DEADLINE + 5.0)
        return code, time.monotonic() - began

    code, waited = run_async(asyncio.wait_for(scenario(), AUTH_DEADLINE + 10.0), timeout=30)
    assert code == 4003
    assert AUTH_DEADLINE * 0.8 <= waited <= AUTH_DEADLINE + 5.0


def test_a_keyed_tab_finding_every_seat_taken_is_told_why(start_rover: RoverFactory) -> None:
    """Two tabs wait for their key with one seat left: the first to authenticate gets it, the
    other is closed with 1013 and the reason (a socket is not a seat)."""
    rover = start_rover(keys=True)
    key = {"type": "auth", "key_id": KEY.id, "secret": KEY.secret}

    async def scenario() -> tuple[dict[str, object], int | None]:
        import aiohttp

        async with aiohttp.ClientSession() as http:

            async def tab() -> RawPage:
                return RawPage(http, await http.ws_connect(rover.ws_url, origin=rover.origin))

            seated = []
            try:
                for _ in range(MAX_SOCKETS - 1):
                    seated.append(page := await tab())
                    await page.send(key)
                    await page.next("session")
                first, second = await tab(), await tab()
                seated.append(first)
                await first.send(key)
                await first.next("session")
                await second.send(key)
                return await second.next("error"), await second.closed()
            finally:
                for page in seated:
                    await page.close()

    error, code = run_async(scenario(), timeout=60)
    assert f"{MAX_SOCKETS} drive sockets driving: expected at most {MAX_SOCKETS}" in str(
        error["error"])
    assert code == 1013
