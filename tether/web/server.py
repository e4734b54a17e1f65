"""The drive page's HTTP server: aiohttp on the daemon's own event loop, on a port of its own.

``/`` serves the page (one HTML file shipped in the package); ``/ws`` is the drive socket, one
session per socket (see tether.web.protocol for the frames). Off loopback, API keys are required
and checked before any command, exactly as for the gRPC API.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import logging
import re
import ssl
from importlib import resources
from typing import Any

from aiohttp import web

from tether.errors import ConfigError
from tether.server.api import Api
from tether.server.auth import Authenticator, is_local
from tether.web.drive_socket import CLOSE_SHUTDOWN, DriveSocket, WebSettings
from tether.web.origin import normalize_origin, refuse_host, refuse_origin
from tether.web.protocol import MAX_MESSAGE_BYTES

log = logging.getLogger("tether.web")

MAX_SOCKETS = 16
#: Frames between this and MAX_MESSAGE_BYTES get an error frame; beyond it aiohttp closes (1009).
MAX_WIRE_MESSAGE = 64 * 1024
CLOSE_TIMEOUT = 1.0

_SETTINGS: web.AppKey[WebSettings] = web.AppKey("settings", WebSettings)
_API: web.AppKey[Api] = web.AppKey("api", Api)
_STATE: web.AppKey[_State] = web.AppKey("state")


class _State:
    """Live sockets and the origins this server accepts."""

    def __init__(self, allowed: frozenset[str], loopback_only: bool, page: bytes, csp: str):
        self.allowed = allowed
        self.loopback_only = loopback_only
        self.page = page
        self.csp = csp
        self.sockets: set[DriveSocket] = set()


class WebServer:
    """A running drive page: its URL, and close() (every socket closed, its rover stopped)."""

    def __init__(self, runner: web.AppRunner, state: _State, url: str) -> None:
        self.url = url
        self._runner = runner
        self._state = state

    @property
    def sockets(self) -> int:
        """Drive sockets open now."""
        return len(self._state.sockets)

    async def close(self) -> None:
        """Close every socket (ending its session: what it drove stops), then the listener."""
        live = list(self._state.sockets)
        await asyncio.gather(
            *(s.close(CLOSE_SHUTDOWN, "drive page closing: rover stopped") for s in live),
            return_exceptions=True,
        )
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._runner.cleanup(), 5.0)


async def start_web(
    api: Api,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    authenticator: Authenticator | None = None,
    allow_shared_base: bool = False,
    allowed_origins: list[str] | tuple[str, ...] | None = None,
    ssl_context: ssl.SSLContext | None = None,
) -> WebServer:
    """Serve the drive page on the daemon's loop; off loopback only with API keys."""
    local = is_local((host, port))
    if not local and (authenticator is None or not authenticator.enabled):
        raise ConfigError(
            f"[web] listen {host}:{port} (beyond this machine) needs API keys: add "
            "[[auth.keys]] entries, or listen on 127.0.0.1"
        )
    if not local and ssl_context is None:
        log.warning("drive page on %s:%s without TLS: API keys cross the network in clear",
                    host, port)
    allowed = frozenset(normalize_origin(o) for o in allowed_origins or ())
    page = resources.files("tether.web").joinpath("page.html").read_bytes()
    settings = WebSettings(authenticator, allow_shared_base)
    no_keys = authenticator is None or not authenticator.enabled
    state = _State(allowed, no_keys, page, _content_security_policy(page.decode()))
    app = web.Application(client_max_size=MAX_MESSAGE_BYTES)
    app[_SETTINGS] = settings
    app[_API] = api
    app[_STATE] = state
    app.router.add_get("/", _page)
    app.router.add_get("/ws", _socket)
    runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=1.0)
    await runner.setup()
    site = web.TCPSite(runner, host, port, ssl_context=ssl_context)
    try:
        await site.start()
    except OSError as exc:
        await runner.cleanup()
        raise ConfigError(
            f"drive page listen {host}:{port}: cannot listen ({exc.strerror or exc}); "
            "expected a free port on an address of this machine"
        ) from exc
    except BaseException:
        await runner.cleanup()
        raise
    bound = _bound_port(site) or port
    shown = "127.0.0.1" if host in ("", "0.0.0.0") else host
    shown = f"[{shown}]" if ":" in shown else shown
    url = f"{'https' if ssl_context else 'http'}://{shown}:{bound}/"
    log.info("drive page at %s", url)
    return WebServer(runner, state, url)


def web_tls_context(cert: str, key: str) -> ssl.SSLContext:
    """A server TLS context for the page (HTTP/1.1: no h2 ALPN, unlike the gRPC port's)."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    try:
        context.load_cert_chain(cert, key)
    except (OSError, ssl.SSLError) as exc:
        raise ConfigError(
            f"tls_cert/tls_key = {cert!r}, {key!r}: expected a readable PEM certificate and "
            f"key ({exc})"
        ) from exc
    return context


def _bound_port(site: web.TCPSite) -> int | None:
    server: Any = site._server
    sockets = getattr(server, "sockets", None) or []
    return int(sockets[0].getsockname()[1]) if sockets else None


def _content_security_policy(page: str) -> str:
    """Only this page's own inline script and style run; sockets only to this origin."""
    hashes = {}
    for tag in ("script", "style"):
        bodies = re.findall(rf"<{tag}>(.*?)</{tag}>", page, re.S)
        hashes[tag] = " ".join(
            f"'sha256-{base64.b64encode(hashlib.sha256(b.encode()).digest()).decode()}'"
            for b in bodies
        )
    return (
        f"default-src 'none'; script-src {hashes['script']}; style-src {hashes['style']}; "
        "connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; "
        "frame-ancestors 'none'"
    )


async def _page(request: web.Request) -> web.Response:
    state = request.app[_STATE]
    refused = refuse_host(request.host, allowed=state.allowed, loopback_only=state.loopback_only)
    if refused is not None:
        raise web.HTTPForbidden(text=refused)
    return web.Response(
        body=state.page,
        content_type="text/html",
        charset="utf-8",
        headers={
            "Content-Security-Policy": state.csp,
            "X-Frame-Options": "DENY",
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
            "Cache-Control": "no-store",
        },
    )


async def _socket(request: web.Request) -> web.StreamResponse:
    state = request.app[_STATE]
    api = request.app[_API]
    refused = refuse_origin(
        request.headers.get("Origin"), scheme=request.scheme, host=request.headers.get("Host"),
        allowed=state.allowed, loopback_only=state.loopback_only,
    )
    if refused is not None:
        log.warning("drive socket refused from %s: %s", request.remote, refused)
        raise web.HTTPForbidden(text=refused)
    if len(state.sockets) >= MAX_SOCKETS:
        raise web.HTTPServiceUnavailable(
            text=f"{len(state.sockets)} drive sockets open: expected at most {MAX_SOCKETS}"
        )
    if api.shutting_down:
        raise web.HTTPServiceUnavailable(text="tether is shutting down")
    ws = web.WebSocketResponse(
        heartbeat=max(api.sessions.heartbeat_window, 0.5),
        max_msg_size=MAX_WIRE_MESSAGE,
        compress=False,
        timeout=CLOSE_TIMEOUT,
    )
    await ws.prepare(request)
    socket = DriveSocket(ws, api, request.app[_SETTINGS], request.remote)
    state.sockets.add(socket)
    log.info("drive socket opened from %s", request.remote)
    try:
        await socket.run()
    finally:
        state.sockets.discard(socket)
        log.info("drive socket from %s closed", request.remote)
    return ws
