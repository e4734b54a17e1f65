"""The recorded-events text format: round trips, clear errors, the recorder, the bundled file."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from tests.teleop.rigs import plug, press, release, script, stick, unplug
from tether.errors import ConfigError
from tether.fakes import FakeClock
from tether.input import (
    AxisMoved,
    Connected,
    FakeGamepad,
    format_recording,
    load_recording,
    parse_recording,
    record,
)
from tether.teleop.demo import bundled_recording

EXAMPLES = Path(__file__).resolve().parent.parent.parent / "examples"


def test_events_survive_a_round_trip_through_the_text_format() -> None:
    events = script(
        Connected(0.0, "8BitDo Pro 2", {"left_y": 0.25}, frozenset({"lb", "rb"})),
        press(0.5), stick(0.52, 0.8, -0.1234), release(1.0), unplug(1.5), plug(2.0),
    )
    text = format_recording(events)
    assert text.startswith("# tether gamepad recording v1\n")
    assert "0.000 connect held=lb,rb axes=left_y:0.2500 8BitDo Pro 2" in text
    assert "0.520 axis left_x -0.1234" in text
    assert parse_recording(text).events == events


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("0.1 axis left_y nan", "demo.txt:2: axis value 'nan': expected a finite number"),
        ("0.1 axis left_y 1.5", r"demo.txt:2: axis 'left_y' value=1.5: expected a number in"),
        ("0.1 button lb 2", "demo.txt:2: '0.1 button lb 2': expected 'axis NAME VALUE'"),
        ("-1 button lb 1", "demo.txt:2: time '-1': expected seconds >= 0"),
        ("soon button lb 1", "demo.txt:2: time 'soon': expected a number"),
        ("0.1 wiggle lb", "demo.txt:2: '0.1 wiggle lb': expected"),
        ("0.05 button lb 1", "demo.txt:2: time 0.05 s is before the previous event's 0.1 s"),
    ],
)
def test_bad_lines_are_errors_naming_the_file_line_and_value(line: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("(", r"\(")):
        parse_recording(f"0.1 connect pad\n{line}\n", "demo.txt")


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"nope\.txt: cannot read the recording"):
        load_recording(tmp_path / "nope.txt")


def test_the_recorder_writes_what_a_pad_sends_and_it_replays_the_same() -> None:
    clock = FakeClock(50.0)
    events = script(press(0.25), stick(0.5, 1.0), unplug(0.75))
    pad = FakeGamepad(events, name="Wireless Controller", clock=clock, sleep=clock.advance)
    out = io.StringIO()
    assert record(pad, out, duration=1.0, clock=clock) == 5
    replayed = parse_recording(out.getvalue()).events
    assert replayed == [Connected(0.0, "Wireless Controller"), *events]
    assert isinstance(replayed[2], AxisMoved) and replayed[2].time == 0.5


def test_the_bundled_recording_is_the_one_in_examples() -> None:
    shipped = bundled_recording().read_text()
    assert shipped == (EXAMPLES / "recordings" / "demo_drive.txt").read_text()
    recording = load_recording(bundled_recording())
    assert recording.name == "Xbox Wireless Controller" and 8 < recording.duration < 10
