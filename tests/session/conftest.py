"""Fixtures for the session layer: a manual-clock manager and a real-time one."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.session.doubles import Events
from tether.fakes import FakeClock
from tether.session import SessionManager


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(start=100.0)


@pytest.fixture
def manager(clock: FakeClock) -> Iterator[SessionManager]:
    """A manager on a manual clock; tests drive expiry with clock.advance + expire_due()."""
    mgr = SessionManager(heartbeat_window=1.0, stop_timeout=0.5, clock=clock, watchdog=False)
    yield mgr
    mgr.close()


@pytest.fixture
def live_manager() -> Iterator[SessionManager]:
    """A manager on the real clock with its watchdog thread running."""
    mgr = SessionManager(heartbeat_window=1.0, stop_timeout=0.5)
    yield mgr
    mgr.close()


@pytest.fixture
def events() -> Events:
    return Events()
