"""tether's blocking client: the asyncio client driven from a private event-loop thread.

That thread only runs the calls the application makes; it never heartbeats on its own (unless
the session asks for keepalive=True), so a hung application loses its session and the rover
stops. Interrupting a call (Ctrl-C) cancels its RPC, which stops a blocking move.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Coroutine, Iterator
from typing import Any, TypeVar

from tether.client.aio import ApiKeyArg, AsyncClient, AsyncSession, TlsArg
from tether.client.proxies import AsyncBase, AsyncMotor
from tether.contract.properties import BaseProperties, MotorProperties
from tether.wire.tether.v1 import control_pb2

T = TypeVar("T")


class _Loop:
    """An event loop on a daemon thread, for one Client."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self.loop.run_forever, name="tether-client", daemon=True
        )
        self._thread.start()

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        future = asyncio.run_coroutine_threadsafe(coroutine, self.loop)
        try:
            return future.result()
        except BaseException:
            future.cancel()
            raise

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(5)
        self.loop.close()


class Session:
    """A live session; `heartbeat()` from your own loop keeps it (and your motors) alive."""

    def __init__(self, loop: _Loop, inner: AsyncSession) -> None:
        self._loop = loop
        self._inner = inner

    @property
    def id(self) -> str:
        """The current session id (a new one after SESSION_EXPIRED and the next command)."""
        return self._inner.client.session_id or self._inner.id

    @property
    def heartbeat_window(self) -> float:
        """Seconds the daemon waits for a heartbeat or command before stopping your motors."""
        return self._inner.heartbeat_window

    @property
    def lost(self) -> list[tuple[str, str]]:
        """(resource, 'superseded' or 'released') for each resource another caller took from
        this session, as learned from heartbeat replies."""
        return self._inner.lost

    def heartbeat(self) -> float:
        """Heartbeat now; returns seconds until the deadline. SessionExpired if it lapsed."""
        return self._loop.run(self._inner.heartbeat())


class Base:
    """A remote base; same methods and validation as tether.drivers.Base."""

    def __init__(self, loop: _Loop, inner: AsyncBase) -> None:
        self._loop, self._inner, self.name = loop, inner, inner.name

    def set_power(self, linear: float, angular: float) -> None:
        """Drive at linear and angular power, each in [-1, 1]."""
        self._loop.run(self._inner.set_power(linear, angular))

    def set_velocity(self, mm_per_s: float, deg_per_s: float) -> None:
        """Drive at mm/s and deg/s (+left)."""
        self._loop.run(self._inner.set_velocity(mm_per_s, deg_per_s))

    def move_straight(self, distance_mm: float, mm_per_s: float) -> None:
        """Drive a distance, then stop; Ctrl-C stops the base."""
        self._loop.run(self._inner.move_straight(distance_mm, mm_per_s))

    def spin(self, angle_deg: float, deg_per_s: float) -> None:
        """Turn in place (+left), then stop."""
        self._loop.run(self._inner.spin(angle_deg, deg_per_s))

    def stop(self) -> None:
        """Stop now."""
        self._loop.run(self._inner.stop())

    def is_moving(self) -> bool:
        """Whether any wheel is powered."""
        return self._loop.run(self._inner.is_moving())

    def properties(self) -> BaseProperties:
        """Geometry in meters."""
        return self._loop.run(self._inner.properties())


class Motor:
    """A remote motor; same methods and validation as tether.drivers.Motor."""

    def __init__(self, loop: _Loop, inner: AsyncMotor) -> None:
        self._loop, self._inner, self.name = loop, inner, inner.name

    def set_power(self, power: float) -> None:
        """Drive at signed power in [-1, 1]."""
        self._loop.run(self._inner.set_power(power))

    def go_for(self, rpm: float, revolutions: float) -> None:
        """Turn `revolutions` at `rpm`, then stop."""
        self._loop.run(self._inner.go_for(rpm, revolutions))

    def stop(self) -> None:
        """Stop now."""
        self._loop.run(self._inner.stop())

    def is_powered(self) -> tuple[bool, float]:
        """Whether power is applied, and how much."""
        return self._loop.run(self._inner.is_powered())

    def is_moving(self) -> bool:
        """Whether the motor is powered."""
        return self._loop.run(self._inner.is_moving())

    def position(self) -> float:
        """Revolutions from zero (encoder motors)."""
        return self._loop.run(self._inner.position())

    def properties(self) -> MotorProperties:
        """Whether the motor reports position."""
        return self._loop.run(self._inner.properties())


class Client:
    """A blocking connection to a tether daemon; make it with `connect()`."""

    def __init__(self, loop: _Loop, inner: AsyncClient) -> None:
        self._loop = loop
        self._inner = inner

    def base(self, name: str = "base") -> Base:
        """The base with that name."""
        return Base(self._loop, AsyncBase(self._inner, name))

    def motor(self, name: str) -> Motor:
        """The motor with that name."""
        return Motor(self._loop, AsyncMotor(self._inner, name))

    @contextlib.contextmanager
    def session(
        self, heartbeat_window: float | None = None, *, resume: str | None = None,
        keepalive: bool = False,
    ) -> Iterator[Session]:
        """Start (or resume) and attach a session; leaving the block ends it: the rover stops."""
        inner = AsyncSession(self._inner, heartbeat_window, keepalive)
        self._loop.run(inner.start(resume))
        try:
            yield Session(self._loop, inner)
        finally:
            self._loop.run(inner.end())

    def resource_names(self) -> list[tuple[str, str]]:
        """(subtype, name) of every resource."""
        return self._loop.run(self._inner.resource_names())

    def stop_all(self) -> None:
        """Stop every actuator on the rover."""
        self._loop.run(self._inner.stop_all())

    def status(self) -> control_pb2.StatusResponse:
        """Sessions, owners and recent stops."""
        return self._loop.run(self._inner.status())

    def reconnect(self) -> None:
        """After ConnectionLost: connect again (start a new session afterwards)."""
        self._loop.run(self._inner.reconnect())

    def close(self) -> None:
        """Close the connection (on the client's own loop thread) and that thread; idempotent."""
        if self._loop.loop.is_closed():
            return

        async def close_inner() -> None:
            self._inner.close()
            await asyncio.sleep(0)

        try:
            self._loop.run(close_inner())
        finally:
            self._loop.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def connect(
    address: str = "127.0.0.1:8080", *, api_key: ApiKeyArg = None, tls: TlsArg = None
) -> Client:
    """Connect to the daemon at address ('HOST:PORT' or 'unix:PATH'), blocking."""
    loop = _Loop()
    try:
        inner = loop.run(AsyncClient(address, api_key=api_key, tls=tls).open())
    except BaseException:
        loop.close()
        raise
    return Client(loop, inner)
