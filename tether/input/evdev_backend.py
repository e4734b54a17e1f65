"""python-evdev backend: the only module that imports evdev, and only when a pad is opened.

Reads with select() and a timeout, so the teleop loop keeps its own rhythm; an unplugged pad
(OSError, usually ENODEV) becomes a Disconnected event and the device is looked for again.
"""

from __future__ import annotations

import contextlib
import errno
import importlib
import logging
import os
import select
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from tether.errors import ConfigError
from tether.input.events import AxisMoved, ButtonChanged, Connected, Disconnected, PadEvent
from tether.input.mapping import AxisSpec, PadMapping, choose_mapping

log = logging.getLogger("tether.input")


def load_evdev() -> Any:
    """Import evdev on first use, with an install hint if it is missing."""
    try:
        return importlib.import_module("evdev")
    except ImportError as exc:
        raise ConfigError(
            "gamepads need python-evdev: pip install 'tether[gamepad]' (Linux only)"
        ) from exc


def code_names(table: Mapping[int, Any], code: int) -> list[str]:
    """Every name evdev knows for a code (BTN_SOUTH is also BTN_A and BTN_GAMEPAD)."""
    names = table.get(code, [])
    return [names] if isinstance(names, str) else list(names)


def resolve(mapping: PadMapping, ecodes: Mapping[str, int]) -> tuple[
    dict[int, AxisSpec], dict[int, str]
]:
    """Code names -> ints; an unknown name is a ConfigError naming the mapping's source."""
    def code(name: str) -> int:
        if name not in ecodes:
            raise ConfigError(f"{mapping.source}: {name}: not an evdev code name")
        return ecodes[name]

    return (
        {code(n): spec for n, spec in mapping.axes.items()},
        {code(n): button for n, button in mapping.buttons.items()},
    )


@dataclass(frozen=True, slots=True)
class AxisRange:
    """A raw axis's minimum and maximum (from the device's absinfo)."""

    low: int
    high: int


class EventTranslator:
    """Raw evdev events -> PadEvents for one device: its mapping and its axis ranges."""

    def __init__(
        self, mapping: PadMapping, ranges: Mapping[int, AxisRange], evdev: Any = None
    ) -> None:
        self.evdev = evdev or load_evdev()
        self.mapping = mapping
        self.axes, self.buttons = resolve(mapping, self.evdev.ecodes.ecodes)
        self.ranges = dict(ranges)

    def normalise(self, code: int, raw: int) -> float | None:
        """A raw axis reading -> [-1, 1] (triggers 0..1); None for unmapped or rangeless axes."""
        spec, span = self.axes.get(code), self.ranges.get(code)
        if spec is None or span is None or span.high <= span.low:
            return None
        fraction = min(1.0, max(0.0, (raw - span.low) / (span.high - span.low)))
        if spec.trigger:
            return 1.0 - fraction if spec.invert else fraction
        value = 2.0 * fraction - 1.0
        return -value if spec.invert else value

    def translate(self, event: Any, now: float) -> PadEvent | None:
        """One raw event -> a PadEvent stamped `now` (monotonic), or None if it maps to nothing."""
        ecodes = self.evdev.ecodes
        if event.type == ecodes.EV_KEY and event.code in self.buttons and event.value in (0, 1):
            return ButtonChanged(now, self.buttons[event.code], event.value == 1)
        if event.type == ecodes.EV_ABS and event.code in self.axes:
            value = self.normalise(event.code, event.value)
            if value is not None:
                return AxisMoved(now, self.axes[event.code].name, value)
        return None

    def snapshot(self, device: Any, now: float) -> Connected:
        """What the pad reads right now, as a Connected event."""
        axes = {}
        for code, spec in self.axes.items():
            if code in self.ranges:
                value = self.normalise(code, device.absinfo(code).value)
                if value is not None:
                    axes[spec.name] = value
        held = set(device.active_keys())
        pressed = frozenset(name for code, name in self.buttons.items() if code in held)
        return Connected(now, device.name, axes, pressed)


def is_gamepad(device: Any, evdev: Any) -> bool:
    """A device with gamepad or joystick buttons and at least one absolute axis."""
    ecodes = evdev.ecodes
    caps = device.capabilities(absinfo=False)
    keys = set(caps.get(ecodes.EV_KEY, []))
    pad_buttons = {ecodes.ecodes["BTN_SOUTH"], ecodes.ecodes["BTN_TRIGGER"]}
    return bool(keys & pad_buttons) and bool(caps.get(ecodes.EV_ABS))


def list_gamepads(evdev: Any = None) -> list[tuple[str, str]]:
    """(path, name) of every gamepad this user can open, for `--device` and error messages."""
    evdev = evdev or load_evdev()
    found = []
    for path in evdev.list_devices():
        try:
            device = evdev.InputDevice(path)
        except OSError:
            continue
        with contextlib.closing(device):
            if is_gamepad(device, evdev):
                found.append((path, device.name))
    return found


class EvdevGamepad:
    """A gamepad by path (``/dev/input/event5``) or name substring; None means the first pad.

    `read()` turns unplugging into Disconnected and keeps looking for the pad every
    `retry_interval` seconds; when it is back, a Connected event carries what it reads.
    """

    def __init__(
        self,
        device: str | None = None,
        *,
        mapping: PadMapping | None = None,
        retry_interval: float = 0.5,
        clock: Callable[[], float] = time.monotonic,
        evdev: Any = None,
    ) -> None:
        self.evdev = evdev or load_evdev()
        self.wanted = device
        self.mapping = mapping
        self.retry_interval = retry_interval
        self.clock = clock
        self.name = device or "first gamepad"
        self.problem = ""
        self._device: Any = None
        self._translator: EventTranslator | None = None
        self._next_try = 0.0
        self._closed = False

    @property
    def connected(self) -> bool:
        """Whether a device is open now."""
        return self._device is not None

    def read(self, timeout: float) -> list[PadEvent]:
        """Events within `timeout`; Connected/Disconnected as the pad comes and goes."""
        timeout = max(0.0, timeout)
        if self._closed:
            time.sleep(timeout)
            return []
        if self._device is None:
            return self._try_open(timeout)
        try:
            ready, _, _ = select.select([self._device.fd], [], [], timeout)
            if not ready:
                return []
            raw = list(self._device.read())
        except BlockingIOError:
            return []
        except OSError as exc:
            return [self._drop(exc)]
        assert self._translator is not None
        now = self.clock()
        events = (self._translator.translate(event, now) for event in raw)
        return [event for event in events if event is not None]

    def close(self) -> None:
        """Release the device; idempotent."""
        self._closed = True
        if self._device is not None:
            with contextlib.suppress(OSError):
                self._device.close()
            self._device = None

    def _try_open(self, timeout: float) -> list[PadEvent]:
        now = self.clock()
        if now < self._next_try:
            time.sleep(min(timeout, self._next_try - now))
            return []
        self._next_try = now + self.retry_interval
        try:
            device = self._find()
            translator = self._translator_for(device)
            connected = translator.snapshot(device, self.clock())
        except OSError as exc:
            self._note(f"cannot open {self.wanted or 'a gamepad'}: {exc.strerror or exc}"
                       + (" (is this user in the 'input' group?)" if isinstance(
                           exc, PermissionError) else ""))
            time.sleep(min(timeout, self.retry_interval))
            return []
        except LookupError as exc:
            self._note(str(exc))
            time.sleep(min(timeout, self.retry_interval))
            return []
        self._device, self._translator, self.name = device, translator, device.name
        self._note("")
        log.info("gamepad %r connected at %s (mapping %s)", device.name, device.path,
                 translator.mapping.name)
        return [connected]

    def _find(self) -> Any:
        evdev = self.evdev
        wanted = self.wanted
        if wanted is not None and wanted.startswith(os.sep):
            return evdev.InputDevice(wanted)
        for path in evdev.list_devices():
            try:
                device = evdev.InputDevice(path)
            except OSError:
                continue
            name_ok = wanted is None or wanted.lower() in device.name.lower()
            if name_ok and (self.mapping is not None or is_gamepad(device, evdev)):
                return device
            device.close()
        what = f"gamepad named {wanted!r}" if wanted else "gamepad"
        raise LookupError(f"no {what} found; waiting for one")

    def _translator_for(self, device: Any) -> EventTranslator:
        ecodes = self.evdev.ecodes
        caps = device.capabilities(absinfo=False)
        raw_codes: Iterable[tuple[Mapping[int, Any], int]] = [
            *((ecodes.ABS, c) for c in caps.get(ecodes.EV_ABS, [])),
            *((ecodes.BTN, c) for c in caps.get(ecodes.EV_KEY, []) if c in ecodes.BTN),
        ]
        names = [n for table, code in raw_codes for n in code_names(table, code)]
        mapping = self.mapping or choose_mapping(device.name, names)
        ranges = {}
        for code in caps.get(ecodes.EV_ABS, []):
            info = device.absinfo(code)
            ranges[code] = AxisRange(info.min, info.max)
        return EventTranslator(mapping, ranges, self.evdev)

    def _drop(self, exc: OSError) -> Disconnected:
        reason = errno.errorcode.get(exc.errno or 0, str(exc))
        log.warning("gamepad %r went away (%s); waiting for it to come back", self.name, reason)
        with contextlib.suppress(OSError):
            self._device.close()
        self._device, self._translator = None, None
        self._next_try = self.clock() + self.retry_interval
        return Disconnected(self.clock(), reason)

    def _note(self, problem: str) -> None:
        if problem and problem != self.problem:
            log.warning("%s", problem)
        self.problem = problem
