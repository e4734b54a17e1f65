"""Which raw axis/button codes mean which named control, per pad family; and mapping files.

Codes are evdev names (``ABS_X``, ``BTN_TL``) so this module never imports evdev. Names follow
one layout for every pad: sticks ``left_x left_y right_x right_y``, triggers ``lt rt`` (0..1),
d-pad ``dpad_x dpad_y``, face buttons by position ``south east west north``, shoulders
``lb rb``, digital triggers ``lt_button rt_button``, ``select start mode thumbl thumbr``.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tether.errors import ConfigError

_CODE = re.compile(r"^(ABS|BTN|KEY)_[A-Z0-9_]+$")


@dataclass(frozen=True, slots=True)
class AxisSpec:
    """How a raw axis becomes a named one: `invert` flips it; `trigger` maps it to 0..1."""

    name: str
    invert: bool = False
    trigger: bool = False


@dataclass(frozen=True)
class PadMapping:
    """Raw code name -> named axis or button, for one pad family."""

    name: str
    axes: Mapping[str, AxisSpec]
    buttons: Mapping[str, str]
    match: tuple[str, ...] = ()
    source: str = "<builtin>"

    @property
    def axis_names(self) -> set[str]:
        """Every named axis this mapping produces."""
        return {spec.name for spec in self.axes.values()}

    @property
    def button_names(self) -> set[str]:
        """Every named button this mapping produces."""
        return set(self.buttons.values())

    def matches(self, device_name: str) -> bool:
        """Whether the device's name contains one of `match` (case-insensitive)."""
        lowered = device_name.lower()
        return any(m.lower() in lowered for m in self.match)


def _sticks(right: tuple[str, str]) -> dict[str, AxisSpec]:
    return {
        "ABS_X": AxisSpec("left_x"), "ABS_Y": AxisSpec("left_y", invert=True),
        right[0]: AxisSpec("right_x"), right[1]: AxisSpec("right_y", invert=True),
        "ABS_HAT0X": AxisSpec("dpad_x"), "ABS_HAT0Y": AxisSpec("dpad_y", invert=True),
    }


_COMMON_BUTTONS = {
    "BTN_TL": "lb", "BTN_TR": "rb", "BTN_SELECT": "select", "BTN_START": "start",
    "BTN_MODE": "mode", "BTN_THUMBL": "thumbl", "BTN_THUMBR": "thumbr",
}

#: Xbox 360/One/Series (xpad, xpadneo) and every pad that follows the Linux gamepad layout.
#: xpad reports X and Y as BTN_X/BTN_Y, which the kernel aliases to BTN_NORTH/BTN_WEST.
XBOX = PadMapping(
    "xbox",
    {**_sticks(("ABS_RX", "ABS_RY")), "ABS_Z": AxisSpec("lt", trigger=True),
     "ABS_RZ": AxisSpec("rt", trigger=True)},
    {"BTN_SOUTH": "south", "BTN_EAST": "east", "BTN_NORTH": "west", "BTN_WEST": "north",
     "BTN_TL2": "lt_button", "BTN_TR2": "rt_button", **_COMMON_BUTTONS},
    match=("xbox", "x-box", "microsoft", "xinput"),
)
#: DualShock 4 and DualSense (hid-sony, hid-playstation): cross south, circle east, square west.
PLAYSTATION = PadMapping(
    "playstation",
    {**_sticks(("ABS_RX", "ABS_RY")), "ABS_Z": AxisSpec("lt", trigger=True),
     "ABS_RZ": AxisSpec("rt", trigger=True)},
    {"BTN_SOUTH": "south", "BTN_EAST": "east", "BTN_NORTH": "north", "BTN_WEST": "west",
     "BTN_TL2": "lt_button", "BTN_TR2": "rt_button", **_COMMON_BUTTONS},
    match=("sony", "playstation", "dualshock", "dualsense", "wireless controller"),
)
#: 8BitDo pads in D-input / Bluetooth mode (in X-input mode they are Xbox pads to the kernel).
EIGHTBITDO = PadMapping(
    "8bitdo",
    {**_sticks(("ABS_Z", "ABS_RZ")), "ABS_BRAKE": AxisSpec("lt", trigger=True),
     "ABS_GAS": AxisSpec("rt", trigger=True)},
    {"BTN_SOUTH": "east", "BTN_EAST": "south", "BTN_NORTH": "north", "BTN_WEST": "west",
     "BTN_TL2": "lt_button", "BTN_TR2": "rt_button", **_COMMON_BUTTONS},
    match=("8bitdo",),
)
#: hid-generic joysticks (cheap USB pads): buttons 1-12; face buttons vary by maker.
GENERIC = PadMapping(
    "generic",
    _sticks(("ABS_Z", "ABS_RZ")),
    {"BTN_TRIGGER": "north", "BTN_THUMB": "east", "BTN_THUMB2": "south", "BTN_TOP": "west",
     "BTN_TOP2": "lb", "BTN_PINKIE": "rb", "BTN_BASE": "lt_button", "BTN_BASE2": "rt_button",
     "BTN_BASE3": "select", "BTN_BASE4": "start", "BTN_BASE5": "thumbl", "BTN_BASE6": "thumbr"},
)
STANDARD_MAPPINGS = {m.name: m for m in (XBOX, PLAYSTATION, EIGHTBITDO, GENERIC)}


def choose_mapping(device_name: str, codes: Iterable[str]) -> PadMapping:
    """The standard mapping for a device, from its name and the code names it reports."""
    present = set(codes)
    if EIGHTBITDO.matches(device_name) and "ABS_RX" not in present:
        return EIGHTBITDO
    if XBOX.matches(device_name):
        return XBOX
    if PLAYSTATION.matches(device_name):
        return PLAYSTATION
    if "BTN_SOUTH" in present or "BTN_GAMEPAD" in present:
        return XBOX
    if "BTN_TRIGGER" in present or "BTN_JOYSTICK" in present:
        return GENERIC
    raise ConfigError(
        f"device {device_name!r} reports no gamepad buttons (BTN_SOUTH or BTN_TRIGGER); "
        "pass a mapping file (--mapping) if it really is a gamepad"
    )


def _where(source: str, key: str) -> str:
    return f"{source}: {key}"


def _axis_spec(value: Any, where: str) -> AxisSpec:
    if isinstance(value, str):
        value = {"axis": value}
    if not isinstance(value, dict):
        raise ConfigError(f"{where} = {value!r}: expected an axis name or a table")
    unknown = set(value) - {"axis", "invert", "trigger"}
    if unknown:
        raise ConfigError(f"{where}.{sorted(unknown)[0]}: unknown key; expected axis, invert, "
                          "trigger")
    name = value.get("axis")
    if not isinstance(name, str) or not name or " " in name:
        raise ConfigError(f"{where}.axis = {name!r}: expected a name without spaces")
    for flag in ("invert", "trigger"):
        if not isinstance(value.get(flag, False), bool):
            raise ConfigError(f"{where}.{flag} = {value[flag]!r}: expected true or false")
    return AxisSpec(name, bool(value.get("invert", False)), bool(value.get("trigger", False)))


def _table(data: dict[str, Any], key: str, source: str) -> dict[str, Any]:
    table = data.get(key, {})
    if not isinstance(table, dict):
        raise ConfigError(f"{_where(source, key)} = {table!r}: expected a table")
    for code in table:
        if not _CODE.match(code):
            raise ConfigError(
                f"{_where(source, f'[{key}] {code}')}: expected an evdev code name like ABS_X, "
                "BTN_TL or KEY_A"
            )
    return table


def parse_mapping(data: dict[str, Any], source: str) -> PadMapping:
    """A mapping from a parsed TOML table; `extends` starts from a standard mapping."""
    unknown = set(data) - {"name", "match", "extends", "axes", "buttons"}
    if unknown:
        raise ConfigError(f"{_where(source, sorted(unknown)[0])}: unknown key; expected name, "
                          "match, extends, axes, buttons")
    extends = data.get("extends")
    if extends is not None and extends not in STANDARD_MAPPINGS:
        raise ConfigError(f"{_where(source, 'extends')} = {extends!r}: expected one of "
                          f"{', '.join(STANDARD_MAPPINGS)}")
    parent = STANDARD_MAPPINGS[extends] if extends else None
    match = data.get("match", [])
    if not isinstance(match, list) or not all(isinstance(m, str) for m in match):
        raise ConfigError(f"{_where(source, 'match')} = {match!r}: expected a list of strings")
    axes = dict(parent.axes) if parent else {}
    for code, value in _table(data, "axes", source).items():
        axes[code] = _axis_spec(value, _where(source, f"[axes] {code}"))
    buttons = dict(parent.buttons) if parent else {}
    for code, value in _table(data, "buttons", source).items():
        if not isinstance(value, str) or not value or " " in value:
            raise ConfigError(f"{_where(source, f'[buttons] {code}')} = {value!r}: expected a "
                              "button name without spaces")
        buttons[code] = value
    if not axes and not buttons:
        raise ConfigError(f"{source}: maps no axes and no buttons")
    name = data.get("name", Path(source).stem)
    if not isinstance(name, str):
        raise ConfigError(f"{_where(source, 'name')} = {name!r}: expected a string")
    return PadMapping(name, axes, buttons, tuple(match), source)


def load_mapping(path: str | Path) -> PadMapping:
    """Read a mapping file (TOML); errors name the file, the key and the value."""
    source = str(path)
    try:
        with open(path, "rb") as file:
            data = tomllib.load(file)
    except OSError as exc:
        raise ConfigError(f"{source}: cannot read the mapping file ({exc.strerror})") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: not valid TOML ({exc})") from exc
    return parse_mapping(data, source)
