"""Gamepad input behind one small interface: normalised axes, named buttons, (dis)connections.

Importing this package never imports evdev; `EvdevGamepad` loads it when a real pad is opened.
`FakeGamepad` lives with the other fakes (tether.fakes.gamepad) and loads on first use, since
it imports this package's events.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tether.input.events import (
    AxisMoved,
    ButtonChanged,
    Connected,
    Disconnected,
    PadEvent,
    PadState,
)
from tether.input.mapping import (
    EIGHTBITDO,
    GENERIC,
    PLAYSTATION,
    STANDARD_MAPPINGS,
    XBOX,
    AxisSpec,
    PadMapping,
    choose_mapping,
    load_mapping,
)
from tether.input.recording import (
    Recording,
    format_recording,
    load_recording,
    parse_recording,
    record,
    record_gamepad,
)
from tether.input.source import PadSource

if TYPE_CHECKING:
    from tether.fakes.gamepad import FakeGamepad
    from tether.input.evdev_backend import EvdevGamepad, list_gamepads

__all__ = [
    "EIGHTBITDO",
    "GENERIC",
    "PLAYSTATION",
    "STANDARD_MAPPINGS",
    "XBOX",
    "AxisMoved",
    "AxisSpec",
    "ButtonChanged",
    "Connected",
    "Disconnected",
    "EvdevGamepad",
    "FakeGamepad",
    "PadEvent",
    "PadMapping",
    "PadSource",
    "PadState",
    "Recording",
    "choose_mapping",
    "format_recording",
    "list_gamepads",
    "load_mapping",
    "load_recording",
    "parse_recording",
    "record",
    "record_gamepad",
]


def __getattr__(name: str) -> Any:
    """Load the evdev backend, and the fake pad, only when asked for."""
    if name in ("EvdevGamepad", "list_gamepads"):
        from tether.input import evdev_backend

        return getattr(evdev_backend, name)
    if name == "FakeGamepad":
        from tether.fakes.gamepad import FakeGamepad

        return FakeGamepad
    raise AttributeError(f"module 'tether.input' has no attribute {name!r}")
