"""A wheel blocked mid-drive on the simulated encoder rover, driven through the daemon in a
session: the stall check stops the rover, Status and the log name the motor and the reason,
and the session layer carries on as if nothing happened."""

from __future__ import annotations

import logging
import time

import pytest

from tests.server.harness import EXAMPLES, DaemonThread
from tether.client import connect
from tether.config import load_config

#: examples/rover_encoders.toml's [[motor]] 'left' stall.stall_seconds.
STALL_SECONDS = 1.0


def test_a_wheel_blocked_mid_drive_is_stopped_within_the_stall_time_and_reported(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING)
    daemon = DaemonThread(load_config(EXAMPLES / "rover_encoders.toml"))
    try:
        with connect(daemon.address) as client, client.session(keepalive=True) as session:
            client.base().set_velocity(150, 0)
            assert daemon.wait_until(daemon.moving, 5)
            time.sleep(0.5)
            daemon.sim.wheels["left"].blocked = True
            blocked = time.monotonic()
            assert daemon.wait_until(lambda: not daemon.moving(), 5)
            stopped = daemon.stopped_at()
            assert stopped is not None
            print(f"\nblocked wheel stopped {stopped - blocked:.3f} s after it was blocked "
                  f"(stall_seconds {STALL_SECONDS})")
            assert stopped - blocked <= STALL_SECONDS + 0.2
            stalls = [(s.resource, s.reason, s.outcome, s.session_id)
                      for s in client.status().recent_stops]
            assert stalls == [("left", "stall", "stopped", "")], "no session stop beside it"
            manager = daemon.daemon.api.sessions  # type: ignore[union-attr]
            owner = manager.owner_of("base")
            assert owner is not None and owner.id == session.id, "the session still owns it"
            assert manager.recent_stops() == [], "the session layer stopped nothing"
            client.base().set_velocity(-100, 0)  # the session drives on (away from the wall)
            daemon.sim.wheels["left"].blocked = False
            assert daemon.wait_until(daemon.moving, 5)
    finally:
        daemon.close()
    logged = [r.getMessage() for r in caplog.records if "(stall)" in r.getMessage()]
    assert any(m.startswith("motor 'left' stopped (stall)") for m in logged), logged
