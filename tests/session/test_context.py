"""to_context / from_context / safety_monitor on contextvars (scenarios 2 and 3)."""

from __future__ import annotations

import asyncio
import threading

import pytest

from tests.session.doubles import Recorder
from tether.errors import UnknownResource
from tether.session import (
    Session,
    SessionManager,
    from_context,
    safety_monitor,
    safety_monitor_resource_name,
    to_context,
)


def test_from_context_outside_any_block_is_none() -> None:
    assert from_context() is None


def test_round_trip_returns_same_session_and_restores_outer(manager: SessionManager) -> None:
    outer, inner = manager.start(), manager.start()
    with to_context(outer) as entered:
        assert entered is outer and from_context() is outer
        with to_context(inner):
            assert from_context() is inner
        assert from_context() is outer
    assert from_context() is None


def test_context_does_not_leak_into_other_threads(manager: SessionManager) -> None:
    session = manager.start()
    seen: list[Session | None] = []
    ready = threading.Event()

    def other() -> None:
        ready.wait(5)
        seen.append(from_context())

    thread = threading.Thread(target=other)
    thread.start()
    with to_context(session):
        ready.set()
        thread.join(5)
    assert seen == [None]


def test_context_does_not_leak_between_asyncio_tasks(manager: SessionManager) -> None:
    a, b = manager.start(), manager.start()

    async def drive(session: Session, results: dict[str, str | None]) -> None:
        with to_context(session):
            await asyncio.sleep(0.01)
            current = from_context()
            results[session.id] = None if current is None else current.id

    async def main() -> tuple[dict[str, str | None], Session | None]:
        results: dict[str, str | None] = {}
        await asyncio.gather(drive(a, results), drive(b, results))
        return results, from_context()

    results, after = asyncio.run(main())
    assert results == {a.id: a.id, b.id: b.id}
    assert after is None


def test_safety_monitor_none_does_nothing(manager: SessionManager) -> None:
    session = manager.start()
    with to_context(session):
        safety_monitor(None)
    assert session._owned == set()


def test_without_a_session_nothing_is_associated(manager: SessionManager) -> None:
    motor = Recorder("left")
    safety_monitor(motor)
    safety_monitor_resource_name("left")
    assert manager.owner_of("left") is None


def test_monitor_by_name_needs_a_resolver_or_a_known_name(manager: SessionManager) -> None:
    with to_context(manager.start()), pytest.raises(UnknownResource, match="'base'"):
        safety_monitor_resource_name("base")
    motors = {"left": Recorder("left")}
    with SessionManager(motors.get, watchdog=False) as mgr:
        session = mgr.start()
        with to_context(session):
            safety_monitor_resource_name("left")
            with pytest.raises(UnknownResource, match="no resource named 'right'"):
                safety_monitor_resource_name("right")
        assert mgr.owner_of("left") is session
        assert mgr.owner_of("right") is None
