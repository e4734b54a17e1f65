"""The evdev backend: raw events built as evdev.InputEvent, devices faked at the evdev seam."""

from __future__ import annotations

import contextlib
import errno
import itertools
import os
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from tests.teleop.rigs import MARGIN, PERIOD, RecordingDrive, running, wait_for
from tether.errors import ConfigError
from tether.input import (
    EIGHTBITDO,
    GENERIC,
    PLAYSTATION,
    XBOX,
    AxisMoved,
    ButtonChanged,
    Connected,
    Disconnected,
    PadEvent,
    choose_mapping,
    load_mapping,
)

evdev = pytest.importorskip("evdev", reason="python-evdev is not installed (extra 'gamepad')")
AbsInfo, InputEvent, ecodes = evdev.AbsInfo, evdev.InputEvent, evdev.ecodes

from tether.input.evdev_backend import AxisRange, EvdevGamepad, EventTranslator  # noqa: E402
from tether.teleop import Teleop  # noqa: E402

#: Longer than the 1 s of silence that used to stop a held stick.
HELD_SILENT = 1.5

XBOX_RANGES = {
    ecodes.ABS_X: AxisRange(-32768, 32767), ecodes.ABS_Y: AxisRange(-32768, 32767),
    ecodes.ABS_Z: AxisRange(0, 1023), ecodes.ABS_HAT0Y: AxisRange(-1, 1),
}


def raw(kind: int, code: int, value: int) -> Any:
    return InputEvent(1700000000, 0, kind, code, value)


def translate(translator: EventTranslator, *events: Any) -> list[PadEvent]:
    out = (translator.translate(e, 1.0) for e in events)
    return [e for e in out if e is not None]


def test_xbox_sticks_triggers_and_hat_are_normalised() -> None:
    xbox = EventTranslator(XBOX, XBOX_RANGES)
    events = translate(
        xbox,
        raw(ecodes.EV_ABS, ecodes.ABS_X, 32767), raw(ecodes.EV_ABS, ecodes.ABS_Y, -32768),
        raw(ecodes.EV_ABS, ecodes.ABS_X, 0), raw(ecodes.EV_ABS, ecodes.ABS_Z, 1023),
        raw(ecodes.EV_ABS, ecodes.ABS_HAT0Y, -1), raw(ecodes.EV_SYN, ecodes.SYN_REPORT, 0),
    )
    assert [(e.axis, e.value) for e in events if isinstance(e, AxisMoved)] == [
        ("left_x", 1.0), ("left_y", 1.0),  # stick pushed away from you (raw minimum) is +1
        ("left_x", pytest.approx(0.0, abs=1e-4)), ("lt", 1.0), ("dpad_y", 1.0),
    ]
    assert len(events) == 5, "SYN_REPORT carries nothing"


def test_dualshock_eight_bit_sticks_and_buttons() -> None:
    ps = EventTranslator(PLAYSTATION, {ecodes.ABS_Y: AxisRange(0, 255)})
    events = translate(
        ps, raw(ecodes.EV_ABS, ecodes.ABS_Y, 255), raw(ecodes.EV_KEY, ecodes.BTN_TL, 1),
        raw(ecodes.EV_KEY, ecodes.BTN_TL, 2), raw(ecodes.EV_KEY, ecodes.BTN_SOUTH, 1),
        raw(ecodes.EV_KEY, ecodes.BTN_TL, 0), raw(ecodes.EV_MSC, ecodes.MSC_SCAN, 589825),
    )
    assert events == [
        AxisMoved(1.0, "left_y", -1.0), ButtonChanged(1.0, "lb", True),
        ButtonChanged(1.0, "south", True), ButtonChanged(1.0, "lb", False),
    ], "autorepeat (2), MSC and SYN events carry nothing"


def test_unmapped_codes_and_axes_without_a_range_are_ignored() -> None:
    xbox = EventTranslator(XBOX, {})
    assert translate(xbox, raw(ecodes.EV_ABS, ecodes.ABS_X, 5),
                     raw(ecodes.EV_KEY, ecodes.KEY_A, 1)) == []


@pytest.mark.parametrize(
    ("name", "codes", "expected"),
    [
        ("Microsoft X-Box 360 pad", ["BTN_SOUTH", "ABS_RX"], XBOX),
        ("Xbox Wireless Controller", ["BTN_SOUTH", "ABS_RX"], XBOX),
        ("Sony Interactive Entertainment Wireless Controller", ["BTN_SOUTH"], PLAYSTATION),
        ("DualSense Wireless Controller", ["BTN_SOUTH", "ABS_RX"], PLAYSTATION),
        ("8BitDo Pro 2", ["BTN_SOUTH", "ABS_Z", "ABS_BRAKE"], EIGHTBITDO),
        ("8BitDo Pro 2 Wired Controller", ["BTN_SOUTH", "ABS_RX"], XBOX),  # X-input mode
        ("Logitech Gamepad F310", ["BTN_SOUTH", "ABS_RX"], XBOX),
        ("DragonRise Inc. Generic USB Joystick", ["BTN_TRIGGER", "ABS_X"], GENERIC),
    ],
)
def test_standard_mappings_are_chosen_by_name_and_codes(
    name: str, codes: list[str], expected: object
) -> None:
    assert choose_mapping(name, codes) is expected


def test_a_device_without_pad_buttons_needs_a_mapping_file() -> None:
    with pytest.raises(ConfigError, match="'AT keyboard' reports no gamepad buttons"):
        choose_mapping("AT keyboard", ["KEY_A"])


def test_a_mapping_file_extends_a_standard_one(tmp_path: Path) -> None:
    path = tmp_path / "acme.toml"
    path.write_text('name = "acme"\nextends = "generic"\n[axes]\nABS_RZ = "right_x"\n'
                    'ABS_THROTTLE = { axis = "rt", trigger = true, invert = true }\n'
                    '[buttons]\nBTN_BASE = "lb"\n')
    mapping = load_mapping(path)
    assert mapping.buttons["BTN_BASE"] == "lb" and mapping.buttons["BTN_TOP2"] == "lb"
    translator = EventTranslator(mapping, {ecodes.ABS_THROTTLE: AxisRange(0, 255)})
    assert translate(translator, raw(ecodes.EV_ABS, ecodes.ABS_THROTTLE, 0)) == [
        AxisMoved(1.0, "rt", 1.0)
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[axes]\nX = "left_x"\n', r"\[axes\] X: expected an evdev code name"),
        ('[axes]\nABS_X = { axis = "left x" }\n', r"ABS_X.axis = 'left x'"),
        ('[axes]\nABS_X = { axis = "a", invert = 1 }\n', r"ABS_X.invert = 1: expected true"),
        ('extends = "nes"\n', "extends = 'nes': expected one of xbox, playstation"),
        ('colour = "red"\n', "colour: unknown key"),
        ("[buttons]\n", "maps no axes and no buttons"),
        ("[buttons\n", "not valid TOML"),
    ],
)
def test_bad_mapping_files_name_the_file_key_and_value(
    tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "pad.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=f"pad.toml: .*{message}"):
        load_mapping(path)


def test_a_code_name_evdev_does_not_know_is_an_error_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "pad.toml"
    path.write_text('[buttons]\nBTN_WOBBLE = "lb"\n')
    with pytest.raises(ConfigError, match=r"pad\.toml: BTN_WOBBLE: not an evdev code name"):
        EventTranslator(load_mapping(path), {})


class FakeDevice:
    """An evdev.InputDevice stand-in: a pipe for select(), queued events, unplug on demand."""

    def __init__(self, path: str, name: str, held: tuple[int, ...] = ()) -> None:
        self.path, self.name = path, name
        self._read_fd, self._write_fd = os.pipe()
        os.set_blocking(self._read_fd, False)
        self.fd = self._read_fd
        self.queue: list[Any] = []
        self.gone = False
        self.held = list(held)

    def capabilities(self, absinfo: bool = True) -> dict[int, list[int]]:
        keys = [ecodes.BTN_SOUTH, ecodes.BTN_EAST, ecodes.BTN_TL, ecodes.BTN_TR]
        return {ecodes.EV_KEY: keys, ecodes.EV_ABS: [ecodes.ABS_X, ecodes.ABS_Y, ecodes.ABS_RX]}

    def absinfo(self, code: int) -> Any:
        value = -32768 if code == ecodes.ABS_Y else 0
        return AbsInfo(value, -32768, 32767, 16, 128, 0)

    def active_keys(self) -> list[int]:
        return self.held

    def send(self, *events: Any) -> None:
        self.queue.extend(events)
        os.write(self._write_fd, b"x")

    def unplug(self) -> None:
        self.gone = True
        os.write(self._write_fd, b"x")

    def read(self) -> Iterator[Any]:
        if self.gone:
            raise OSError(errno.ENODEV, "No such device")
        while True:
            try:
                os.read(self._read_fd, 100)
            except BlockingIOError:
                break
        events, self.queue = self.queue, []
        return iter(events)

    def close(self) -> None:
        for fd in (self._read_fd, self._write_fd):
            with contextlib.suppress(OSError):
                os.close(fd)


class FakeInputDir:
    """/dev/input at the evdev seam: what list_devices() shows and InputDevice() opens."""

    def __init__(self) -> None:
        self.devices: dict[str, FakeDevice] = {}

    def module(self) -> Any:
        return SimpleNamespace(ecodes=ecodes, list_devices=lambda: sorted(self.devices),
                               InputDevice=self.open)

    def open(self, path: str) -> FakeDevice:
        if path not in self.devices:
            raise FileNotFoundError(errno.ENOENT, "No such file or directory", path)
        found = self.devices[path]
        return found

    def plug(self, device: FakeDevice) -> FakeDevice:
        self.devices[device.path] = device
        return device


def read_until(pad: EvdevGamepad, kind: type, timeout: float = 2.0) -> list[PadEvent]:
    events: list[PadEvent] = []
    until = time.monotonic() + timeout
    while time.monotonic() < until:
        events += pad.read(0.05)
        if any(isinstance(e, kind) for e in events):
            return events
    raise AssertionError(f"no {kind.__name__} in {events}")


def test_unplugging_is_an_event_and_the_pad_is_found_again_by_name() -> None:
    inputs = FakeInputDir()
    inputs.plug(FakeDevice("/dev/input/event3", "AT Translated Set 2 keyboard"))
    first = inputs.plug(FakeDevice("/dev/input/event7", "Xbox Wireless Controller",
                                   held=(ecodes.BTN_TL,)))
    pad = EvdevGamepad("xbox", evdev=inputs.module(), retry_interval=0.05)
    try:
        connected = read_until(pad, Connected)[0]
        assert isinstance(connected, Connected)
        assert connected.name == "Xbox Wireless Controller" and connected.pressed == {"lb"}
        assert connected.axes["left_y"] == 1.0, "the snapshot reads the stick already pushed"
        first.send(raw(ecodes.EV_KEY, ecodes.BTN_TL, 0), raw(ecodes.EV_SYN, 0, 0))
        assert next(e for e in pad.read(1.0) if isinstance(e, ButtonChanged)).pressed is False
        first.unplug()
        del inputs.devices[first.path]
        gone = pad.read(1.0)
        assert len(gone) == 1 and isinstance(gone[0], Disconnected)
        assert gone[0].reason == "ENODEV" and not pad.connected
        assert pad.read(0.1) == [], "nothing while it is away, and no exception"
        inputs.plug(FakeDevice("/dev/input/event9", "Xbox Wireless Controller"))
        back = read_until(pad, Connected)
        assert isinstance(back[-1], Connected) and back[-1].pressed == frozenset()
    finally:
        pad.close()


def test_a_pad_held_through_evdev_drives_on_in_silence_and_stops_when_its_device_goes() -> None:
    # Held steady, a pad sends nothing (evdev reports changes only); its device going away
    # (the cable, or the kernel dropping a wireless pad whose link timed out) ends the read
    # with ENODEV, and that stops the rover.
    inputs = FakeInputDir()
    device = inputs.plug(FakeDevice("/dev/input/event7", "Xbox Wireless Controller"))
    drive = RecordingDrive(time.monotonic)
    teleop = Teleop(EvdevGamepad("xbox", evdev=inputs.module(), retry_interval=0.05), drive)
    with running(teleop):
        wait_for(lambda: teleop.state.connected)  # its snapshot: the stick already pushed
        device.send(raw(ecodes.EV_KEY, ecodes.BTN_TL, 1), raw(ecodes.EV_SYN, 0, 0))
        pressed = wait_for(lambda: bool(drive.moving_powers()))
        time.sleep(HELD_SILENT)
        device.unplug()
        del inputs.devices[device.path]
        unplugged = time.monotonic()
        wait_for(lambda: bool(drive.of("stop")))
    stopped = drive.of("stop")[0][0]
    assert unplugged <= stopped < unplugged + PERIOD + MARGIN, "stopped by the unplug, not before"
    moving = [call[0] for call in drive.moving_powers()]
    assert moving[-1] > pressed + HELD_SILENT - PERIOD - MARGIN, "drove through the silence"
    assert max(b - a for a, b in itertools.pairwise(moving)) < PERIOD + MARGIN, "without a gap"
    assert any(n.what.startswith("pad disconnected (ENODEV)") for n in teleop.notes)


def test_a_path_that_is_not_there_yet_is_waited_for() -> None:
    inputs = FakeInputDir()
    pad = EvdevGamepad("/dev/input/event4", evdev=inputs.module(), retry_interval=0.05)
    try:
        assert pad.read(0.1) == []
        assert "cannot open /dev/input/event4" in pad.problem
        inputs.plug(FakeDevice("/dev/input/event4", "8BitDo Pro 2"))
        read_until(pad, Connected)
    finally:
        pad.close()


def test_a_real_virtual_pad_through_uinput() -> None:
    if not os.access("/dev/uinput", os.W_OK):
        pytest.skip("no writable /dev/uinput here (CI containers have none); fake devices above")
    caps = {
        ecodes.EV_KEY: [ecodes.BTN_SOUTH, ecodes.BTN_TL, ecodes.BTN_TR],
        ecodes.EV_ABS: [(ecodes.ABS_X, AbsInfo(0, -32768, 32767, 16, 128, 0)),
                        (ecodes.ABS_Y, AbsInfo(0, -32768, 32767, 16, 128, 0))],
    }
    with evdev.UInput(caps, name="tether uinput test pad") as ui:
        time.sleep(0.3)  # udev creates the node
        pad = EvdevGamepad("tether uinput test pad", retry_interval=0.05)
        try:
            read_until(pad, Connected)
            ui.write(ecodes.EV_KEY, ecodes.BTN_TL, 1)
            ui.write(ecodes.EV_ABS, ecodes.ABS_Y, -32768)
            ui.syn()
            events = read_until(pad, AxisMoved)
            assert ButtonChanged in {type(e) for e in events}
        finally:
            pad.close()
