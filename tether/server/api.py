"""What every RPC handler shares: robot, sessions, error mapping, off-loop hardware calls."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from grpclib.const import Status
from grpclib.exceptions import GRPCError

from tether.drivers.base import Base
from tether.drivers.motor import Motor
from tether.errors import (
    HardwareError,
    InvalidCommand,
    OwnedByAnotherKey,
    SessionExpired,
    TooManySessions,
    Unsupported,
)
from tether.guardian.pulse import GuardianInfo
from tether.robot import Robot
from tether.server.auth import OWNER_METADATA
from tether.server.command_threads import run_on_a_thread
from tether.server.connections import ConnectionTracker, connection_key
from tether.server.losses import LossBoard
from tether.server.stop_workers import StopWorkers
from tether.session import OwnershipGuard, SessionManager

log = logging.getLogger("tether.server")

SESSION_METADATA = "viam-sid"
MONITORED_METADATA = "viam-smrn"
T = TypeVar("T")


def clip(value: str, limit: int = 64) -> str:
    """A client-supplied value as logged: at most `limit` characters, and its full length."""
    if len(value) <= limit:
        return repr(value)
    return f"{value[:limit]!r}... ({len(value)} characters)"


@contextlib.contextmanager
def grpc_errors() -> Iterator[None]:
    """Turn tether's errors into the gRPC statuses clients expect (SESSION_EXPIRED exactly)."""
    try:
        yield
    except GRPCError:
        raise
    except SessionExpired as exc:
        log.info("SESSION_EXPIRED for session id %s", clip(exc.session_id))
        raise GRPCError(Status.INVALID_ARGUMENT, "SESSION_EXPIRED") from exc
    except InvalidCommand as exc:
        raise GRPCError(Status.INVALID_ARGUMENT, str(exc)) from exc
    except Unsupported as exc:
        raise GRPCError(Status.UNIMPLEMENTED, str(exc)) from exc
    except OwnedByAnotherKey as exc:
        raise GRPCError(Status.FAILED_PRECONDITION, str(exc)) from exc
    except TooManySessions as exc:
        raise GRPCError(Status.RESOURCE_EXHAUSTED, str(exc)) from exc
    except HardwareError as exc:
        raise GRPCError(Status.UNAVAILABLE, f"hardware error: {exc}") from exc


def _inline_if_free(call: Callable[[], T], locks: list[Any]) -> tuple[bool, T | None]:
    """Run call on this thread only if no lock it needs is held (a blocked stop holds one):
    the event loop must never wait behind hardware. The resource's own lock (the first) is
    held for the call; the others (its motors') are only probed, since a base stops its motors
    on worker threads that must be able to take them."""
    if not locks:
        return True, call()
    own, others = locks[0], locks[1:]
    if not own.acquire(blocking=False):
        return False, None
    try:
        for lock in others:
            if not lock.acquire(blocking=False):
                return False, None
            lock.release()
        return True, call()
    finally:
        own.release()


def resource_name(kind: str, name: str) -> str:
    """The string form of a Viam resource name, as sent in viam-smrn."""
    return f"rdk:component:{kind}/{name}"


class Api:
    """The daemon's state as the handlers see it."""

    def __init__(self, robot: Robot, sessions: SessionManager) -> None:
        self.robot = robot
        self.sessions = sessions
        self.ownership = OwnershipGuard(sessions)
        self.tracker = ConnectionTracker(self._end_orphaned)
        self.losses = LossBoard()
        sessions.add_ownership_listener(self.losses.post)
        self.started = time.monotonic()
        self.shutting_down = False
        #: The guardian supervising this daemon, for Status (None when it runs alone).
        self.guardian: GuardianInfo | None = None
        self._commands = ThreadPoolExecutor(32, thread_name_prefix="tether-cmd")
        self._stops = StopWorkers()

    def owner(self, stream: Any) -> str:
        """The API key id the request authenticated with ('' when no keys are configured)."""
        return str((stream.metadata or {}).get(OWNER_METADATA, ""))

    def base(self, name: str) -> Base:
        """The base with that name, or NOT_FOUND naming it."""
        base = self.robot.bases.get(name)
        if base is None:
            raise GRPCError(Status.NOT_FOUND, f"no base named {name!r}")
        return base

    def motor(self, name: str) -> Motor:
        """The motor with that name, or NOT_FOUND naming it."""
        motor = self.robot.motors.get(name)
        if motor is None:
            raise GRPCError(Status.NOT_FOUND, f"no motor named {name!r}")
        return motor

    def refuse_if_stopping(self) -> None:
        """New commands are refused once shutdown began."""
        if self.shutting_down:
            raise GRPCError(Status.UNAVAILABLE, "tether is shutting down")

    async def monitor(
        self, stream: Any, kind: str, name: str, resource: Any, command: Callable[[], T],
        *, move: bool = False,
    ) -> Callable[[], T]:
        """Check the call may claim the resource (a live session of the caller's key, or no
        session and no other key's live session owning it), then return the command guarded so
        that ownership moves only as it runs: a refused call never moves ownership.

        Runs before any response is sent, so viam-smrn can go out with the headers. The caller
        validates every value first (the drivers' check_*/plan_* methods).
        """
        session_id = (stream.metadata or {}).get(SESSION_METADATA) or None
        owner = self.owner(stream)
        self.ownership.admit(session_id, owner, name)
        if session_id is not None:
            self.tracker.carried(connection_key(stream), session_id)
            await stream.send_initial_metadata(
                metadata={MONITORED_METADATA: resource_name(kind, name)}
            )
        return self.guard(session_id, owner, name, resource, command, move=move)

    def guard(
        self, session_id: str | None, owner: str, name: str, resource: Any,
        command: Callable[[], T], *, move: bool = False,
    ) -> Callable[[], T]:
        """The command, run so that ownership moves as it runs (tether.session.guard)."""
        return self.ownership.bind(session_id, owner, name, resource, command, move=move)

    async def run(self, call: Callable[[], T], resource: Any = None) -> T:
        """Run a hardware call: inline if the resource's writes take microseconds (GPIO, I2C),
        else in a thread, so a slow (serial) device never delays a heartbeat."""
        if resource is not None and not getattr(resource, "slow_io", True):
            done, result = _inline_if_free(call, getattr(resource, "command_locks", []))
            if done:
                return result  # type: ignore[return-value]
        return await run_on_a_thread(self._commands, call)

    async def run_stop(self, call: Callable[[], T]) -> T:
        """Stops get their own standing threads: never queued behind commands, never waiting
        for a new thread (with none to be had, the stop runs on the loop's thread)."""
        return await self._stops.run(call)

    async def run_move(self, move: Callable[[], bool], stop: Callable[[], None]) -> bool:
        """A blocking move; if the RPC is cancelled (caller gone), the resource is stopped."""
        future = asyncio.get_running_loop().run_in_executor(self._commands, move)
        try:
            return await asyncio.shield(future)
        except asyncio.CancelledError:
            log.info("blocking move cancelled by its caller; stopping")
            await self.run_stop(stop)
            raise

    def _end_orphaned(self, session_id: str) -> None:
        """Called on the loop when a session's last connection closed: end it here and hand its
        stops to the stopper's workers (no hop to a thread first: on a slow CPU each is a
        scheduling delay before the first pin write)."""
        try:
            self.sessions.end_soon(session_id)
        except Exception:
            log.exception("session %s: ending it after its last connection closed failed",
                          session_id)

    def close(self) -> None:
        """Let the worker threads go."""
        self._commands.shutdown(wait=False, cancel_futures=True)
        self._stops.close()
