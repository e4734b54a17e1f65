"""A session: one client's presence, alive while it heartbeats within its window."""

from __future__ import annotations

import hmac
import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from tether.errors import InvalidCommand

if TYPE_CHECKING:
    from tether.contract.resource import Resource

MIN_WINDOW = 0.03
"""The shortest heartbeat window a session may ask for, in seconds (30 ms)."""
MAX_WINDOW = 60.0
"""The longest heartbeat window a session may ask for, in seconds."""


def check_window(window: float, what: str = "heartbeat_window") -> float:
    """Return window as a float if it lies in [30 ms, 60 s]; raise InvalidCommand naming it."""
    if isinstance(window, bool) or not isinstance(window, int | float):
        raise InvalidCommand(f"{what}={window!r}: expected seconds in [0.03, 60]")
    value = float(window)
    if not math.isfinite(value) or not MIN_WINDOW <= value <= MAX_WINDOW:
        raise InvalidCommand(f"{what}={window!r}: expected seconds in [0.03, 60]")
    return value


class SessionHost(Protocol):
    """What a session needs of the manager that keeps it (named here, so neither module imports
    the other): its clock, heartbeats, and safety-monitoring through it."""

    @property
    def clock(self) -> Callable[[], float]:
        """The manager's clock: deadlines are on it."""
        ...

    def heartbeat(self, session_id: str, owner: str = "") -> Session:
        """Extend a live session by one window; SessionExpired if it lapsed."""
        ...

    def associate(
        self, session_id: str | None, name: str, resource: Resource | None = None, *,
        owner: str | None = None,
    ) -> None:
        """Make the session the owner of `name`."""
        ...


class Session:
    """A live client; the resources it safety-monitors stop when it expires or ends.

    Its deadline, end and owned names change only through the methods below the public ones,
    which the session registry calls under its lock.
    """

    __slots__ = (
        "_deadline",
        "_ended",
        "_manager",
        "_owned",
        "_owner_key",
        "heartbeat_window",
        "id",
        "owner",
        "started",
    )

    def __init__(
        self, manager: SessionHost, session_id: str, owner: str, window: float, now: float
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

    @property
    def manager(self) -> SessionHost:
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

    # -- the registry's transitions (under its lock) -------------------------------------

    def belongs_to(self, owner_key: bytes) -> bool:
        """Whether owner_key is this session's API key (compared in constant time)."""
        return hmac.compare_digest(self._owner_key, owner_key)

    def lapsed(self, now: float) -> bool:
        """Ended, or past its deadline (even if the watchdog has not expired it yet)."""
        return self._ended or now >= self._deadline

    def is_live(self, owner_key: bytes, now: float) -> bool:
        """Not lapsed, and the caller's key is this session's."""
        return not self.lapsed(now) and self.belongs_to(owner_key)

    def renew(self, now: float) -> None:
        """A heartbeat: the deadline moves one window past now."""
        self._deadline = now + self.heartbeat_window

    def take(self, name: str) -> None:
        """Record that this session owns `name` now."""
        self._owned.add(name)

    def drop(self, name: str) -> None:
        """Record that another caller took `name` from this session."""
        self._owned.discard(name)

    def finish(self) -> list[str]:
        """End the session; the names it owned, sorted (it owns none afterwards)."""
        self._ended = True
        names = sorted(self._owned)
        self._owned.clear()
        return names
