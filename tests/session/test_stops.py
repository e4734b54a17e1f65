"""How stops run: at most once, retried, bounded, parallel, on end and close (scenarios 10-15)."""

from __future__ import annotations

import threading
import time

import pytest

from tests.session.doubles import Events, Recorder
from tether.fakes import FakeClock
from tether.session import SessionManager, StopOutcome, StopReason, safety_monitor, to_context


def test_stop_called_at_most_once_per_expiry(manager: SessionManager, clock: FakeClock) -> None:
    base = Recorder("base")
    session = manager.start(heartbeat_window=0.5)
    with to_context(session):
        safety_monitor(base)
    clock.advance(0.6)
    manager.expire_due()
    manager.expire_due()
    clock.advance(5)
    manager.expire_due()
    manager.close()
    assert len(base.stops) == 1


def test_raising_stop_is_retried_reported_and_others_still_stop(
    manager: SessionManager, clock: FakeClock, events: Events
) -> None:
    flaky = Recorder("left", raises=1)
    broken = Recorder("right", raises=99)
    fine = Recorder("arm")
    manager.add_listener(events)
    session = manager.start(heartbeat_window=0.5)
    with to_context(session):
        for resource in (flaky, broken, fine):
            safety_monitor(resource)
    clock.advance(0.5)
    reported = {e.resource: e for e in manager.expire_due()}
    assert reported["left"].outcome is StopOutcome.STOPPED and reported["left"].attempts == 2
    assert reported["right"].outcome is StopOutcome.FAILED
    assert reported["right"].attempts == manager.stop_attempts
    assert reported["right"].error == "OSError: right: bus error"
    assert reported["arm"].outcome is StopOutcome.STOPPED and len(fine.stops) == 1
    assert manager.sessions() == [] and not session.active
    assert {e.resource for e in events.items} == {"left", "right", "arm"}


def test_blocking_stop_times_out_without_delaying_other_stops(
    manager: SessionManager, clock: FakeClock, events: Events
) -> None:
    release = threading.Event()
    stuck = Recorder("stuck", block=release)
    fine = Recorder("fine", clock=time.monotonic)
    manager.add_listener(events)
    session = manager.start(heartbeat_window=0.5)
    with to_context(session):
        safety_monitor(stuck)
        safety_monitor(fine)
    clock.advance(0.5)
    began = time.monotonic()
    manager.expire_due()
    waited = time.monotonic() - began
    try:
        assert fine.stops and fine.stops[0] - began < 0.1, "the fine stop ran in parallel"
        assert waited < manager.stop_timeout * 3
        outcomes = {(e.resource, e.outcome) for e in events.items}
        assert ("stuck", StopOutcome.TIMEOUT) in outcomes
        assert ("fine", StopOutcome.STOPPED) in outcomes
    finally:
        release.set()
    final = events.wait_for(3)
    assert ("stuck", StopOutcome.STOPPED) in {(e.resource, e.outcome) for e in final}


def test_explicit_end_stops_owned_resources_at_once(
    manager: SessionManager, clock: FakeClock
) -> None:
    base = Recorder("base", clock=clock)
    other = Recorder("arm")
    session = manager.start(heartbeat_window=60)
    bystander = manager.start(heartbeat_window=60)
    with to_context(session):
        safety_monitor(base)
    with to_context(bystander):
        safety_monitor(other)
    assert manager.end(session.id) is True
    assert base.stops == [clock()], "stopped before end() returned, with no time passing"
    assert other.stops == []
    assert manager.end(session.id) is False
    stop = manager.recent_stops()[-1]
    assert (stop.reason, stop.delay) == (StopReason.ENDED, 0.0)


def test_end_by_a_foreign_owner_does_nothing(manager: SessionManager) -> None:
    base = Recorder("base")
    session = manager.start(owner="alice")
    with to_context(session):
        safety_monitor(base)
    assert manager.end(session.id, owner="mallory") is False
    assert session.active and base.stops == []
    assert manager.end(session.id, owner="alice") is True
    assert len(base.stops) == 1


def test_close_with_live_sessions_stops_every_owned_actuator(
    manager: SessionManager, events: Events
) -> None:
    owned = [Recorder(f"m{i}") for i in range(5)]
    manager.add_listener(events)
    for motor in owned:
        with to_context(manager.start(heartbeat_window=60)):
            safety_monitor(motor)
    unowned = Recorder("spare")
    manager.close()
    assert all(len(m.stops) == 1 for m in owned)
    assert unowned.stops == []
    assert {e.reason for e in events.items} == {StopReason.CLOSED}
    assert manager.sessions() == []


def test_stop_event_reports_delay_from_deadline(
    manager: SessionManager, clock: FakeClock
) -> None:
    base = Recorder("base", clock=clock)
    session = manager.start(heartbeat_window=0.5)
    deadline = session.deadline
    with to_context(session):
        safety_monitor(base)
    clock.advance(0.75)
    (event,) = manager.expire_due()
    assert event.deadline == deadline
    assert event.delay == pytest.approx(0.25)
    assert "'base' stopped (expired)" in event.describe()


def test_end_soon_returns_before_a_blocked_stop_and_the_watchdog_reports_it(
    live_manager: SessionManager, events: Events
) -> None:
    """What the daemon's event loop calls when a session's last connection closed: it must not
    wait for the stops, and an overrun is still reported (by the watchdog)."""
    release = threading.Event()
    stuck, fine = Recorder("stuck", block=release), Recorder("fine")
    live_manager.add_listener(events)
    session = live_manager.start(heartbeat_window=0.5)
    with to_context(session):
        safety_monitor(stuck)
        safety_monitor(fine)
    started = time.monotonic()
    assert live_manager.end_soon(session.id)
    assert time.monotonic() - started < 0.25  # stop_timeout is 0.5
    assert stuck.entered.wait(5)
    until = time.monotonic() + 5
    while time.monotonic() < until and not {"fine", "stuck"} <= {e.resource for e in events.items}:
        time.sleep(0.01)
    outcomes = {e.resource: e.outcome for e in events.items}
    release.set()
    assert outcomes == {"fine": StopOutcome.STOPPED, "stuck": StopOutcome.TIMEOUT}
    assert live_manager.sessions() == [] and not live_manager.end_soon(session.id)
