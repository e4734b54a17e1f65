"""The real-time watchdog: on time, parallel, never polling, never stalling heartbeats."""

from __future__ import annotations

import threading
import time

from tests.session.doubles import Events, Recorder
from tether.session import SessionManager, StopOutcome, safety_monitor, to_context

# Targets are 2 ms (stop after deadline); CI bounds are generous so a noisy 2-core box stays green.
STOP_BOUND = 0.05


def test_expiry_stops_within_bound_of_deadline(live_manager: SessionManager) -> None:
    base = Recorder("base")
    session = live_manager.start(heartbeat_window=0.1)
    with to_context(session):
        safety_monitor(base)
    assert base.entered.wait(2)
    assert 0 <= base.stops[0] - session.deadline < STOP_BOUND


def test_heartbeated_session_is_not_stopped(live_manager: SessionManager) -> None:
    base = Recorder("base")
    session = live_manager.start(heartbeat_window=0.1)
    with to_context(session):
        safety_monitor(base)
    until = time.monotonic() + 0.5
    while time.monotonic() < until:
        session.heartbeat()
        time.sleep(0.02)
    assert base.stops == [] and session.active
    assert base.entered.wait(2)
    assert base.stops[0] - session.deadline < STOP_BOUND


def test_many_staggered_sessions_each_stop_once_near_deadline(
    live_manager: SessionManager,
) -> None:
    motors = [Recorder(f"m{i}") for i in range(100)]
    sessions = []
    for i, motor in enumerate(motors):
        session = live_manager.start(heartbeat_window=0.1 + i * 0.002)
        with to_context(session):
            safety_monitor(motor)
        sessions.append(session)
    for motor in motors:
        assert motor.entered.wait(5)
    delays = sorted(m.stops[0] - s.deadline for m, s in zip(motors, sessions, strict=True))
    assert all(len(m.stops) == 1 for m in motors)
    assert delays[0] >= 0
    assert delays[len(delays) // 2] < STOP_BOUND


def test_stops_of_one_session_run_in_parallel(live_manager: SessionManager) -> None:
    barrier = threading.Barrier(4, timeout=2)

    class Rendezvous(Recorder):
        def stop(self) -> None:
            super().stop()
            barrier.wait()

    motors = [Rendezvous(f"m{i}") for i in range(4)]
    session = live_manager.start(heartbeat_window=5)
    with to_context(session):
        for motor in motors:
            safety_monitor(motor)
    events = Events()
    live_manager.add_listener(events)
    live_manager.end(session.id)
    reported = events.wait_for(4)
    assert sorted((e.resource, e.outcome, e.attempts) for e in reported) == [
        (f"m{i}", StopOutcome.STOPPED, 1) for i in range(4)
    ], "a serial stop would break the 4-way barrier and raise"


def test_blocked_stop_delays_no_heartbeat_and_no_other_expiry(
    live_manager: SessionManager,
) -> None:
    release = threading.Event()
    stuck = Recorder("stuck", block=release)
    later = Recorder("later")
    first = live_manager.start(heartbeat_window=0.05)
    second = live_manager.start(heartbeat_window=0.3)
    steady = live_manager.start(heartbeat_window=0.1)
    with to_context(first):
        safety_monitor(stuck)
    with to_context(second):
        safety_monitor(later)
    try:
        assert stuck.entered.wait(2)
        worst = 0.0
        until = time.monotonic() + 0.5
        while time.monotonic() < until:
            began = time.perf_counter()
            steady.heartbeat()
            worst = max(worst, time.perf_counter() - began)
            time.sleep(0.005)
        assert worst < STOP_BOUND
        assert later.entered.wait(2)
        assert later.stops[0] - second.deadline < STOP_BOUND
        assert steady.active
    finally:
        release.set()


def test_idle_watchdog_sleeps_until_the_deadline() -> None:
    calls = 0

    def counting_clock() -> float:
        nonlocal calls
        calls += 1
        return time.monotonic()

    with SessionManager(clock=counting_clock) as mgr:
        mgr.start(heartbeat_window=2.0)
        before = calls
        time.sleep(0.5)
        woke = calls - before
    assert woke <= 2, f"watchdog read the clock {woke} times in 0.5 s: it is polling"


def test_close_stops_watchdog_and_owned_motors_promptly() -> None:
    base = Recorder("base")
    mgr = SessionManager()
    with to_context(mgr.start(heartbeat_window=60)):
        safety_monitor(base)
    began = time.monotonic()
    mgr.close()
    assert time.monotonic() - began < 1.0
    assert len(base.stops) == 1
    assert mgr._watchdog is not None and not mgr._watchdog.is_alive()
