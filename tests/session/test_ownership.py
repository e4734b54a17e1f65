"""Who owns a resource, and whose expiry stops it (scenarios 4, 8, 9, 13, 16)."""

from __future__ import annotations

import threading

import pytest

from tests.session.doubles import Events, Recorder
from tether.errors import OwnedByAnotherKey, SessionExpired
from tether.fakes import FakeClock
from tether.session import (
    OwnershipChange,
    SessionManager,
    StopOutcome,
    StopReason,
    safety_monitor,
    to_context,
)


def test_active_session_associates_exactly_once(
    manager: SessionManager, clock: FakeClock
) -> None:
    base = Recorder("base")
    session = manager.start()
    with to_context(session):
        safety_monitor(base)
        safety_monitor(base)
    assert manager.owner_of("base") is session
    assert session._owned == {"base"}
    clock.advance(1.0)
    events = manager.expire_due()
    assert [(e.resource, e.outcome) for e in events] == [("base", StopOutcome.STOPPED)]
    assert len(base.stops) == 1


def test_expired_session_associates_nothing_and_raises(
    manager: SessionManager, clock: FakeClock
) -> None:
    base = Recorder("base")
    session = manager.start(heartbeat_window=0.5)
    clock.advance(0.5)
    with to_context(session), pytest.raises(SessionExpired):
        safety_monitor(base)
    assert manager.owner_of("base") is None
    assert session._owned == set()


def test_safety_monitor_counts_as_heartbeat(manager: SessionManager, clock: FakeClock) -> None:
    session = manager.start(heartbeat_window=0.5)
    clock.advance(0.4)
    with to_context(session):
        safety_monitor(Recorder("base"))
    clock.advance(0.4)
    assert session.active


def test_last_monitor_wins_a_expires_no_stop_b_expires_stop(
    manager: SessionManager, clock: FakeClock
) -> None:
    base = Recorder("base", clock=clock)
    a = manager.start(heartbeat_window=0.5)
    b = manager.start(heartbeat_window=1.0)
    with to_context(a):
        safety_monitor(base)
    with to_context(b):
        safety_monitor(base)
    clock.advance(0.5)
    assert manager.expire_due() == []
    assert base.stops == [] and not a.active
    clock.advance(0.5)
    events = manager.expire_due()
    assert [(e.session_id, e.resource, e.reason) for e in events] == [
        (b.id, "base", StopReason.EXPIRED)
    ]
    assert base.stops == [clock()]


def test_sessionless_monitored_call_releases_ownership(
    manager: SessionManager, clock: FakeClock
) -> None:
    base = Recorder("base")
    session = manager.start(heartbeat_window=0.5)
    with to_context(session):
        safety_monitor(base)
    manager.associate(None, "base")
    assert manager.owner_of("base") is None
    clock.advance(0.5)
    assert manager.expire_due() == []
    assert base.stops == []


def test_expiry_stops_the_current_resource_after_replacement(clock: FakeClock) -> None:
    resources = {"base": Recorder("base", clock=clock)}
    events = Events()
    with SessionManager(resources.get, clock=clock, watchdog=False) as mgr:
        mgr.add_listener(events)
        session = mgr.start(heartbeat_window=0.5)
        mgr.associate(session.id, "base")
        old = resources["base"]
        resources["base"] = replacement = Recorder("base", clock=clock)
        clock.advance(0.5)
        mgr.expire_due()
    assert old.stops == [] and replacement.stops == [clock()]
    assert [e.outcome for e in events.items] == [StopOutcome.STOPPED]


def test_expiry_of_a_removed_resource_logs_gone(
    clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    resources = {"base": Recorder("base")}
    with SessionManager(resources.get, clock=clock, watchdog=False) as mgr:
        session = mgr.start(heartbeat_window=0.5)
        mgr.associate(session.id, "base")
        del resources["base"]
        clock.advance(0.5)
        events = mgr.expire_due()
    assert [(e.resource, e.outcome) for e in events] == [("base", StopOutcome.GONE)]
    assert "'base' gone (expired)" in caplog.text


def test_ownership_moved_during_expiry_is_not_stopped_for_the_old_owner(
    manager: SessionManager, clock: FakeClock
) -> None:
    """A dispatches its expiry, B takes the base before A's stop runs: A must not stop it."""
    base = Recorder("base")
    a = manager.start(heartbeat_window=0.5)
    b = manager.start(heartbeat_window=5.0)
    with to_context(a):
        safety_monitor(base)
    clock.advance(0.5)
    jobs = manager._registry.collect_due(clock())
    assert [job.name for job in jobs] == ["base"]
    with to_context(b):
        safety_monitor(base)
    manager._stopper.dispatch(jobs)
    manager._stopper.wait(jobs)
    assert base.stops == []
    assert [job.final.outcome for job in jobs if job.final] == [StopOutcome.SUPERSEDED]
    assert manager.owner_of("base") is b


def test_concurrent_monitors_leave_exactly_one_owner(manager: SessionManager) -> None:
    base = Recorder("base")
    sessions = [manager.start(heartbeat_window=5) for _ in range(8)]
    barrier = threading.Barrier(len(sessions))

    def claim(index: int) -> None:
        barrier.wait(5)
        for _ in range(200):
            with to_context(sessions[index]):
                safety_monitor(base)

    threads = [threading.Thread(target=claim, args=(i,)) for i in range(len(sessions))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    owner = manager.owner_of("base")
    assert owner is not None
    holders = [s for s in sessions if "base" in s._owned]
    assert holders == [owner]


def test_release_by_another_key_is_refused_while_the_owner_lives(
    manager: SessionManager, clock: FakeClock
) -> None:
    """Scenario 9 at the daemon: one key may not disarm another key's live session."""
    base = Recorder("base", clock=clock)
    alice = manager.start(owner="alice")
    manager.associate(alice.id, "base", base)
    with pytest.raises(OwnedByAnotherKey, match="another API key"):
        manager.check_release("base", owner="mallory")
    with pytest.raises(OwnedByAnotherKey):
        manager.associate(None, "base", owner="mallory")
    assert manager.owner_of("base") is alice
    assert manager.recent_ownership_changes() == []
    clock.advance(1.0)
    assert [e.outcome for e in manager.expire_due()] == [StopOutcome.STOPPED]
    manager.associate(None, "base", owner="mallory")  # nobody owns it now: allowed


def test_release_by_the_same_key_or_in_process_is_recorded_as_a_change(
    manager: SessionManager, clock: FakeClock
) -> None:
    seen: list[OwnershipChange] = []
    manager.add_ownership_listener(seen.append)
    alice = manager.start(owner="alice")
    manager.associate(alice.id, "base", Recorder("base"))
    manager.check_release("base", owner="alice")
    manager.associate(None, "base", owner="alice")
    bob = manager.start()
    manager.associate(bob.id, "arm", Recorder("arm"))
    manager.associate(None, "arm")  # in-process: no key to compare
    assert [(c.resource, c.previous_session, c.reason, c.owner) for c in seen] == [
        ("base", alice.id, "released", "alice"), ("arm", bob.id, "released", None)]
    assert manager.recent_ownership_changes() == seen


def test_a_session_taking_over_supersedes_the_previous_owner(
    manager: SessionManager, clock: FakeClock
) -> None:
    a, b = manager.start(owner="k"), manager.start(owner="k")
    base = Recorder("base")
    manager.associate(a.id, "base", base)
    manager.associate(a.id, "base", base)  # the same owner again: no change
    manager.associate(b.id, "base", base)
    changes = manager.recent_ownership_changes()
    assert [(c.previous_session, c.session_id, c.reason) for c in changes] == [
        (a.id, b.id, "superseded")]
    assert "lost it to session" in changes[0].describe()


def test_no_change_is_recorded_for_a_dead_previous_owner(
    manager: SessionManager, clock: FakeClock
) -> None:
    a = manager.start(heartbeat_window=0.5)
    manager.associate(a.id, "base", Recorder("base"))
    clock.advance(0.6)  # lapsed, not yet collected
    manager.associate(None, "base", owner="anyone")
    assert manager.recent_ownership_changes() == []
