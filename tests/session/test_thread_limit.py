"""Stops when the process can start no new thread: they run on standing workers or inline."""

from __future__ import annotations

import logging
import threading
import time

import pytest

from tests.session.doubles import Events, Recorder
from tether.drivers import DifferentialBase
from tether.fakes import FakeClock, FakeMotor
from tether.fakes.threads import threads_refused
from tether.session import SessionManager, StopOutcome, safety_monitor, to_context
from tether.session.pool import StopPool


def test_pool_runs_a_stop_on_the_callers_thread_when_no_worker_is_free_nor_can_start(
    caplog: pytest.LogCaptureFixture,
) -> None:
    pool = StopPool(keep_idle=2)
    release = threading.Event()
    busy = threading.Barrier(3, timeout=5)

    def blocked() -> None:
        busy.wait()
        release.wait(5)

    ran_on: list[threading.Thread] = []
    try:
        pool.submit(blocked)
        pool.submit(blocked)
        busy.wait()  # both standing workers are inside a blocked stop
        with threads_refused() as refused, caplog.at_level(logging.WARNING, "tether.session"):
            pool.submit(lambda: ran_on.append(threading.current_thread()))
        assert ran_on == [threading.current_thread()], "ran at once, on the caller's thread"
        assert refused == ["tether-stop"]
        assert "can't start new thread" in caplog.text and "inline" in caplog.text
    finally:
        release.set()
        pool.close()


def test_pool_built_at_the_thread_limit_runs_stops_inline() -> None:
    with threads_refused():
        pool = StopPool(keep_idle=2)
        ran_on: list[threading.Thread] = []
        pool.submit(lambda: ran_on.append(threading.current_thread()))
    assert ran_on == [threading.current_thread()]
    pool.close()


def test_pool_still_runs_a_stop_submitted_after_close() -> None:
    pool = StopPool(keep_idle=1)
    pool.close()
    ran: list[str] = []
    pool.submit(lambda: ran.append("stopped"))
    assert ran == ["stopped"]


def test_expiry_stops_every_wheel_of_a_four_motor_base_with_no_new_thread(
    manager: SessionManager, clock: FakeClock
) -> None:
    """The issue's case: the expiry stop failed three times with "can't start new thread"."""
    motors = [FakeMotor(name) for name in ("l0", "r0", "l1", "r1")]
    base = DifferentialBase(
        "base", motors[0::2], motors[1::2], width_mm=200, wheel_circumference_mm=200
    )
    session = manager.start(heartbeat_window=0.5)
    with to_context(session):
        safety_monitor(base)
    base.set_power(0.3, 0)
    with threads_refused():
        clock.advance(0.5)
        (event,) = manager.expire_due()
    assert (event.outcome, event.attempts, event.error) == (StopOutcome.STOPPED, 1, None)
    assert [m.power for m in motors] == [0.0] * 4
    base.close()


def test_watchdog_stops_inline_when_its_workers_are_blocked_and_no_thread_can_start(
    live_manager: SessionManager, events: Events
) -> None:
    """Two stuck stops hold both standing workers; the third stop of the same expiry runs on
    the watchdog's own thread, and the watchdog lives on to expire the next session."""
    release = threading.Event()
    stuck = [Recorder(name, block=release) for name in ("a-stuck", "b-stuck")]
    wheel, later = Recorder("c-wheel", clock=time.monotonic), Recorder("d-wheel")
    live_manager.add_listener(events)
    try:
        with threads_refused():
            session = live_manager.start(heartbeat_window=0.05)
            with to_context(session):
                for resource in (*stuck, wheel):
                    safety_monitor(resource)
            deadline = time.monotonic() + 0.05
            assert all(r.entered.wait(5) for r in stuck), "the stuck stops hold both workers"
            assert wheel.entered.wait(5), "the third stop never ran"
            assert wheel.stops[0] - deadline < 0.5
            second = live_manager.start(heartbeat_window=0.05)
            with to_context(second):
                safety_monitor(later)
            assert later.entered.wait(5), "the watchdog died: the next expiry stopped nothing"
    finally:
        release.set()
    with events.changed:
        events.changed.wait_for(lambda: len(outcomes(events, "c-wheel", "d-wheel")) == 2, 5)
    assert outcomes(events, "c-wheel", "d-wheel") == {
        "c-wheel": StopOutcome.STOPPED, "d-wheel": StopOutcome.STOPPED}


def outcomes(events: Events, *names: str) -> dict[str, StopOutcome]:
    """The reported outcome of each named resource's stop, for those reported so far."""
    return {e.resource: e.outcome for e in events.items if e.resource in names}
