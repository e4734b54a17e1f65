"""The same teleop as a client of the daemon (tether's client over a socket), and the demo."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from tests.teleop.rigs import (
    MARGIN,
    PERIOD,
    moved_between,
    note_time,
    press,
    release,
    running,
    script,
    stick,
    stopped_after,
    unplug,
    wait_for,
)
from tether.client import connect
from tether.demo_configs import demo_config
from tether.input import FakeGamepad, PadEvent
from tether.server.background import BackgroundDaemon
from tether.session import SessionManager, StopReason
from tether.teleop import Teleop, client_drive
from tether.teleop.demo import run_gamepad_demo

WINDOW = 0.5


@pytest.fixture
def daemon() -> Iterator[BackgroundDaemon]:
    running_daemon = BackgroundDaemon(demo_config("gpio", WINDOW), sim=True, listen="127.0.0.1:0")
    yield running_daemon
    running_daemon.close()


def drive_through(daemon: BackgroundDaemon, events: list[PadEvent], seconds: float) -> Teleop:
    with connect(daemon.address) as rover, client_drive(rover, "base", WINDOW) as drive:
        teleop = Teleop(FakeGamepad(events), drive)
        teleop.run(duration=seconds)
    return teleop


def test_deadman_release_through_the_daemon_stops_within_one_period(
    daemon: BackgroundDaemon,
) -> None:
    teleop = drive_through(daemon, script(press(0.05), stick(0.05, 1.0), release(0.6)), 1.0)
    outputs = list(daemon.sim.outputs.values())
    assert daemon.sim.rovers["base"].state_at(note_time(teleop, "deadman released")).x_mm > 50
    released = note_time(teleop, "deadman released")
    stopped = stopped_after(outputs, released)
    assert stopped is not None and stopped - released < PERIOD + MARGIN
    assert not moved_between(outputs, stopped, time.monotonic())


def test_unplugged_pad_through_the_daemon_stops_the_rover(daemon: BackgroundDaemon) -> None:
    teleop = drive_through(daemon, script(press(0.05), stick(0.05, -1.0), unplug(0.5)), 0.9)
    outputs = list(daemon.sim.outputs.values())
    unplugged = note_time(teleop, "pad disconnected")
    assert daemon.sim.rovers["base"].state_at(unplugged).x_mm < -50, "it was reversing"
    stopped = stopped_after(outputs, unplugged)
    assert stopped is not None and stopped - unplugged < PERIOD + MARGIN


def test_frozen_pad_through_the_daemon_is_stopped_at_the_session_window(
    daemon: BackgroundDaemon,
) -> None:
    gamepad = FakeGamepad(script(press(0.05), stick(0.05, 1.0)), hang_at=0.5)
    with connect(daemon.address) as rover, client_drive(rover, "base", WINDOW) as drive:
        teleop = Teleop(gamepad, drive)
        with running(teleop):
            wait_for(daemon.moving)
            hung = gamepad.started + 0.5  # type: ignore[operator]
            wait_for(lambda: not daemon.moving(), 3.0)
            stopped = daemon.stopped_at()
            sessions: SessionManager = daemon.daemon.api.sessions  # type: ignore[union-attr]
            wait_for(lambda: bool(sessions.recent_stops()))  # reported once the stop returned
            expiry = sessions.recent_stops()[-1]
            assert (expiry.resource, expiry.reason) == ("base", StopReason.EXPIRED)
            assert stopped is not None
            assert hung + WINDOW - PERIOD - MARGIN < stopped < hung + WINDOW + MARGIN
            assert max(s.time for s in teleop.sent) <= hung + 0.01, "silent once hung"


def test_gamepad_demo_replays_the_bundled_drive_through_the_full_stack() -> None:
    lines: list[str] = []
    result = run_gamepad_demo(say=lines.append)
    text = "\n".join(lines)
    assert not result.moved_before_deadman
    assert "turbo and full stick without the deadman: nothing moved" in text
    causes = [s.why.split(":")[0] for s in result.stops]
    assert causes == ["deadman released"] + ["pad disconnected (ENODEV)"] * 2, (
        "the stick held steady from 7.075 s drove on until the pad was dropped"
    )
    assert result.stops[2].at == pytest.approx(9.575, abs=0.01)
    held = [x for t, x, _, _ in result.path if 7.2 <= t <= 9.5]
    assert held[-1] - held[0] > 400, "2.3 s of the silent hold at 255 mm/s: about 590 mm"
    for stop in result.stops:
        assert stop.delay is not None and stop.delay < PERIOD + MARGIN, stop
    # Real time on a loaded box: a 100 ms stall is 25-50 mm or 0.3 rad; test_rover.py checks
    # the same path exactly in virtual time. This proves the full stack drives the same shape.
    assert result.end.x_mm == pytest.approx(880, abs=120)
    assert result.end.y_mm == pytest.approx(249, abs=120)
    assert abs(result.end.heading_rad) < 0.4
    assert len(result.path) > 150, "a pose per tick"
    assert "stop delays (pad event -> every wheel at duty 0):" in text
    assert "end pose: x " in text
