"""The drive page's HTTP server: aiohttp on the daemon's own event loop, on a port of its own.

``/`` serves the page (one HTML file shipped in the package); ``/ws`` is the drive socket, one
session per socket (see tether.web.protocol for the frames). Off loopback, API keys are required
and checked before any command, exactly as for the gRPC API. Connections pass a Doorway (caps
shared with the gRPC port, TLS and header deadlines); only sockets with a session take one of
the MAX_SOCKETS seats, so tabs without a key cannot lock the owner out.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import logging
import re
import ssl
from collections.abc import Awaitable, Callable
from importlib import resources
from typing import Any

from aiohttp import web

from tether.errors import ConfigError
from tether.server.admission import (
    LISTEN_BACKLOG,
    WEB_HEADER_TIMEOUT,
    ConnectionBudget,
    ConnectionLimits,
    Doorway,
    ThrottledWarning,
    peer_key,
)
from tether.server.api import Api
from tether.server.auth import Authenticator, is_local
from tether.web.drive_socket import CLOSE_SHUTDOWN, DriveSocket, WebSettings
from tether.web.origin import normalize_origin, refuse_host, refuse_origin
from tether.web.protocol import MAX_MESSAGE_BYTES

log = logging.getLogger("tether.web")

#: Drive sockets with a session (a key checked, or no keys configured): the seats.
MAX_SOCKETS = 16
#: Sockets from one address still waiting for their auth frame (each closed after AUTH_TIMEOUT).
MAX_WAITING_PER_PEER = 4
#: Frames between this and MAX_MESSAGE_BYTES get an error frame; beyond it aiohttp closes (1009).
MAX_WIRE_MESSAGE = 64 * 1024
CLOSE_TIMEOUT = 1.0

_SETTINGS: web.AppKey[WebSettings] = web.AppKey("settings", WebSettings)
_API: web.AppKey[Api] = web.AppKey("api", Api)
_STATE: web.AppKey[_State] = web.AppKey("state")
_DOORWAY: web.AppKey[Doorway] = web.AppKey("doorway", Doorway)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class _State:
    """Live sockets (and the address each came from) and the origins this server accepts."""

    def __init__(self, allowed: frozenset[str], loopback_only: bool, page: bytes, csp: str):
        self.allowed = allowed
        self.loopback_only = loopback_only
        self.page = page
        self.csp = csp
        self.sockets: dict[DriveSocket, str] = {}
        self.refusals = ThrottledWarning(log)

    def seated(self) -> int:
        """Sockets with a session: those the MAX_SOCKETS limit counts."""
        return sum(1 for socket in self.sockets if socket.session_id is not None)

    def waiting_from(self, peer: str) -> int:
        """Sockets from this address that have no session yet (waiting for a key)."""
        return sum(1 for s, p in self.sockets.items() if p == peer and s.session_id is None)

    def no_seat(self) -> str | None:
        """Why a socket may not start a session now (every seat taken), or None."""
        seated = self.seated()
        if seated < MAX_SOCKETS:
            return None
        return f"{seated} drive sockets driving: expected at most {MAX_SOCKETS}"


class WebServer:
    """A running drive page: its URL, and close() (every socket closed, its rover stopped)."""

    def __init__(self, runner: web.AppRunner, state: _State, url: str, doorway: Doorway) -> None:
        self.url = url
        self.doorway = doorway
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
        self.doorway.close_all()  # handshakes and idle connections aiohttp does not know of


async def start_web(
    api: Api,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    authenticator: Authenticator | None = None,
    allow_shared_base: bool = False,
    allowed_origins: list[str] | tuple[str, ...] | None = None,
    ssl_context: ssl.SSLContext | None = None,
    budget: ConnectionBudget | None = None,
) -> WebServer:
    """Serve the drive page on the daemon's loop; off loopback only with API keys.

    `budget` is the daemon's (shared with its gRPC port); alone, the page sizes its own."""
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
    doorway = Doorway(
        budget or ConnectionBudget(ConnectionLimits.for_fd_limit()), "drive page",
        idle_timeout=WEB_HEADER_TIMEOUT, tls=ssl_context,
    )
    app = web.Application(client_max_size=MAX_MESSAGE_BYTES, middlewares=[_busy_while_serving])
    app[_SETTINGS] = settings
    app[_API] = api
    app[_STATE] = state
    app[_DOORWAY] = doorway
    app.router.add_get("/", _page)
    app.router.add_get("/ws", _socket)
    runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=1.0)
    await runner.setup()
    site = _GatedSite(runner, host, port, doorway)
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
    return WebServer(runner, state, url, doorway)


class _GatedSite(web.TCPSite):
    """aiohttp's TCP site with every connection behind a Doorway (which also runs TLS)."""

    def __init__(self, runner: web.AppRunner, host: str, port: int, doorway: Doorway) -> None:
        super().__init__(runner, host, port, backlog=LISTEN_BACKLOG)
        self.doorway = doorway

    async def start(self) -> None:
        await web.BaseSite.start(self)
        server = self._runner.server
        assert server is not None
        self._server = await asyncio.get_running_loop().create_server(
            self.doorway.wrap(server), self._host, self._port, backlog=self._backlog,
        )


@web.middleware
async def _busy_while_serving(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Headers arrived: no header deadline until the response (or the drive socket) ends."""
    connection = request.app[_DOORWAY].connection(request.transport)
    if connection is None:
        return await handler(request)
    connection.busy()
    try:
        return await handler(request)
    finally:
        connection.done()


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
    peer = peer_key(request.remote or "")
    refused = _no_room(state, peer, auth_required=request.app[_SETTINGS].auth_required)
    if refused is not None:
        state.refusals.note(f"drive socket refused from {request.remote}: {refused}")
        raise web.HTTPServiceUnavailable(text=refused)
    if api.shutting_down:
        raise web.HTTPServiceUnavailable(text="tether is shutting down")
    ws = web.WebSocketResponse(
        heartbeat=max(api.sessions.heartbeat_window, 0.5),
        max_msg_size=MAX_WIRE_MESSAGE,
        compress=False,
        timeout=CLOSE_TIMEOUT,
    )
    await ws.prepare(request)
    socket = DriveSocket(ws, api, request.app[_SETTINGS], request.remote, no_seat=state.no_seat)
    state.sockets[socket] = peer
    log.info("drive socket opened from %s", request.remote)
    try:
        await socket.run()
    finally:
        state.sockets.pop(socket, None)
        log.info("drive socket from %s closed", request.remote)
    return ws


def _no_room(state: _State, peer: str, *, auth_required: bool) -> str | None:
    """Why a new socket from `peer` is refused now: every seat taken, or too many waiting."""
    if auth_required and state.waiting_from(peer) >= MAX_WAITING_PER_PEER:
        return (f"{state.waiting_from(peer)} drive sockets from {peer} waiting for an API key: "
                f"expected at most {MAX_WAITING_PER_PEER} per address")
    return state.no_seat()
