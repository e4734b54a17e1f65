"""The page protocol, origin rules and rate limit as pure functions: what passes, what not."""

from __future__ import annotations

import json

import pytest

from tether.errors import ConfigError, InvalidCommand
from tether.web.limits import RateLimit
from tether.web.origin import host_name, normalize_origin, refuse_origin
from tether.web.protocol import (
    Auth,
    Drive,
    Heartbeat,
    Hidden,
    Stop,
    error_frame,
    frame,
    parse_message,
)


def test_every_frame_type_parses_to_its_message() -> None:
    assert parse_message('{"type": "drive", "base": "base", "linear": 1, "angular": -0.25}') == (
        Drive("base", 1.0, -0.25)
    )
    assert parse_message('{"type": "stop", "base": "base"}') == Stop("base")
    assert parse_message('{"type": "heartbeat"}') == Heartbeat()
    assert parse_message('{"type": "hidden"}') == Hidden()
    assert parse_message('{"type": "auth", "key_id": "k", "secret": "s"}') == Auth("k", "s")


@pytest.mark.parametrize("value", ["NaN", "-Infinity", "1e999", "1.0000001", "-2", '"0.5"',
                                   "null", "false", "[0.5]", "{}"])
def test_drive_values_outside_minus_one_to_one_are_refused(value: str) -> None:
    text = f'{{"type": "drive", "base": "base", "linear": {value}, "angular": 0}}'
    with pytest.raises(InvalidCommand, match=r"linear|NaN|Infinity"):
        parse_message(text)


def test_a_wrong_secret_is_never_echoed() -> None:
    with pytest.raises(InvalidCommand) as raised:
        parse_message(json.dumps({"type": "auth", "key_id": "k", "secret": "x" * 300}))
    assert "xxx" not in str(raised.value) and "<hidden>" in str(raised.value)


def test_daemon_frames_are_strict_json() -> None:
    assert json.loads(frame("status", duties={"left": 0.5})) == {
        "type": "status", "duties": {"left": 0.5}
    }
    assert json.loads(error_frame("bad", fatal=True))["fatal"] is True
    with pytest.raises(ValueError):
        frame("status", duty=float("nan"))


def test_origins_are_normalized_and_bad_ones_named() -> None:
    assert normalize_origin("HTTP://Rover.Local:8081/") == "http://rover.local:8081"
    assert normalize_origin("https://[::1]:9") == "https://[::1]:9"
    for bad in ("rover.local:8081", "ftp://rover", "http://rover/path", "http://u@rover"):
        with pytest.raises(ConfigError, match="allowed origin"):
            normalize_origin(bad)


def test_host_names_drop_the_port() -> None:
    assert host_name("127.0.0.1:8081") == "127.0.0.1"
    assert host_name("[::1]:8081") == "::1"
    assert host_name("LOCALHOST") == "localhost"


def test_same_origin_passes_and_others_are_named() -> None:
    def refuse(origin: str, host: str) -> str | None:
        return refuse_origin(origin, scheme="http", host=host, allowed=frozenset(),
                             loopback_only=True)

    assert refuse("http://127.0.0.1:8081", "127.0.0.1:8081") is None
    refused = refuse("http://evil.example", "127.0.0.1:8081")
    assert refused is not None and "'http://evil.example'" in refused
    rebound = refuse("http://evil.example:8081", "evil.example:8081")
    assert rebound is not None and "loopback" in rebound
    keyed = refuse_origin("http://rover.local:8081", scheme="http", host="rover.local:8081",
                          allowed=frozenset(), loopback_only=False)
    assert keyed is None


def test_rate_limit_passes_a_burst_then_refuses_and_refills() -> None:
    now = [0.0]
    limit = RateLimit(rate=10, burst=5, clock=lambda: now[0])
    assert [limit.allow() for _ in range(6)] == [True] * 5 + [False]
    assert limit.refused == 1
    now[0] += 0.1
    assert limit.allow() and not limit.allow()
