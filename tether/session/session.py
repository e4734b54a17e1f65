"""A session: one client's presence, alive while it heartbeats within its window."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tether.session.manager import SessionManager


class Session:
    """A live client; the resources it safety-monitors stop when it expires or ends."""

    __slots__ = (
        "_deadline",
        "_ended",
        "_manager",
        "_owned",
        "_owner_key",
        "_queued",
        "heartbeat_window",
        "id",
        "owner",
        "started",
    )

    def __init__(
        self, manager: SessionManager, session_id: str, owner: str, window: float, now: float
    ) -> None:
        self._manager = manager
        self.id = session_id
        self.owner = owner
        self.heartbeat_window = window
        self.started = now
        self._owner_key = owner.encode()
        self._deadline = now + window
        self._ended = False
        self._owned: set[str] = set()
        self._queued = -1

    @property
    def manager(self) -> SessionManager:
        """The manager that owns this session (what safety_monitor associates through)."""
        return self._manager

    @property
    def deadline(self) -> float:
        """Time on the manager's clock at which the session expires unless heartbeated."""
        return self._deadline

    @property
    def active(self) -> bool:
        """True until the session is ended or its deadline passes."""
        return not self._ended and self._manager.clock() < self._deadline

    def heartbeat(self) -> None:
        """Extend the deadline by one window; raises SessionExpired if it already lapsed."""
        self._manager.heartbeat(self.id, owner=self.owner)

    def __repr__(self) -> str:
        state = "active" if self.active else "inactive"
        return (
            f"<Session {self.id} owner={self.owner!r} "
            f"window={self.heartbeat_window}s {state}>"
        )
