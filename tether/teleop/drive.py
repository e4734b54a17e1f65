"""What the teleop loop drives: anything with set_power / stop / heartbeat.

One adapter per way of reaching a base, so the same loop drives a base in-process (under a
local SessionManager), through tether's client, or through the Viam SDK (examples/).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Protocol

from tether.drivers.base import Base
from tether.errors import SessionExpired
from tether.session import OwnershipGuard, Session, SessionManager, safety_monitor, to_context

if TYPE_CHECKING:
    from tether.client import Client
    from tether.client import Session as ClientSession
    from tether.client.sync import Base as RemoteBase


class Drive(Protocol):
    """A base under a session: set_power and heartbeat keep the session alive; stop stops."""

    def set_power(self, linear: float, angular: float) -> None:
        """Drive at linear and angular power in [-1, 1] (+angular turns left)."""
        ...

    def stop(self) -> None:
        """Stop now; returning is the acknowledgement."""
        ...

    def heartbeat(self) -> None:
        """Keep the session alive without moving; SessionExpired if it lapsed."""
        ...


class BaseDrive:
    """A bare base with no session (tests in virtual time, or a base you guard yourself)."""

    def __init__(self, base: Base) -> None:
        self.base = base

    def set_power(self, linear: float, angular: float) -> None:
        """Drive."""
        self.base.set_power(linear, angular)

    def stop(self) -> None:
        """Stop."""
        self.base.stop()

    def heartbeat(self) -> None:
        """Nothing to keep alive."""


class LocalDrive:
    """A base owned in-process by a session of a local SessionManager (started right away).

    Like tether's client: a lapsed session raises SessionExpired; the next set_power starts a
    new session (and takes the base again). close() ends the session. Commands run through the
    ownership guard, as the daemon's do: one queued past the session's end never runs.
    """

    def __init__(self, base: Base, manager: SessionManager, heartbeat_window: float = 0.5) -> None:
        self.base = base
        self.manager = manager
        self.guard = OwnershipGuard(manager)
        self.heartbeat_window = heartbeat_window
        self.session: Session | None = None
        self._start()

    def set_power(self, linear: float, angular: float) -> None:
        """Drive under the session (a new one if the last lapsed): the guard heartbeats it and
        claims the base as the command runs, under the base's lock."""
        linear, angular = self.base.check_power(linear, angular)
        session = self.session or self._start()
        try:
            self.guard.run(session.id, session.owner, self.base.name, self.base,
                           lambda: self.base.set_power(linear, angular))
        except SessionExpired:
            self.session = None
            raise

    def stop(self) -> None:
        """Stop the base now."""
        self.base.stop()

    def heartbeat(self) -> None:
        """Extend the session; SessionExpired (once) if it lapsed and stopped the base."""
        if self.session is None:
            raise SessionExpired()
        try:
            self.session.heartbeat()
        except SessionExpired:
            self.session = None
            raise

    def close(self) -> None:
        """End the session: the base stops at once; idempotent."""
        if self.session is not None:
            session, self.session = self.session, None
            self.manager.end(session.id)

    def _start(self) -> Session:
        session = self.manager.start(owner="teleop", heartbeat_window=self.heartbeat_window)
        with to_context(session):
            safety_monitor(self.base)
        self.session = session
        return session


class ClientDrive:
    """A base on a tether daemon, through tether's blocking client and one of its sessions."""

    def __init__(self, base: RemoteBase, session: ClientSession) -> None:
        self.base = base
        self.session = session

    def set_power(self, linear: float, angular: float) -> None:
        """Drive; the command is also the session's heartbeat."""
        self.base.set_power(linear, angular)

    def stop(self) -> None:
        """Stop (acknowledged when the daemon answers)."""
        self.base.stop()

    def heartbeat(self) -> None:
        """Heartbeat on the session's Attach stream."""
        self.session.heartbeat()


@contextlib.contextmanager
def local_drive(
    base: Base, manager: SessionManager, heartbeat_window: float = 0.5
) -> Iterator[LocalDrive]:
    """A LocalDrive whose session ends (and base stops) when the block is left."""
    drive = LocalDrive(base, manager, heartbeat_window)
    try:
        yield drive
    finally:
        drive.close()


@contextlib.contextmanager
def client_drive(
    rover: Client, base: str = "base", heartbeat_window: float = 0.5
) -> Iterator[ClientDrive]:
    """A ClientDrive in a session of `rover`; leaving the block ends it: the rover stops."""
    with rover.session(heartbeat_window=heartbeat_window) as session:
        yield ClientDrive(rover.base(base), session)
