"""One browser tab = one WebSocket = one session: what it may drive, and when it stops."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from aiohttp import WSMsgType, web
from grpclib.exceptions import GRPCError

from tether.drivers.base import Base
from tether.errors import InvalidCommand, SessionExpired, TetherError
from tether.server.api import Api
from tether.server.auth import Authenticator
from tether.server.guesses import PeerLog, clip, peer_name
from tether.session import OwnershipGuard
from tether.web.limits import MAX_RATE_HZ, RateLimit
from tether.web.protocol import (
    MAX_MESSAGE_BYTES,
    PROTOCOL_VERSION,
    Auth,
    Drive,
    Heartbeat,
    Hidden,
    Message,
    Stop,
    error_frame,
    frame,
    parse_message,
)

log = logging.getLogger("tether.web")

COMMAND_HZ = 20
STATUS_HZ = 5
#: A socket without a key holds a connection and a slot of its address: not for long.
AUTH_TIMEOUT = 10.0
AUTH_ATTEMPTS = 3
AUTH_FAILURE_DELAY = 0.25
MAX_REFUSED = 200
RATE_ERROR_EVERY = 1.0

# Close codes the page shows (4000-4999 are the application's own).
CLOSE_EXPIRED = 4000
CLOSE_HIDDEN = 4001
CLOSE_AUTH = 4003
CLOSE_POLICY = 4008
CLOSE_SHUTDOWN = 1001
CLOSE_TRY_LATER = 1013


@dataclass(frozen=True)
class WebSettings:
    """What every drive socket of one web server shares."""

    authenticator: Authenticator | None = None
    allow_shared_base: bool = False
    #: Three-strike closes, one line a minute per peer (wrong keys: the authenticator's budget).
    strikes: PeerLog = field(default_factory=lambda: PeerLog(log), compare=False)

    @property
    def auth_required(self) -> bool:
        """True when API keys are configured: then no command runs before a key is checked."""
        return self.authenticator is not None and self.authenticator.enabled


class DriveSocket:
    """A page's session: commands are safety-monitored; the socket's end stops what it drove."""

    def __init__(
        self, ws: web.WebSocketResponse, api: Api, settings: WebSettings,
        remote: str | None = None, *, no_seat: Callable[[], str | None] = lambda: None,
    ) -> None:
        self.ws = ws
        self.peer = peer_name(remote)
        self.api = api
        self.settings = settings
        self.no_seat = no_seat
        self.session_id: str | None = None
        self.owner = ""
        self.rate = RateLimit()
        self._auth_failures = 0
        self._rate_reported = -RATE_ERROR_EVERY
        self._driven: set[str] = set()
        self._window = api.sessions.heartbeat_window
        self._auth_deadline = time.monotonic() + AUTH_TIMEOUT
        self.guard = OwnershipGuard(
            api.sessions, exclusive=not settings.allow_shared_base,
            how_to_share="[web] allow_shared_base lets a tab take over",
        )

    async def run(self) -> None:
        """Serve the socket until it closes; the session always ends (and stops) on the way out."""
        status = asyncio.create_task(self._status_loop())
        try:
            await self._send(self._hello())
            if not self.settings.auth_required:
                await self._start_session("")
            await self._receive_loop()
        finally:
            status.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await status
            await self.end_session()
            if not self.ws.closed:
                with contextlib.suppress(Exception):
                    await self.ws.close()

    async def close(self, code: int, reason: str) -> None:
        """Tell the page why, end the session (stopping what it owns), and close the socket."""
        await self._send(error_frame(reason, fatal=True))
        await self.end_session()
        with contextlib.suppress(Exception):
            await self.ws.close(code=code, message=reason.encode()[:120])

    async def end_session(self) -> None:
        """End the session now, off the loop; finishes even if the caller is cancelled."""
        session_id, self.session_id = self.session_id, None
        if session_id is None:
            return
        ending = asyncio.ensure_future(
            self.api.run_stop(functools.partial(self.api.sessions.end, session_id))
        )
        await asyncio.shield(ending)
        self.api.losses.forget(session_id)
        log.info("web session %s ended", session_id)

    # -- receiving ------------------------------------------------------------------------

    async def _receive_loop(self) -> None:
        while not self.ws.closed:
            waiting = AUTH_TIMEOUT if self.session_id is None else self._window + 1.0
            try:
                message = await self.ws.receive(timeout=waiting)
            except TimeoutError:
                await self._close_silent(waiting)
                return
            if message.type in (WSMsgType.CLOSE, WSMsgType.CLOSING, WSMsgType.CLOSED):
                return
            if message.type is WSMsgType.ERROR:
                log.info("web socket error: %s", message.data)
                return
            if message.type in (WSMsgType.TEXT, WSMsgType.BINARY):
                await self._on_frame(message.data)

    async def _close_silent(self, waited: float) -> None:
        if self.session_id is None:
            await self.close(CLOSE_AUTH, f"no API key within {waited:g} s: expected an auth frame")
        else:
            await self.close(CLOSE_EXPIRED, f"no frame for {waited:g} s: session ended")

    async def _on_frame(self, data: str | bytes) -> None:
        if not self.rate.allow():
            if self.rate.refused > MAX_REFUSED:
                await self.close(CLOSE_POLICY, f"over {MAX_REFUSED} frames refused for rate")
                return
            now = time.monotonic()
            report = now - self._rate_reported >= RATE_ERROR_EVERY
            if report:
                self._rate_reported = now
            await self._reject(
                f"frame rate over {MAX_RATE_HZ:g} per second: frame dropped", send=report
            )
            return
        try:
            message = parse_message(data)
        except InvalidCommand as exc:
            await self._reject(str(exc))
            return
        try:
            await self._dispatch(message)
        except SessionExpired:
            await self.close(CLOSE_EXPIRED, "session expired: its bases were stopped")
        except GRPCError as exc:
            await self._reject(str(exc.message))
        except TetherError as exc:
            await self._reject(str(exc))

    async def _reject(self, reason: str, *, send: bool = True) -> None:
        """A bad frame: stop what this socket drives (its intent is unknown), then say why."""
        for name in sorted(self._driven):
            base = self.api.robot.bases[name]
            if self._owns(name):
                await self.api.run_stop(base.stop)
        if send:
            await self._send(error_frame(reason))

    async def _dispatch(self, message: Message) -> None:
        if isinstance(message, Hidden):
            await self.end_session()
            await self.close(CLOSE_HIDDEN, "page hidden: session ended, rover stopped")
        elif isinstance(message, Auth):
            await self._authenticate(message)
        elif self.session_id is None:
            raise InvalidCommand(
                f"{type(message).__name__.lower()} before authenticating: expected an auth "
                "frame with an API key first"
            )
        elif isinstance(message, Drive):
            await self._drive(message)
        elif isinstance(message, Stop):
            base = self._base(message.base, "stop")
            await self.api.run_stop(base.stop)
            self.api.sessions.heartbeat(self.session_id, owner=self.owner)
        elif isinstance(message, Heartbeat):
            self.api.sessions.heartbeat(self.session_id, owner=self.owner)

    async def _drive(self, message: Drive) -> None:
        assert self.session_id is not None
        base = self._base(message.base, "drive")
        linear, angular = base.check_power(message.linear, message.angular)
        self.api.refuse_if_stopping()
        self.guard.admit(self.session_id, self.owner, message.base)
        self._driven.add(message.base)
        command = self.guard.bind(
            self.session_id, self.owner, message.base, base,
            lambda: base.set_power(linear, angular),
        )
        await self.api.run(command, base)

    def _base(self, name: str, kind: str) -> Base:
        base = self.api.robot.bases.get(name)
        if base is None:
            names = ", ".join(repr(n) for n in self.api.robot.bases) or "none configured"
            raise InvalidCommand(f"{kind} base={name!r}: no such base; expected one of {names}")
        return base

    async def _authenticate(self, message: Auth) -> None:
        authenticator = self.settings.authenticator
        if authenticator is None or not authenticator.enabled:
            raise InvalidCommand("auth: this daemon has no API keys; expected no auth frame")
        if self.session_id is not None:
            raise InvalidCommand("auth: already authenticated; expected one auth per socket")
        try:
            token = authenticator.authenticate(message.key_id, "api-key", message.secret,
                                               peer=self.peer, via="the drive page")
            owner = authenticator.owner({"authorization": f"Bearer {token}"})
        except GRPCError as refused:
            self._auth_failures += 1
            await asyncio.sleep(AUTH_FAILURE_DELAY)
            if self._auth_failures >= AUTH_ATTEMPTS:
                self.settings.strikes.warning(
                    self.peer, "drive socket from %s closed after %d refused API keys (last key "
                    "id %s)", self.peer, AUTH_ATTEMPTS, clip(message.key_id))
                await self.close(CLOSE_AUTH, f"{AUTH_ATTEMPTS} wrong API keys: socket closed")
                return
            raise InvalidCommand(
                f"auth key_id={message.key_id!r}: {refused.message}; expected a key from the "
                "daemon's [[auth.keys]]"
            ) from None
        await self._start_session(owner)

    async def _start_session(self, owner: str) -> None:
        full = self.no_seat()
        if full is not None:
            await self.close(CLOSE_TRY_LATER, f"no session: {full}")
            return
        try:
            self.api.refuse_if_stopping()
            session = self.api.sessions.start(owner=owner)
        except GRPCError as exc:
            await self.close(CLOSE_TRY_LATER, f"no session: {exc.message}")
            return
        except TetherError as exc:
            await self.close(CLOSE_TRY_LATER, f"no session: {exc}")
            return
        self.session_id, self.owner = session.id, owner
        self._window = session.heartbeat_window
        log.info("web session %s started (owner=%r)", session.id, owner)
        await self._send(frame("session", id=session.id, owner=owner,
                               heartbeat_window=session.heartbeat_window))

    # -- sending --------------------------------------------------------------------------

    async def _send(self, text: str) -> None:
        if not self.ws.closed:
            with contextlib.suppress(ConnectionError, RuntimeError):
                await self.ws.send_str(text)

    def _hello(self) -> str:
        robot = self.api.robot
        return frame(
            "hello", protocol=PROTOCOL_VERSION, auth_required=self.settings.auth_required,
            bases=list(robot.bases), motors=list(robot.motors),
            heartbeat_window=self.api.sessions.heartbeat_window, command_hz=COMMAND_HZ,
            max_message_bytes=MAX_MESSAGE_BYTES, max_rate_hz=MAX_RATE_HZ,
        )

    async def _status_loop(self) -> None:
        """A few status frames a second; notices an expired session, a key that never came (the
        receive timeout alone restarts at every pong), or a daemon shutting down."""
        while not self.ws.closed:
            if self.api.shutting_down:
                await self.close(CLOSE_SHUTDOWN, "tether is shutting down: rover stopped")
                return
            if self.session_id is None and time.monotonic() >= self._auth_deadline:
                await self.close(CLOSE_AUTH, f"no API key within {AUTH_TIMEOUT:g} s: expected "
                                 "an auth frame")
                return
            if self.session_id is not None:
                if not self._alive():
                    await self.close(CLOSE_EXPIRED, (
                        f"session expired: no heartbeat within {self._window:g} s; "
                        "its bases were stopped"))
                    return
                for change in self.api.losses.take(self.session_id):
                    await self._send(frame("lost", base=change.resource, reason=change.reason))
                await self._send(self._status())
            await asyncio.sleep(1 / STATUS_HZ)

    def _alive(self) -> bool:
        assert self.session_id is not None
        try:
            self.api.sessions.get(self.session_id, owner=self.owner)
        except SessionExpired:
            return False
        return True

    def _owns(self, name: str) -> bool:
        holder = self.api.sessions.owner_of(name)
        return holder is not None and holder.id == self.session_id

    def _status(self) -> str:
        robot = self.api.robot
        owners: dict[str, str | None] = {}
        for name in robot.bases:
            holder = self.api.sessions.owner_of(name)
            owners[name] = None if holder is None else (
                "you" if holder.id == self.session_id else "other")
        if robot.outputs:
            duties = {name: round(out.duty, 3) for name, out in robot.outputs.items()}
        else:
            duties = {name: round(m.is_powered()[1], 3) for name, m in robot.motors.items()}
        stops = self.api.sessions.recent_stops()
        last = None
        if stops:
            event = stops[-1]
            last = {"resource": event.resource, "reason": event.reason.value,
                    "outcome": event.outcome.value,
                    "delay_ms": None if event.delay is None else round(event.delay * 1000, 2)}
        return frame("status", session=self.session_id, owners=owners, duties=duties,
                     last_stop=last)
