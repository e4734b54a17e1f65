"""The ownership guard on its own: what every front end (gRPC, web, teleop) relies on."""

from __future__ import annotations

import threading

import pytest

from tests.session.doubles import Recorder
from tether.errors import InvalidCommand, OwnedByAnotherKey, SessionExpired
from tether.fakes import FakeClock
from tether.session import OwnershipGuard, SessionManager, StopOutcome


class WaitedLock:
    """A resource's command lock that says when someone starts waiting for it."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.waiting = threading.Event()

    def __enter__(self) -> None:
        self.waiting.set()
        self.lock.acquire()

    def __exit__(self, *exc: object) -> None:
        self.lock.release()


class LockedRecorder(Recorder):
    """A Recorder whose commands and stop take one lock, as a driver's do."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.own = WaitedLock()
        self.command_locks = [self.own]
        self.commands = 0

    def drive(self) -> None:
        self.commands += 1
        super().drive()

    def stop(self) -> None:
        with self.own:
            super().stop()


def test_a_command_queued_past_its_sessions_end_never_runs(
    manager: SessionManager,
) -> None:
    base = LockedRecorder("base")
    guard = OwnershipGuard(manager)
    session = manager.start()
    manager.associate(session.id, "base", base)
    outcome: list[BaseException] = []

    def queued() -> None:
        try:
            guard.run(session.id, "", "base", base, base.drive)
        except SessionExpired as exc:
            outcome.append(exc)

    base.own.lock.acquire()  # a slow command holds the base
    worker = threading.Thread(target=queued)
    worker.start()
    try:
        assert base.own.waiting.wait(5), "the command waits for the base's lock"
        assert manager.end(session.id)  # its stop waits too, and times out
    finally:
        base.own.lock.release()
    worker.join(5)
    assert [type(e) for e in outcome] == [SessionExpired]
    assert base.commands == 0 and not base.moving
    assert manager.owner_of("base") is None


def test_a_refused_sessionless_call_never_moves_ownership(
    manager: SessionManager,
) -> None:
    base = LockedRecorder("base")
    guard = OwnershipGuard(manager)
    alice = manager.start(owner="alice")
    guard.run(alice.id, "alice", "base", base, base.drive)
    with pytest.raises(OwnedByAnotherKey, match="another API key"):
        guard.admit(None, "mallory", "base")
    bound_early = guard.bind(None, "mallory", "base", base, base.drive)
    with pytest.raises(OwnedByAnotherKey):
        bound_early()
    assert base.commands == 1
    assert manager.owner_of("base") is alice
    assert manager.recent_ownership_changes() == []


def test_last_monitor_wins_unless_the_guard_is_exclusive(manager: SessionManager) -> None:
    base = LockedRecorder("base")
    shared = OwnershipGuard(manager)
    exclusive = OwnershipGuard(manager, exclusive=True, how_to_share="ask for sharing")
    first, second = manager.start(), manager.start()
    exclusive.run(first.id, "", "base", base, base.drive)
    with pytest.raises(InvalidCommand, match=r"'base' is driven by another session.*sharing"):
        exclusive.admit(second.id, "", "base")
    raced = exclusive.bind(second.id, "", "base", base, base.drive)  # admitted before first's
    with pytest.raises(InvalidCommand):
        raced()
    assert base.commands == 1 and manager.owner_of("base") is first
    shared.run(second.id, "", "base", base, base.drive)
    assert base.commands == 2 and manager.owner_of("base") is second


def test_a_blocking_move_lets_stop_take_the_lock_while_it_runs(manager: SessionManager) -> None:
    base = LockedRecorder("base")
    guard = OwnershipGuard(manager)
    session = manager.start()
    moving = threading.Event()
    result: list[bool] = []

    def move() -> bool:
        moving.set()
        return bool(base.entered.wait(5))  # the move ends when stop() got in

    mover = threading.Thread(
        target=lambda: result.append(guard.run(session.id, "", "base", base, move, move=True)))
    mover.start()
    assert moving.wait(5)
    base.stop()
    mover.join(5)
    assert result == [True], "stop() took the lock during the move"
    assert manager.owns(session.id, "base")


def test_a_lapsed_session_is_refused_before_any_work(clock: FakeClock) -> None:
    with SessionManager(clock=clock, watchdog=False) as manager:
        base = LockedRecorder("base")
        guard = OwnershipGuard(manager)
        session = manager.start(heartbeat_window=0.5)
        guard.run(session.id, "", "base", base, base.drive)
        clock.advance(0.5)
        with pytest.raises(SessionExpired):
            guard.admit(session.id, "", "base")
        assert [e.outcome for e in manager.expire_due()] == [StopOutcome.STOPPED]
        assert base.commands == 1 and not base.moving
