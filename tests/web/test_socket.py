"""The drive socket at the wire, from a raw aiohttp client: bad frames move nothing, ends stop."""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

import pytest

from tests.web.conftest import KEY, NEEDS_AIOHTTP, RoverFactory, run_async

pytest.importorskip("aiohttp", reason=NEEDS_AIOHTTP)

import aiohttp

from tests.web.raw_client import RawPage
from tether.errors import ConfigError
from tether.web.server import start_web, web_tls_context

BAD_FRAMES: list[tuple[str | bytes, str]] = [
    ("not json", "expected a JSON object"),
    ("[1, 2]", "expected a JSON object"),
    ('"drive"', "expected a JSON object"),
    ('{"type": "fly"}', "type='fly': expected one of"),
    ('{"linear": 1}', "type=None"),
    ('{"type": "drive", "base": "base", "linear": 0.5}', "'angular': missing"),
    ('{"type": "drive", "base": "base", "linear": 0.5, "angular": 0, "turbo": 1}',
     "'turbo': unknown"),
    ('{"type": "drive", "base": "base", "linear": NaN, "angular": 0}', "NaN"),
    ('{"type": "drive", "base": "base", "linear": Infinity, "angular": 0}', "Infinity"),
    ('{"type": "drive", "base": "base", "linear": 1e999, "angular": 0}', "drive linear=inf"),
    ('{"type": "drive", "base": "base", "linear": 2, "angular": 0}',
     "drive linear=2: expected a number in [-1, 1]"),
    ('{"type": "drive", "base": "base", "linear": 0.5, "angular": -1.5}', "drive angular=-1.5"),
    ('{"type": "drive", "base": "base", "linear": "1", "angular": 0}', "drive linear='1'"),
    ('{"type": "drive", "base": "base", "linear": true, "angular": 0}', "drive linear=True"),
    ('{"type": "drive", "base": "nope", "linear": 0.5, "angular": 0}',
     "base='nope': no such base; expected one of 'base'"),
    ('{"type": "drive", "base": 7, "linear": 0.5, "angular": 0}', "drive base=7"),
    ('{"type": "drive", "base": "base", "linear": 0.1, "angular": 0, "linear": 0.9}',
     "'linear' appears twice"),
    ('{"type": "stop"}', "'base': missing"),
    ('{"type": "auth", "key_id": "x", "secret": "y"}', "no API keys"),
    (b"\x00\x01", "binary frame of 2 bytes"),
    ('{"type": "heartbeat", "pad": "' + "x" * 2000 + '"}', "bytes: expected at most 1024"),
]


def test_malformed_frames_get_error_frames_and_nothing_moves(start_rover: RoverFactory) -> None:
    rover = start_rover()

    async def scenario() -> None:
        async with RawPage.open(rover.ws_url, rover.origin) as page:
            await page.next("session")
            for bad, expected in BAD_FRAMES:
                await page.send(bad)
                error = await page.next("error")
                assert expected in error["error"], (bad, error)
                assert error["fatal"] is False
                assert not rover.moving(), f"{bad!r} moved the rover"
            assert rover.still_for(0.2)
            await page.drive(0.5)  # the socket still works: a good frame drives
            assert rover.wait_until(rover.forward, 3) is not None

    run_async(scenario())


def test_bad_frame_while_driving_stops_the_base(start_rover: RoverFactory) -> None:
    rover = start_rover(window=2.0)

    async def scenario() -> None:
        async with RawPage.open(rover.ws_url, rover.origin) as page:
            await page.next("session")
            await page.drive(0.6, 0.1)
            assert rover.wait_until(rover.moving, 3) is not None
            await page.send('{"type": "drive", "base": "base", "linear": NaN, "angular": 0}')
            await page.next("error")
            assert rover.wait_until(lambda: not rover.moving(), 1.0) is not None

    run_async(scenario())


def test_status_frames_name_the_session_owner_and_duties(start_rover: RoverFactory) -> None:
    rover = start_rover()

    async def scenario() -> None:
        async with RawPage.open(rover.ws_url, rover.origin) as page:
            assert page.hello["bases"] == ["base"] and page.hello["auth_required"] is False
            session = await page.next("session")
            await page.drive(0.5)
            assert rover.wait_until(rover.forward, 3) is not None
            status = await page.status_where(lambda s: s["owners"]["base"] == "you")
            assert status["session"] == session["id"] == rover.owner_of_base()
            assert status["owners"] == {"base": "you"}
            assert status["duties"]["left"] > 0 and status["duties"]["right"] > 0

    run_async(scenario())


def test_a_tab_whose_base_another_session_takes_is_told_it_lost_it(
    start_rover: RoverFactory,
) -> None:
    """Before: the page only ever saw 'owner: another client' in a later status frame."""
    rover = start_rover()
    api = rover.daemon.daemon.api
    assert api is not None

    async def scenario() -> dict[str, object]:
        async with RawPage.open(rover.ws_url, rover.origin) as page:
            await page.next("session")
            await page.drive(0.5)
            assert rover.wait_until(rover.forward, 3) is not None
            other = api.sessions.start()
            base = api.robot.bases["base"]
            rover.daemon.call(api.run(api.guard(other.id, "", "base", base,
                                                lambda: base.set_power(-0.2, 0)), base))
            return await page.next("lost")

    lost = run_async(scenario())
    assert (lost["base"], lost["reason"]) == ("base", "superseded")


def test_closing_the_socket_stops_the_base_at_once(start_rover: RoverFactory) -> None:
    rover = start_rover(window=2.0)

    async def scenario() -> float:
        async with RawPage.open(rover.ws_url, rover.origin) as page:
            await page.next("session")
            await page.drive(0.5)
            assert rover.wait_until(rover.moving, 3) is not None
            closing = time.monotonic()
            await page.close()
            return closing

    closing = run_async(scenario())
    assert rover.wait_until(lambda: not rover.moving(), 1.5) is not None
    stopped = rover.daemon.stopped_at()
    assert stopped is not None and stopped - closing < 1.0, "stopped by the close, not the window"


def test_silent_socket_is_stopped_at_its_window(start_rover: RoverFactory) -> None:
    rover = start_rover(window=0.5)

    async def scenario() -> tuple[float, int | None]:
        async with RawPage.open(rover.ws_url, rover.origin) as page:
            await page.next("session")
            await page.drive(0.5)
            last = time.monotonic()
            assert rover.wait_until(rover.moving, 3) is not None
            code = await page.closed(timeout=4.0)  # silent now; pings are still answered
            return last, code

    last, code = run_async(scenario())
    stopped = rover.daemon.stopped_at()
    assert stopped is not None
    assert 0.4 < stopped - last < 2.0, f"stopped {stopped - last:.3f} s after the last frame"
    assert code == 4000


def test_hidden_frame_ends_the_session_and_stops(start_rover: RoverFactory) -> None:
    rover = start_rover(window=2.0)

    async def scenario() -> int | None:
        async with RawPage.open(rover.ws_url, rover.origin) as page:
            await page.next("session")
            await page.drive(0.5)
            assert rover.wait_until(rover.moving, 3) is not None
            await page.send({"type": "hidden"})
            assert rover.wait_until(lambda: not rover.moving(), 1.0) is not None
            code = await page.closed()
            return code

    assert run_async(scenario()) == 4001
    assert rover.owner_of_base() is None


def test_frame_flood_is_rate_limited_and_stops_the_base(start_rover: RoverFactory) -> None:
    rover = start_rover(window=2.0)

    async def scenario() -> None:
        async with RawPage.open(rover.ws_url, rover.origin) as page:
            await page.next("session")
            await page.drive(0.5)
            assert rover.wait_until(rover.moving, 3) is not None
            for _ in range(120):
                await page.send({"type": "heartbeat"})
            error = await page.next("error")
            assert "frame rate over 50 per second" in error["error"]
            assert rover.wait_until(lambda: not rover.moving(), 1.0) is not None

    run_async(scenario())


def test_oversized_frame_closes_the_socket_and_stops(start_rover: RoverFactory) -> None:
    rover = start_rover(window=2.0)

    async def scenario() -> int | None:
        async with RawPage.open(rover.ws_url, rover.origin) as page:
            await page.next("session")
            await page.drive(0.5)
            assert rover.wait_until(rover.moving, 3) is not None
            await page.send("x" * (100 * 1024))
            code = await page.closed()
            return code

    assert run_async(scenario()) == 1009
    assert rover.wait_until(lambda: not rover.moving(), 1.0) is not None


@pytest.mark.parametrize(
    ("origin", "host"),
    [("http://evil.example", None), (None, None), ("http://evil.example:80", "evil.example:80")],
    ids=["foreign-origin", "no-origin", "rebinding-host"],
)
def test_foreign_pages_cannot_open_the_socket(
    start_rover: RoverFactory, origin: str | None, host: str | None
) -> None:
    rover = start_rover()

    async def scenario() -> int:
        async with aiohttp.ClientSession() as http:
            headers = {"Host": host} if host else {}
            try:
                ws = await http.ws_connect(rover.ws_url, origin=origin, headers=headers)
            except aiohttp.WSServerHandshakeError as exc:
                return exc.status
            await ws.close()
            return 101

    assert run_async(scenario()) == 403


def test_configured_origin_is_accepted(start_rover: RoverFactory) -> None:
    rover = start_rover(allowed_origins=("http://rover.local:8081",))

    async def scenario() -> None:
        async with RawPage.open(rover.ws_url, "http://rover.local:8081") as page:
            await page.next("session")

    run_async(scenario())


def test_page_is_served_with_a_strict_content_security_policy(start_rover: RoverFactory) -> None:
    rover = start_rover()

    async def scenario() -> tuple[int, str, dict[str, str], int]:
        async with aiohttp.ClientSession() as http:
            async with http.get(rover.url) as response:
                text = await response.text()
                headers = dict(response.headers)
            evil = {"Host": "evil.example"}
            async with http.get(rover.url, headers=evil) as rebound:
                return response.status, text, headers, rebound.status

    status, text, headers, rebound = run_async(scenario())
    assert status == 200 and "STOPPED — connection lost" in text
    assert "script-src 'sha256-" in headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert headers["X-Frame-Options"] == "DENY"
    assert rebound == 403


def test_commands_before_the_api_key_move_nothing(start_rover: RoverFactory) -> None:
    rover = start_rover(keys=True)

    async def scenario() -> int | None:
        async with RawPage.open(rover.ws_url, rover.origin) as page:
            assert page.hello["auth_required"] is True
            await page.drive(0.5)
            assert "before authenticating" in (await page.next("error"))["error"]
            for attempt in range(3):
                await page.send({"type": "auth", "key_id": KEY.id, "secret": f"wrong-{attempt}"})
                if attempt < 2:
                    error = await page.next("error")
                    assert "key_id='laptop': unknown API key id or wrong secret" in error["error"]
                    assert "wrong-" not in error["error"], "the secret is never echoed"
            code = await page.closed()
            return code

    assert run_async(scenario()) == 4003
    assert rover.still_for(0.2)


def test_the_right_api_key_starts_a_session_owned_by_the_key(start_rover: RoverFactory) -> None:
    rover = start_rover(keys=True)

    async def scenario() -> None:
        async with RawPage.open(rover.ws_url, rover.origin) as page:
            await page.send({"type": "auth", "key_id": KEY.id, "secret": KEY.secret})
            session = await page.next("session")
            assert session["owner"] == "laptop"
            await page.drive(0.5)
            assert rover.wait_until(rover.forward, 3) is not None

    run_async(scenario())
    assert rover.wait_until(lambda: not rover.moving(), 1.5) is not None


def test_closing_the_web_server_closes_sockets_and_stops(start_rover: RoverFactory) -> None:
    rover = start_rover(window=2.0)

    async def scenario() -> tuple[dict[str, object], int | None]:
        async with RawPage.open(rover.ws_url, rover.origin) as page:
            await page.next("session")
            await page.drive(0.5)
            assert rover.wait_until(rover.moving, 3) is not None
            closing = rover.daemon.loop.create_task  # run close() on the daemon's own loop
            rover.daemon.loop.call_soon_threadsafe(lambda: closing(rover.web.close()))
            error = await page.next("error")
            code = await page.closed()
            return error, code

    error, code = run_async(scenario())
    assert error["fatal"] is True and code == 1001
    assert rover.wait_until(lambda: not rover.moving(), 1.0) is not None


def test_a_socket_without_a_session_to_start_is_closed(start_rover: RoverFactory) -> None:
    rover = start_rover(max_sessions=1)

    async def scenario() -> tuple[dict[str, object], int | None]:
        async with RawPage.open(rover.ws_url, rover.origin) as first:
            await first.next("session")
            async with RawPage.open(rover.ws_url, rover.origin) as second:
                error = await second.next("error")
                return error, await second.closed()

    error, code = run_async(scenario())
    assert "no session: session limit reached" in str(error["error"]) and error["fatal"] is True
    assert code == 1013


def test_off_loopback_without_api_keys_is_refused(start_rover: RoverFactory) -> None:
    rover = start_rover()
    api = rover.daemon.daemon.api
    assert api is not None
    with pytest.raises(ConfigError, match=r"0\.0\.0\.0:0 \(beyond this machine\) needs API keys"):
        rover.daemon.call(start_web(api, host="0.0.0.0", port=0))



def test_the_page_and_socket_serve_over_tls(start_rover: RoverFactory, tmp_path: Path) -> None:
    if shutil.which("openssl") is None:
        pytest.skip("openssl not installed: no certificate to test TLS with")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
         "/CN=127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=60,
    )
    rover = start_rover()
    api = rover.daemon.daemon.api
    assert api is not None
    secure = rover.daemon.call(start_web(
        api, host="127.0.0.1", port=0, ssl_context=web_tls_context(str(cert), str(key))
    ))
    try:
        assert secure.url.startswith("https://127.0.0.1:")

        async def scenario() -> None:
            ws_url = secure.url.replace("https://", "wss://") + "ws"
            async with RawPage.open(ws_url, secure.url.rstrip("/"), ssl=False) as page:
                await page.next("session")
                await page.drive(0.5)
                assert rover.wait_until(rover.forward, 3) is not None

        run_async(scenario())
        assert rover.wait_until(lambda: not rover.moving(), 1.5) is not None
    finally:
        rover.daemon.call(secure.close())
    with pytest.raises(ConfigError, match="expected a readable PEM certificate"):
        web_tls_context(str(tmp_path / "missing.pem"), str(key))


def test_a_busy_port_is_an_error_naming_it(start_rover: RoverFactory) -> None:
    rover = start_rover()
    api = rover.daemon.daemon.api
    assert api is not None
    port = int(rover.origin.rsplit(":", 1)[1])
    with pytest.raises(ConfigError, match=rf"listen 127\.0\.0\.1:{port}: cannot listen"):
        rover.daemon.call(start_web(api, host="127.0.0.1", port=port))
