"""The seed's ToContext / SafetyMonitor on contextvars: correct across threads and asyncio tasks."""

from __future__ import annotations

from contextvars import ContextVar, Token
from typing import TYPE_CHECKING

from tether.contract.resource import Resource

if TYPE_CHECKING:
    from tether.session.session import Session

_current: ContextVar[Session | None] = ContextVar("tether_session", default=None)


class to_context:  # noqa: N801 - a context manager named like the seed's function
    """Attach a session to the current context for the duration of a `with` block."""

    __slots__ = ("_session", "_token")

    def __init__(self, session: Session | None) -> None:
        self._session = session
        self._token: Token[Session | None] | None = None

    def __enter__(self) -> Session | None:
        self._token = _current.set(self._session)
        return self._session

    def __exit__(self, *exc: object) -> None:
        if self._token is not None:
            _current.reset(self._token)
            self._token = None


def from_context() -> Session | None:
    """The session attached to the current context, or None outside any to_context block."""
    return _current.get()


def safety_monitor(resource: Resource | None) -> None:
    """Make the current session the owner of resource, so its end stops it; no session, no-op."""
    if resource is None:
        return
    session = _current.get()
    if session is None:
        return
    session.manager.associate(session.id, resource.name, resource, owner=session.owner)


def safety_monitor_resource_name(name: str) -> None:
    """Like safety_monitor, by configured name (the manager's resolve= finds the resource)."""
    session = _current.get()
    if session is None:
        return
    session.manager.associate(session.id, name, owner=session.owner)
