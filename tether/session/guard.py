"""The ownership guard: the one place that decides whether a monitored command may run.

Every front end (gRPC, the drive page's WebSocket, in-process teleop) runs a monitored command
(one that makes a resource move) through it, with the caller's session id (or None) and API
key. It raises tether's own errors; each front end maps them to its wire.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import TypeVar

from tether.contract.resource import Resource
from tether.errors import InvalidCommand
from tether.session.manager import SessionManager

T = TypeVar("T")


class OwnershipGuard:
    """Checks a monitored command early, then runs it so that ownership moves only as it runs.

    Ownership moves to the command's session (or, without one, is released) at the moment the
    command runs, under the resource's own lock, which a stop also takes: a command queued past
    its session's end raises SessionExpired and never runs, and a refused command never moves
    ownership. A racing command of another live session takes the resource over (last monitor
    wins) unless the guard is `exclusive` (one driver per resource: the drive page's default).
    """

    def __init__(
        self, sessions: SessionManager, *, exclusive: bool = False, how_to_share: str = ""
    ) -> None:
        self.sessions = sessions
        self.exclusive = exclusive
        self._how_to_share = how_to_share

    def admit(self, session_id: str | None, owner: str, name: str) -> None:
        """Refuse early, before any work or reply, a command that could not run now: its session
        lapsed or is another key's (SessionExpired; a live one is heartbeated), or, without a
        session, another key's live session drives `name` (OwnedByAnotherKey)."""
        if session_id is None:
            self.sessions.check_release(name, owner)
            return
        if self.exclusive:
            self._refuse_if_taken(session_id, name)
        self.sessions.heartbeat(session_id, owner=owner)

    def bind(
        self, session_id: str | None, owner: str, name: str, resource: Resource,
        command: Callable[[], T], *, move: bool = False,
    ) -> Callable[[], T]:
        """The command, guarded; call it where it should run (a thread, or inline). A blocking
        `move` claims the resource under its lock, then runs without it, since stop() must be
        able to take the lock while the move runs."""
        lock = _own_lock(resource)

        def guarded() -> T:
            with lock:
                if self.exclusive and session_id is not None:
                    self._refuse_if_taken(session_id, name)
                self.sessions.associate(session_id, name, resource, owner=owner)
                if not move:
                    return command()
            return command()

        return guarded

    def run(
        self, session_id: str | None, owner: str, name: str, resource: Resource,
        command: Callable[[], T], *, move: bool = False,
    ) -> T:
        """Run the command now, on this thread, guarded (admit, then bind and call)."""
        self.admit(session_id, owner, name)
        return self.bind(session_id, owner, name, resource, command, move=move)()

    def _refuse_if_taken(self, session_id: str, name: str) -> None:
        holder = self.sessions.owner_of(name)
        if holder is not None and holder.id != session_id:
            hint = f"; {self._how_to_share}" if self._how_to_share else ""
            raise InvalidCommand(
                f"{name!r} is driven by another session; expected it to be free (one driver "
                f"per resource{hint})"
            )


def _own_lock(resource: object) -> contextlib.AbstractContextManager[object]:
    """The resource's own command lock, the first of its command_locks (a stop takes it too);
    none for a resource that declares no locks (a test double)."""
    locks = getattr(resource, "command_locks", None)
    return locks[0] if locks else contextlib.nullcontext()
