"""Teleop on the simulated rover in-process (a local SessionManager): physical outcomes."""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.teleop.rigs import (
    MARGIN,
    PERIOD,
    moved_between,
    note_time,
    plug,
    press,
    release,
    running,
    script,
    stick,
    stopped_after,
    time_powered,
    unplug,
    wait_for,
)
from tether.fakes import FakeClock
from tether.fakes.sim import SimRover, build_sim_rover
from tether.input import FakeGamepad, PadEvent
from tether.session import SessionManager, StopReason
from tether.teleop import BaseDrive, LocalDrive, Teleop, TeleopSettings, local_drive
from tether.teleop.demo import STOP_CAUSES, bundled_recording

WINDOW = 0.3


@pytest.fixture
def sim() -> Iterator[SimRover]:
    rover = build_sim_rover()
    yield rover
    rover.close()


@pytest.fixture
def manager() -> Iterator[SessionManager]:
    with SessionManager(heartbeat_window=WINDOW) as sessions:
        yield sessions


def teleop_on(sim: SimRover, manager: SessionManager, events: list[PadEvent],
              **pad: float) -> tuple[Teleop, FakeGamepad, LocalDrive]:
    gamepad = FakeGamepad(events, hang_at=pad.get("hang_at"))
    drive = LocalDrive(sim.base, manager, WINDOW)
    return Teleop(gamepad, drive), gamepad, drive


def test_deadman_release_stops_every_wheel_within_one_period(
    sim: SimRover, manager: SessionManager
) -> None:
    teleop, _, drive = teleop_on(sim, manager, script(press(0.05), stick(0.05, 1.0),
                                                      release(0.6)))
    with running(teleop, duration=1.0) as thread:
        thread.join(3)
    drive.close()
    moving_at = note_time(teleop, "deadman pressed") + 0.2
    assert sim.rover.state_at(moving_at).speed_mm_s > 100, "it was driving"
    released = note_time(teleop, "deadman released")
    stopped = stopped_after(sim.outputs.values(), released)
    assert stopped is not None and stopped - released < PERIOD + MARGIN
    assert not moved_between(sim.outputs.values(), stopped, time.monotonic())


def test_unplugged_pad_stops_the_rover_and_waits_for_it(
    sim: SimRover, manager: SessionManager
) -> None:
    events = script(press(0.05), stick(0.05, 1.0), unplug(0.5), plug(0.9), stick(1.0, 1.0))
    teleop, _, drive = teleop_on(sim, manager, events)
    with running(teleop, duration=1.4) as thread:
        thread.join(3)
    drive.close()
    unplugged = note_time(teleop, "pad disconnected")
    stopped = stopped_after(sim.outputs.values(), unplugged)
    assert stopped is not None and stopped - unplugged < PERIOD + MARGIN
    assert not moved_between(sim.outputs.values(), stopped, time.monotonic()), (
        "still stopped after the pad came back: the deadman was never pressed again"
    )


def test_frozen_pad_is_stopped_by_the_session_window(
    sim: SimRover, manager: SessionManager
) -> None:
    # The pad driver hangs mid-drive (reads never return): the loop that reads the pad is the
    # loop that heartbeats, so the session lapses and the manager stops the base.
    teleop, gamepad, _ = teleop_on(sim, manager, script(press(0.05), stick(0.05, 1.0)),
                                   hang_at=0.5)
    with running(teleop):
        wait_for(sim.base.is_moving)
        hung = gamepad.started + 0.5  # type: ignore[operator]
        wait_for(lambda: sim.all_stopped_at() is not None, 3.0)
        wait_for(lambda: bool(manager.recent_stops()))
        expiry = manager.recent_stops()[0]
        assert (expiry.resource, expiry.reason) == ("base", StopReason.EXPIRED)
        last_beat = max(s.time for s in teleop.sent)
        assert last_beat <= hung + 0.01, "nothing was sent once the pad hung"
        assert expiry.deadline == pytest.approx(last_beat + WINDOW, abs=0.01)
        stopped = sim.all_stopped_at()
        assert stopped is not None and 0 <= stopped - expiry.deadline < MARGIN
        assert hung + WINDOW - PERIOD - MARGIN < stopped < hung + WINDOW + MARGIN
        assert sim.rover.state_at(expiry.deadline - 0.05).speed_mm_s > 100, "moving till then"


def test_turbo_without_the_deadman_moves_nothing(sim: SimRover, manager: SessionManager) -> None:
    events = script(press(0.05, "rb"), stick(0.05, 1.0, 0.5), release(0.5, "lb"))
    teleop, _, drive = teleop_on(sim, manager, events)
    start = time.monotonic()
    with running(teleop, duration=0.8) as thread:
        thread.join(3)
    drive.close()
    assert not moved_between(sim.outputs.values(), start, time.monotonic())
    assert sim.rover.state().odometer_mm == 0.0
    assert [s.action for s in teleop.sent].count("heartbeat") >= 10, "the stream went on"


def test_leaving_the_drive_block_ends_the_session_and_stops(sim: SimRover) -> None:
    gamepad = FakeGamepad(script(press(0.05), stick(0.05, 1.0)))
    with SessionManager() as sessions:
        with local_drive(sim.base, sessions, 5.0) as drive:
            Teleop(gamepad, drive).run(duration=0.3)
            sim.base.set_power(0.5, 0)  # even a command behind the teleop's back ...
        assert not sim.base.is_moving(), "... stops with the session"
        assert sessions.sessions() == []


RECORDINGS = Path(__file__).resolve().parent / "recordings"
#: The sim rover at the default 0.5 power: 0.5 x 150 rpm x 204 mm per turn / 60 s.
SPEED = 255.0


def replay_in_virtual_time(path: Path, seconds: float) -> tuple[SimRover, Teleop]:
    """Replay a recording with default settings on the sim rover, all on one FakeClock."""
    clock = FakeClock(0.0)
    sim = build_sim_rover(clock=clock)
    gamepad = FakeGamepad.replay(path, clock=clock, sleep=clock.advance)
    teleop = Teleop(gamepad, BaseDrive(sim.base), TeleopSettings(), clock=clock)
    teleop.run(duration=seconds)
    return sim, teleop


def stop_notes(teleop: Teleop) -> list[str]:
    """Every stop the teleop decided on, in order."""
    return [n.what for n in teleop.notes if n.what.startswith(STOP_CAUSES)]


def test_the_bundled_recording_drives_the_expected_path() -> None:
    # By hand: 255 mm forward (0.5 x 510 mm/s, 1 s); spin left 0.5 s at 3.19 rad/s; turbo
    # forward 0.975 s (started on the tick after 3.125, stopped by the release at 4.125);
    # reverse 0.975 s (stopped by the unplug); spin right 0.5 s; forward with the stick held
    # steady from the tick at 7.1 s to the kernel dropping the pad at 9.575 s (2.475 s).
    sim, _ = replay_in_virtual_time(bundled_recording(), 9.9)
    try:
        spin = 0.5 * 2 * 255 / 160
        turbo, back, held = 0.975 * 510, 0.975 * 255, 2.475 * SPEED
        x = 255 + (turbo - back) * math.cos(spin) + held
        y = (turbo - back) * math.sin(spin)
        end = sim.rover.state()
        assert end.x_mm == pytest.approx(x, abs=15) and end.y_mm == pytest.approx(y, abs=15)
        assert end.heading_rad == pytest.approx(0.0, abs=0.03)
        assert end.odometer_mm == pytest.approx(255 + turbo + back + held, abs=20)
        assert sim.rover.state_at(0.9).odometer_mm == 0.0, "turbo without the deadman: nothing"
        assert sim.rover.state_at(2.4).x_mm == pytest.approx(255, abs=10)
        assert sim.rover.state_at(3.1).heading_rad == pytest.approx(spin, abs=0.03)
        assert sim.all_stopped_at() == pytest.approx(9.575)
    finally:
        sim.close()


def test_a_stick_held_steady_for_ten_silent_seconds_drives_all_the_way() -> None:
    # The pad sends nothing from 0.575 s to the release at 10.575 s: every tick from 0.6 s on
    # must drive (0.5 power, 255 mm/s), and only the release may stop the rover.
    sim, teleop = replay_in_virtual_time(RECORDINGS / "steady_hold.txt", 11.0)
    try:
        assert stop_notes(teleop) == ["deadman released: stopping"]
        driven = time_powered(sim.outputs.values(), 0.0, 11.0)
        assert driven == pytest.approx(10.575 - 0.6, abs=0.01)
        assert sim.rover.travelled(0.0, 11.0) == pytest.approx(driven * SPEED, abs=25)
        assert sim.all_stopped_at() == pytest.approx(10.575)
    finally:
        sim.close()


def test_a_bluetooth_pad_out_of_range_stops_the_rover_when_the_kernel_drops_it() -> None:
    # Out of range at 3.025 s, the pad sends nothing; the kernel removes it when the link's
    # supervision timeout fires (20 s on a BR/EDR link by default): the rover drives blind
    # until then, stops at the removal, and a pad that comes back with the deadman held
    # moves nothing until a fresh press.
    sim, teleop = replay_in_virtual_time(RECORDINGS / "bluetooth_dropout.txt", 28.0)
    outputs = sim.outputs.values()
    try:
        dropped = note_time(teleop, "pad disconnected")
        assert dropped == pytest.approx(23.025)
        assert time_powered(outputs, 0.0, dropped) == pytest.approx(dropped - 0.6, abs=0.01)
        assert sim.rover.travelled(3.025, dropped) == pytest.approx(20 * SPEED, abs=25)
        stopped = stopped_after(outputs, dropped)
        assert stopped is not None and stopped - dropped < PERIOD
        assert not moved_between(outputs, stopped, 26.525), "back with the deadman held: still"
        assert time_powered(outputs, 26.525, 28.0) == pytest.approx(27.525 - 26.55, abs=0.01)
        assert stop_notes(teleop) == [
            "pad disconnected (ENODEV): stopping, waiting for it to come back",
            "deadman released: stopping",
        ]
    finally:
        sim.close()


def test_a_teleop_command_takes_the_base_so_the_pads_silence_stops_it(sim: SimRover) -> None:
    """In-process as on the daemon, a command moves ownership to its session as it runs (last
    monitor wins): a pad that drives a base another session had claimed owns it, so when the
    pad's session lapses the base stops instead of driving on under the other session."""
    clock = FakeClock(start=100.0)
    with SessionManager(clock=clock, watchdog=False) as sessions:
        drive = LocalDrive(sim.base, sessions, heartbeat_window=0.5)
        other = sessions.start(heartbeat_window=60.0)
        sessions.associate(other.id, "base", sim.base)
        drive.set_power(0.5, 0.0)
        assert sim.base.is_moving()
        clock.advance(1.0)  # the pad goes silent past its window; the other session lives
        sessions.expire_due()
        duties = sim.duties()
        assert all(duty == 0.0 for duty in duties.values()), f"left driving: {duties}"
        assert sessions.owner_of("base") is None
        drive.close()
