"""Bearer tokens live [auth] token_lifetime (24 h by default); tether's client renews its own.

The daemon's wall clock (its Authenticator's) and the client's monotonic clock are moved forward
by the test instead of waiting: test-only access to two private clocks. Every daemon here listens
on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.server.test_auth import Key, new_key, rover_data, secret_file_entry
from tether.client import AuthError, connect_async
from tether.config import ApiKey, parse_config
from tether.errors import ConfigError
from tether.server.auth import Authenticator
from tether.server.background import BackgroundDaemon

DAY = 24 * 3600


def keyed_data(folder: Path, key: Key, **auth: Any) -> dict[str, Any]:
    data = rover_data([secret_file_entry(folder, key)])
    data["auth"].update(auth)
    return data


@pytest.fixture
def key() -> Key:
    return new_key()


@pytest.fixture(params=[DAY, 60], ids=["default lifetime", "a minute"])
def lifetime(request: pytest.FixtureRequest) -> int:
    return int(request.param)


@pytest.fixture
def rover(tmp_path: Path, key: Key, lifetime: int) -> Iterator[BackgroundDaemon]:
    """A keyed daemon whose tokens live `lifetime` (the default one: no [auth] token_lifetime)."""
    auth = {} if lifetime == DAY else {"token_lifetime": lifetime}
    config = parse_config(keyed_data(tmp_path, key, **auth), "<token lifetime>")
    daemon = BackgroundDaemon(config, sim=True, listen="127.0.0.1:0")
    try:
        yield daemon
    finally:
        daemon.close()


class Logins:
    """Counts the Authenticate calls the daemon answers with a token; moves its clock."""

    def __init__(self, daemon: BackgroundDaemon, monkeypatch: pytest.MonkeyPatch) -> None:
        self.authenticator = daemon.daemon.authenticator
        self.count = 0
        self.ahead = 0.0
        issue = self.authenticator.authenticate

        def counted(*args: Any, **kwargs: Any) -> str:
            token = issue(*args, **kwargs)
            self.count += 1
            return token

        monkeypatch.setattr(self.authenticator, "authenticate", counted)
        monkeypatch.setattr(self.authenticator, "clock", lambda: time.time() + self.ahead)


def test_token_lifetime_defaults_to_a_day_and_is_checked(tmp_path: Path, key: Key) -> None:
    assert parse_config(keyed_data(tmp_path, key)).token_lifetime == 24 * 3600
    assert parse_config(keyed_data(tmp_path, key, token_lifetime=3600)).token_lifetime == 3600
    for bad in (30, 8 * 24 * 3600, "1h", True):
        with pytest.raises(ConfigError, match=r"\[auth\]\.token_lifetime = .*: expected "):
            parse_config(keyed_data(tmp_path, key, token_lifetime=bad), "rover.toml")


def test_a_token_lives_the_configured_lifetime_and_a_longer_lived_one_is_refused() -> None:
    key = new_key()
    clock = [1_700_000_000.0]
    day = Authenticator((ApiKey(key.id, key.secret),), clock=lambda: clock[0])
    hour = Authenticator((ApiKey(key.id, key.secret),), lifetime=3600, clock=lambda: clock[0])
    short = hour.authenticate(key.id, "api-key", key.secret)
    long = day.authenticate(key.id, "api-key", key.secret)
    assert hour.owner({"authorization": f"Bearer {short}"}) == key.id
    with pytest.raises(Exception, match="an API key is required"):
        hour.owner({"authorization": f"Bearer {long}"})  # issued for a day: not under an hour
    clock[0] += 3600
    with pytest.raises(Exception, match="an API key is required"):
        hour.owner({"authorization": f"Bearer {short}"})


def test_tether_client_renews_its_token_at_half_life_and_drives_on(
    rover: BackgroundDaemon, key: Key, lifetime: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    logins = Logins(rover, monkeypatch)

    async def scenario() -> None:
        client = await connect_async(rover.address, api_key=key.arg)
        async with client:
            start = time.monotonic()
            assert logins.count == 1
            async with client.session(heartbeat_window=5.0):
                await client.base("base").set_power(0.3, 0.0)
                # Half a lifetime passes on both clocks: the next call first renews the token.
                logins.ahead = lifetime / 2 + 1
                client._clock = lambda: time.monotonic() + lifetime / 2 + 1
                await client.base("base").set_power(0.4, 0.0)
                assert logins.count == 2, "renewed before its token expired"
                # The first token has expired on the daemon; the renewed one drives on.
                logins.ahead = lifetime + 5
                client._clock = lambda: time.monotonic() + lifetime / 2 + 5
                await client.base("base").set_power(0.5, 0.0)
                assert logins.count == 2, "no login needed: the renewed token is valid"
                assert rover.duties()["left"] == pytest.approx(0.5)
            assert time.monotonic() - start < 10

    asyncio.run(asyncio.wait_for(scenario(), 30))
    assert rover.wait_until(lambda: not rover.moving(), 2) is not None


def test_tether_client_logs_in_again_once_when_the_daemon_refuses_its_token(
    rover: BackgroundDaemon, key: Key, lifetime: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The daemon's clock jumped (an NTP sync on a Pi without a clock): the token is refused."""
    logins = Logins(rover, monkeypatch)

    async def scenario() -> None:
        client = await connect_async(rover.address, api_key=key.arg)
        async with client:
            logins.ahead = 10 * lifetime
            assert ("base", "base") in await client.resource_names()
            assert logins.count == 2
            async with client.session(heartbeat_window=5.0):
                await client.base("base").set_power(0.3, 0.0)
                assert rover.duties()["left"] == pytest.approx(0.3)
            assert logins.count == 2

    asyncio.run(asyncio.wait_for(scenario(), 30))


def test_a_client_whose_key_was_removed_gets_auth_error_not_a_loop(
    rover: BackgroundDaemon, key: Key, monkeypatch: pytest.MonkeyPatch
) -> None:
    logins = Logins(rover, monkeypatch)

    async def scenario() -> None:
        client = await connect_async(rover.address, api_key=key.arg)
        async with client:
            monkeypatch.setattr(logins.authenticator, "_signers", [])  # the key is gone
            with pytest.raises(AuthError, match="unknown API key id or wrong secret"):
                await client.resource_names()

    asyncio.run(asyncio.wait_for(scenario(), 30))
    assert logins.count == 1


def test_a_refused_renewal_keeps_the_current_token_while_it_is_valid(
    rover: BackgroundDaemon, key: Key, lifetime: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Someone else at this client's address guessed keys: its renewal waits; it drives on."""
    logins = Logins(rover, monkeypatch)

    async def scenario() -> None:
        client = await connect_async(rover.address, api_key=key.arg)
        async with client:
            for _ in range(11):  # a neighbour behind the same address: this peer now waits
                logins.authenticator.guesses.failed("127.0.0.1", "neighbour")
            logins.ahead = lifetime / 2 + 1
            client._clock = lambda: time.monotonic() + lifetime / 2 + 1
            assert ("base", "base") in await client.resource_names(), "the token still serves"
            assert ("base", "base") in await client.resource_names()
            assert logins.count == 1, "no renewal got through, and it was not retried at once"

    asyncio.run(asyncio.wait_for(scenario(), 30))
