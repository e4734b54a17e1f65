"""tether's asyncio client: sessions that live exactly as long as the application's own loop.

A session heartbeats with every command (the session id rides along) and with
`session.heartbeat()`; nothing heartbeats on the application's behalf unless it asks for
`keepalive=True`. Leaving `async with client.session()` ends the session: the rover stops.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import ssl
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeVar

from grpclib.client import Channel
from grpclib.const import Status
from grpclib.exceptions import GRPCError, StreamTerminatedError

from tether.client.connection import Metadata
from tether.client.proxies import AsyncBase, AsyncMotor
from tether.contract.address import parse_listen
from tether.errors import (
    ConnectionLost,
    HardwareError,
    InvalidCommand,
    OwnedByAnotherKey,
    SessionExpired,
    TetherError,
    TooManySessions,
    UnknownResource,
    Unsupported,
)
from tether.wire.proto.rpc.v1 import auth_grpc, auth_pb2
from tether.wire.tether.v1 import control_grpc, control_pb2
from tether.wire.viam.robot.v1 import robot_grpc, robot_pb2

T = TypeVar("T")
log = logging.getLogger("tether.client")
ApiKeyArg = tuple[str, str] | str | None
#: Seconds before a token renewal the daemon refused is tried again (the token may still serve).
RENEW_RETRY = 30.0
TlsArg = bool | str | ssl.SSLContext | None


class AuthError(TetherError, PermissionError):
    """The daemon refused the API key (or needs one)."""


def translate(error: GRPCError) -> TetherError:
    """The tether exception a gRPC status stands for."""
    message = error.message or error.status.name
    if error.status == Status.INVALID_ARGUMENT and message == "SESSION_EXPIRED":
        return SessionExpired()
    mapping: dict[Status, type[TetherError]] = {
        Status.INVALID_ARGUMENT: InvalidCommand, Status.NOT_FOUND: UnknownResource,
        Status.UNIMPLEMENTED: Unsupported, Status.RESOURCE_EXHAUSTED: TooManySessions,
        Status.UNAUTHENTICATED: AuthError, Status.UNAVAILABLE: HardwareError,
        Status.FAILED_PRECONDITION: OwnedByAnotherKey,
    }
    return mapping.get(error.status, TetherError)(message)


def _ssl_context(tls: TlsArg) -> ssl.SSLContext | None:
    if tls is None or tls is False:
        return None
    if isinstance(tls, ssl.SSLContext):
        return tls
    context = ssl.create_default_context(cafile=tls if isinstance(tls, str) else None)
    context.set_alpn_protocols(["h2"])
    return context


def _key(api_key: ApiKeyArg) -> tuple[str, str] | None:
    if api_key is None or isinstance(api_key, tuple):
        return api_key
    key_id, sep, secret = api_key.partition(":")
    if not sep:
        raise InvalidCommand(f"api_key={key_id[:4]}...: expected 'ID:SECRET' or (id, secret)")
    return key_id, secret


class AsyncClient:
    """A connection to a tether daemon; make it with `connect_async()`."""

    def __init__(self, address: str, *, api_key: ApiKeyArg = None, tls: TlsArg = None) -> None:
        self.address = address
        self._target = parse_listen(address, "address")
        self._key = _key(api_key)
        self._ssl = _ssl_context(tls)
        self._token: str | None = None
        self._renew_at = math.inf
        self._clock: Callable[[], float] = time.monotonic
        self._channel: Channel | None = None
        self.session_id: str | None = None

    async def open(self) -> AsyncClient:
        """Connect (and authenticate, with an API key); ConnectionLost if nobody answers."""
        if isinstance(self._target, str):
            self._channel = Channel(path=self._target, ssl=self._ssl)
        else:
            self._channel = Channel(self._target[0], self._target[1], ssl=self._ssl)
        try:
            await self._authenticate_and_probe()
        except BaseException:
            self.close()
            raise
        return self

    async def _authenticate_and_probe(self) -> None:
        """Get a token (with an API key), then list resources: a refused client fails here."""
        if self._key is not None:
            await self._log_in()
        await self.resource_names()

    async def _log_in(self) -> None:
        """A new token for the API key, renewed at half its lifetime (read from the token)."""
        assert self._key is not None
        request = auth_pb2.AuthenticateRequest(
            entity=self._key[0],
            credentials=auth_pb2.Credentials(type="api-key", payload=self._key[1]),
        )
        stub = auth_grpc.AuthServiceStub(self.channel)
        asked = self._clock()
        granted = await self._send(lambda m: stub.Authenticate(request, metadata=m))
        self._token = granted.access_token
        self._renew_at = asked + token_lifetime(self._token) / 2

    async def reconnect(self) -> None:
        """Drop the connection and make a new one (the old session is gone with it)."""
        self.close()
        self.session_id = None
        await self.open()

    def close(self) -> None:
        """Close the connection; idempotent."""
        if self._channel is not None:
            self._channel.close()
            self._channel = None

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.close()

    # -- resources --------------------------------------------------------------------------

    def base(self, name: str = "base") -> AsyncBase:
        """A proxy for the base with that name (validates locally, like the driver)."""
        return AsyncBase(self, name)

    def motor(self, name: str) -> AsyncMotor:
        """A proxy for the motor with that name."""
        return AsyncMotor(self, name)

    async def resource_names(self) -> list[tuple[str, str]]:
        """(subtype, name) of every resource the daemon serves."""
        stub = robot_grpc.RobotServiceStub(self.channel)
        response = await self.call(
            lambda m: stub.ResourceNames(robot_pb2.ResourceNamesRequest(), metadata=m)
        )
        return [(r.subtype, r.name) for r in response.resources]

    async def stop_all(self) -> None:
        """Stop every actuator on the rover."""
        stub = robot_grpc.RobotServiceStub(self.channel)
        await self.call(lambda m: stub.StopAll(robot_pb2.StopAllRequest(), metadata=m))

    async def status(self) -> control_pb2.StatusResponse:
        """What `tether status` shows."""
        stub = control_grpc.ControlServiceStub(self.channel)
        return await self.call(lambda m: stub.Status(control_pb2.StatusRequest(), metadata=m))

    # -- sessions ---------------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def session(
        self, heartbeat_window: float | None = None, *, resume: str | None = None,
        keepalive: bool = False,
    ) -> AsyncIterator[AsyncSession]:
        """A session bound to an Attach stream; leaving the block ends it (the rover stops)."""
        session = AsyncSession(self, heartbeat_window, keepalive)
        await session.start(resume)
        try:
            yield session
        finally:
            await session.end()

    # -- plumbing ---------------------------------------------------------------------------

    @property
    def channel(self) -> Channel:
        """The open channel; ConnectionLost if closed."""
        if self._channel is None:
            raise ConnectionLost(f"not connected to {self.address}; call reconnect()")
        return self._channel

    def metadata(self, *, monitored: bool = False) -> Metadata:
        """Auth for every call, plus the session id on monitored ones."""
        metadata = {"authorization": f"Bearer {self._token}"} if self._token else {}
        if monitored and self.session_id:
            metadata["viam-sid"] = self.session_id
        return metadata

    async def call(self, call: Callable[[Metadata], Awaitable[T]]) -> T:
        """An unmonitored call (stop, queries, sessions): tether's errors, never gRPC's."""
        return await self._authorized(call, monitored=False)

    async def command(self, call: Callable[[Metadata], Awaitable[T]]) -> T:
        """A monitored call: inside a session block, a lapsed session is replaced first."""
        if self._active is not None and self.session_id is None:
            await self._active.start(None)
        return await self._authorized(call, monitored=True)

    async def _authorized(self, call: Callable[[Metadata], Awaitable[T]], *,
                          monitored: bool) -> T:
        """A call with a fresh token: renewed at half-life, and once more if the daemon refuses
        it (its clock jumped, or it now has a shorter lifetime); a refused call never ran."""
        if self._token is not None and self._clock() >= self._renew_at:
            try:
                await self._log_in()
            except AuthError as exc:  # the current token may serve on: try again later
                self._renew_at = self._clock() + RENEW_RETRY
                log.warning("could not renew this client's API token (%s); keeping it", exc)
        try:
            return await self._send(call, monitored=monitored)
        except AuthError:
            if self._token is None:
                raise
            log.info("the daemon refused this client's token; logging in again")
            await self._log_in()
            return await self._send(call, monitored=monitored)

    async def _send(self, call: Callable[[Metadata], Awaitable[T]], *,
                    monitored: bool = False) -> T:
        """Make the call with its metadata; gRPC errors become tether's."""
        try:
            return await call(self.metadata(monitored=monitored))
        except GRPCError as exc:
            error = translate(exc)
            if isinstance(error, SessionExpired):
                self.session_id = None
            raise error from exc
        except (TimeoutError, OSError, StreamTerminatedError) as exc:
            raise ConnectionLost(
                f"connection to {self.address} lost ({exc}); call reconnect()"
            ) from exc

    _active: AsyncSession | None = None


class AsyncSession:
    """The client side of one session: its id, its Attach stream, its heartbeats."""

    def __init__(self, client: AsyncClient, window: float | None, keepalive: bool) -> None:
        self.client = client
        self.requested_window = window
        self.keepalive = keepalive
        self.id = ""
        self.heartbeat_window = 0.0
        self._stream: Any = None
        self._stream_cm: Any = None
        self._keepalive_task: asyncio.Task[None] | None = None
        self.lost: list[tuple[str, str]] = []

    async def start(self, resume: str | None) -> None:
        """Start (or resume) a session and attach it to a stream."""
        stub = control_grpc.ControlServiceStub(self.client.channel)
        request = control_pb2.StartSessionRequest(
            resume=resume or "", heartbeat_window_s=self.requested_window or 0.0
        )
        response = await self.client.call(lambda m: stub.StartSession(request, metadata=m))
        self.id, self.heartbeat_window = response.id, response.heartbeat_window_s
        self.client.session_id, self.client._active = self.id, self
        await self._detach()
        self._stream_cm = stub.Attach.open(metadata=self.client.metadata())
        self._stream = await self._stream_cm.__aenter__()
        await self._stream.send_message(control_pb2.AttachRequest(session_id=self.id))
        reply = await self._stream.recv_message()
        if reply is None or reply.error:
            self.client.session_id = None
            raise SessionExpired(self.id)
        self._note_losses(reply)
        if self.keepalive and self._keepalive_task is None:
            self._keepalive_task = asyncio.create_task(self._keep_alive())

    async def heartbeat(self) -> float:
        """Tell the daemon this application is alive; returns seconds until the deadline."""
        if self._stream is None or self.client.session_id is None:
            raise SessionExpired(self.id)
        try:
            await self._stream.send_message(control_pb2.AttachRequest())
            reply = await self._stream.recv_message()
        except GRPCError as exc:
            self.client.session_id = None
            raise translate(exc) from exc
        except (OSError, StreamTerminatedError) as exc:
            raise ConnectionLost(f"session stream to {self.client.address} broke: {exc}") from exc
        if reply is None or reply.error == "SESSION_EXPIRED":
            self.client.session_id = None
            await self._detach()
            raise SessionExpired(self.id)
        self._note_losses(reply)
        return float(reply.expires_in_s)

    def _note_losses(self, reply: control_pb2.AttachResponse) -> None:
        """Record (and log) every resource another caller took from this session."""
        for loss in reply.lost:
            log.warning("session %s lost %r (%s): another caller drives it now",
                        self.id, loss.resource, loss.reason)
            self.lost.append((loss.resource, loss.reason))

    async def end(self) -> None:
        """End the session now (everything it owns stops) and close its stream."""
        if self._keepalive_task is not None:
            self._keepalive_task.cancel()
            self._keepalive_task = None
        session_id, self.client.session_id, self.client._active = self.id, None, None
        with contextlib.suppress(TetherError):
            stub = control_grpc.ControlServiceStub(self.client.channel)
            await self.client.call(
                lambda m: stub.EndSession(control_pb2.EndSessionRequest(id=session_id), metadata=m)
            )
        await self._detach()

    async def _detach(self) -> None:
        if self._stream_cm is not None:
            cm, self._stream_cm, self._stream = self._stream_cm, None, None
            with contextlib.suppress(Exception):
                await cm.__aexit__(None, None, None)

    async def _keep_alive(self) -> None:
        while True:
            await asyncio.sleep(self.heartbeat_window / 5)
            with contextlib.suppress(TetherError):
                await self.heartbeat()


def token_lifetime(token: str) -> float:
    """Seconds a tether2 token lives by the daemon's own clock (issue to expiry); inf if unknown."""
    parts = token.split(".")
    if len(parts) == 6 and parts[0] == "tether2" and parts[2].isdigit() and parts[3].isdigit():
        lifetime = int(parts[3]) - int(parts[2])
        if lifetime > 0:
            return float(lifetime)
    return math.inf


async def connect_async(
    address: str = "127.0.0.1:8080", *, api_key: ApiKeyArg = None, tls: TlsArg = None
) -> AsyncClient:
    """Connect to the daemon at address ('HOST:PORT' or 'unix:PATH')."""
    return await AsyncClient(address, api_key=api_key, tls=tls).open()
