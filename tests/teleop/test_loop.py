"""The teleop loop's rules, in virtual time: a FakeClock, a scripted pad, a logging Drive."""

from __future__ import annotations

import itertools

import pytest

from tests.teleop.rigs import PERIOD, RecordingDrive, plug, press, release, script, stick, unplug
from tether.fakes import FakeClock
from tether.input import Connected, FakeGamepad, PadEvent
from tether.teleop import Teleop, TeleopSettings


def drive_script(
    events: list[PadEvent], seconds: float, settings: TeleopSettings | None = None,
    drive: RecordingDrive | None = None,
) -> tuple[Teleop, RecordingDrive, float]:
    """Run the teleop over `events` for `seconds` of virtual time; (teleop, drive, start)."""
    clock = FakeClock(100.0)
    drive = drive or RecordingDrive(clock)
    drive.clock = clock
    pad = FakeGamepad(events, clock=clock, sleep=clock.advance)
    teleop = Teleop(pad, drive, settings, clock=clock)
    teleop.run(duration=seconds)
    return teleop, drive, 100.0


def test_commands_stream_at_the_rate_while_the_pad_sends_nothing() -> None:
    _, drive, start = drive_script(script(press(0.1), stick(0.1, 0.6)), 1.2)
    moving = [c for c in drive.moving_powers() if c[0] <= start + 1.0]
    gaps = [b[0] - a[0] for a, b in itertools.pairwise(moving)]
    assert len(moving) >= 16, "about one command per 50 ms after the press at 0.1 s"
    assert all(g == pytest.approx(PERIOD, abs=1e-6) for g in gaps)
    assert len({(c[2], c[3]) for c in moving}) == 1, "the same command, repeated"


def test_deadman_release_stops_at_the_event_not_at_the_next_tick() -> None:
    _, drive, start = drive_script(script(press(0.1), stick(0.1, 1.0), release(0.525)), 1.0)
    stops = drive.of("stop")
    assert stops[0][0] == pytest.approx(start + 0.525), "stopped when the release arrived"
    assert all(c[0] < start + 0.525 for c in drive.moving_powers()), "no motion after it"


def test_stop_is_repeated_every_tick_until_acknowledged() -> None:
    clock = FakeClock(100.0)
    failing = RecordingDrive(clock, failing_stops=3)
    _, drive, start = drive_script(
        script(press(0.1), stick(0.1, 1.0), release(0.525)), 1.0, drive=failing
    )
    attempts = [c for c in drive.calls if c[1].startswith("stop")][:4]
    assert [c[1] for c in attempts] == ["stop-failed"] * 3 + ["stop"]
    assert [round(c[0] - start, 3) for c in attempts] == [0.525, 0.55, 0.6, 0.65]
    assert all(c[0] < start + 0.525 for c in drive.moving_powers())


def test_turbo_without_the_deadman_sends_no_motion() -> None:
    _, drive, _ = drive_script(script(press(0.1, "rb"), stick(0.1, 1.0)), 1.0)
    assert drive.moving_powers() == []
    assert len(drive.of("heartbeat")) >= 18, "still streaming: the session stays alive"


def test_turbo_with_the_deadman_raises_the_limit() -> None:
    events = script(press(0.1), stick(0.1, 1.0), press(0.525, "rb"))
    _, drive, start = drive_script(events, 1.0, TeleopSettings(max_linear=0.5, turbo_linear=0.9))
    before = {c[2] for c in drive.moving_powers() if c[0] < start + 0.525}
    after = {c[2] for c in drive.moving_powers() if c[0] > start + 0.55}
    assert before == {0.5} and after == {0.9}


def test_deadman_held_when_the_pad_connects_needs_a_fresh_press() -> None:
    held = Connected(0.0, "pad", {"left_y": 1.0}, frozenset({"lb"}))
    _, drive, start = drive_script(script(held, release(0.3), press(0.525)), 1.0)
    assert drive.moving_powers(), "moves after the fresh press"
    assert min(c[0] for c in drive.moving_powers()) > start + 0.525


def test_unplug_stops_at_once_and_the_pad_coming_back_needs_a_fresh_press() -> None:
    events = script(press(0.1), stick(0.1, 1.0), unplug(0.525), plug(0.725), stick(0.8, 1.0),
                    press(1.025))
    teleop, drive, start = drive_script(events, 1.5)
    assert drive.of("stop")[0][0] == pytest.approx(start + 0.525)
    idle = [c for c in drive.moving_powers() if start + 0.525 <= c[0] < start + 1.025]
    assert idle == [], "nothing moves while unplugged, nor after replugging until a press"
    assert any(c[0] > start + 1.025 for c in drive.moving_powers())
    assert "pad disconnected (ENODEV)" in " ".join(n.what for n in teleop.notes)


def test_a_receiver_that_reports_its_lost_pad_as_released_stops_at_that_report() -> None:
    # A receiver that reports a pad it lost as neutral reads as a deadman release: that stops
    # at once, however long the silent hold before it.
    events = script(press(0.1), stick(0.125, 1.0), release(5.025), stick(5.025, 0.0))
    teleop, drive, start = drive_script(events, 5.5)
    assert drive.of("stop")[0][0] == pytest.approx(start + 5.025)
    moving = [c[0] - start for c in drive.moving_powers()]
    assert moving[0] == pytest.approx(0.15) and moving[-1] == pytest.approx(5.0)
    assert len(moving) == 98, "every tick in between drove"
    assert [n.what for n in teleop.notes][-1] == "deadman released: stopping"


def test_silent_pad_while_driving_stops_after_an_opt_in_pad_timeout() -> None:
    # For a receiver that keeps its device and goes quiet when it loses the pad.
    settings = TeleopSettings(pad_timeout=0.5)
    teleop, drive, start = drive_script(script(press(0.1), stick(0.125, 1.0)), 1.5, settings)
    stop = drive.of("stop")[0][0]
    assert start + 0.625 <= stop <= start + 0.625 + PERIOD + 1e-9
    assert all(c[0] < stop for c in drive.moving_powers())
    assert teleop.armed is False


def test_a_still_pad_that_is_not_driving_is_not_stopped_for_silence() -> None:
    settings = TeleopSettings(pad_timeout=0.3)
    _, drive, _ = drive_script(script(press(0.1)), 1.0, settings)
    assert drive.of("stop") == [drive.calls[-1]], "only the final stop when run() returns"


def test_a_lapsed_session_needs_the_deadman_pressed_again() -> None:
    clock = FakeClock(100.0)
    lapsing = RecordingDrive(clock, expire_at=100.4)  # as if the host stalled past the window
    events = script(press(0.1), stick(0.1, 1.0), release(0.8), press(0.925))
    teleop, drive, start = drive_script(events, 1.2, drive=lapsing)
    assert any(c[0] < start + 0.4 for c in drive.moving_powers())
    assert not [c for c in drive.moving_powers() if start + 0.4 <= c[0] <= start + 0.925]
    assert any(c[0] > start + 0.925 for c in drive.moving_powers()), "driving again after it"
    assert any(n.what.startswith("session lapsed") for n in teleop.notes)
