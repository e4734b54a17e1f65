"""Session life: start, heartbeat, expiry, owners, windows, the cap, resume (scenarios 1, 5-7)."""

from __future__ import annotations

import math
import uuid

import pytest

from tether.errors import InvalidCommand, ManagerClosed, SessionExpired, TooManySessions
from tether.fakes import FakeClock
from tether.session import SessionManager


def test_new_session_has_unique_uuid_and_is_active(manager: SessionManager) -> None:
    first, second = manager.start(), manager.start()
    assert first.id != second.id
    assert uuid.UUID(first.id).version == 4
    assert first.active and second.active
    assert {s.id for s in manager.sessions()} == {first.id, second.id}


def test_session_goes_inactive_after_window_and_heartbeat_revives_before_it(
    manager: SessionManager, clock: FakeClock
) -> None:
    session = manager.start(heartbeat_window=0.5)
    clock.advance(0.4)
    session.heartbeat()
    assert session.deadline == pytest.approx(clock() + 0.5)
    clock.advance(0.4)
    assert session.active, "the heartbeat moved the deadline a full window on"
    clock.advance(0.1)
    assert not session.active
    with pytest.raises(SessionExpired):
        session.heartbeat()


def test_heartbeat_exactly_at_deadline_is_too_late(
    manager: SessionManager, clock: FakeClock
) -> None:
    session = manager.start(heartbeat_window=0.5)
    clock.advance(0.5)
    with pytest.raises(SessionExpired):
        manager.heartbeat(session.id)


def test_wrong_owner_reads_as_expired_and_right_owner_heartbeats(
    manager: SessionManager, clock: FakeClock
) -> None:
    alice = manager.start(owner="alice")
    bob = manager.start(owner="bob")
    with pytest.raises(SessionExpired) as wrong:
        manager.heartbeat(alice.id, owner="bob")
    with pytest.raises(SessionExpired) as unknown:
        manager.heartbeat(str(uuid.uuid4()), owner="bob")
    assert str(wrong.value).split(":")[0] == str(unknown.value).split(":")[0] == "SESSION_EXPIRED"
    with pytest.raises(SessionExpired):
        manager.get(alice.id, owner="bob")
    clock.advance(0.9)
    assert manager.heartbeat(alice.id, owner="alice") is alice
    assert manager.get(bob.id, owner="bob") is bob
    clock.advance(0.5)
    assert alice.active and not bob.active


def test_non_ascii_owner_compares_safely(manager: SessionManager) -> None:
    session = manager.start(owner="rover-ö")
    assert manager.heartbeat(session.id, owner="rover-ö") is session
    with pytest.raises(SessionExpired):
        manager.heartbeat(session.id, owner="rover-o")


@pytest.mark.parametrize("window", [0, -1, 0.029, 60.01, math.nan, math.inf, -math.inf, "2", True])
def test_windows_outside_30ms_to_60s_are_rejected_with_the_range(
    manager: SessionManager, window: object
) -> None:
    expected = r"heartbeat_window=.*expected seconds in \[0.03, 60\]"
    with pytest.raises(InvalidCommand, match=expected):
        manager.start(heartbeat_window=window)  # type: ignore[arg-type]
    assert manager.sessions() == []


@pytest.mark.parametrize("window", [0.03, 60])
def test_window_bounds_are_inclusive(manager: SessionManager, window: float) -> None:
    assert manager.start(heartbeat_window=window).heartbeat_window == window


def test_manager_default_window_is_validated_too() -> None:
    with pytest.raises(InvalidCommand, match=r"heartbeat_window=0\.001"):
        SessionManager(heartbeat_window=0.001, watchdog=False)
    with pytest.raises(InvalidCommand, match="max_sessions=0"):
        SessionManager(max_sessions=0, watchdog=False)
    with pytest.raises(InvalidCommand, match="stop_timeout=-1"):
        SessionManager(stop_timeout=-1, watchdog=False)


def test_cap_gives_clear_error_and_leaves_existing_sessions_alone(clock: FakeClock) -> None:
    with SessionManager(max_sessions=3, clock=clock, watchdog=False) as mgr:
        live = [mgr.start() for _ in range(3)]
        with pytest.raises(TooManySessions, match=r"3 live sessions \(max_sessions=3\)"):
            mgr.start()
        assert all(s.active for s in live)
        for session in live:
            mgr.heartbeat(session.id)
        mgr.end(live[0].id)
        assert mgr.start().active


def test_resume_returns_same_session_only_for_its_owner(
    manager: SessionManager, clock: FakeClock
) -> None:
    session = manager.start(owner="alice", heartbeat_window=0.5)
    clock.advance(0.4)
    assert manager.start(owner="alice", resume=session.id) is session
    clock.advance(0.4)
    assert session.active, "resume counts as a heartbeat"
    stranger = manager.start(owner="bob", resume=session.id)
    assert stranger.id != session.id
    clock.advance(0.5)
    fresh = manager.start(owner="alice", resume=session.id)
    assert fresh.id != session.id


def test_closed_manager_starts_nothing(manager: SessionManager) -> None:
    manager.close()
    manager.close()
    with pytest.raises(ManagerClosed):
        manager.start()


def test_session_context_manager_ends_even_on_exception(manager: SessionManager) -> None:
    with pytest.raises(RuntimeError), manager.session(heartbeat_window=0.3) as session:
        assert session.active
        raise RuntimeError("script crashed")
    assert not session.active
    assert manager.sessions() == []
