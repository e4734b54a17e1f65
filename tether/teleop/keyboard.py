"""Keyboard teleop for a terminal (curses; works over ssh and in tmux).

Terminals report key presses, never releases, so a movement key holds a virtual deadman for
`key_timeout` seconds (auto-repeat keeps it held while the key is down); space releases it at
once; q quits. The pad events go through the same Teleop loop as a gamepad's.
"""

from __future__ import annotations

import contextlib
import curses
import os
import time
from collections.abc import Callable
from typing import Any

from tether.input.events import AxisMoved, ButtonChanged, Connected, PadEvent
from tether.teleop.drive import Drive
from tether.teleop.loop import Teleop
from tether.teleop.settings import TeleopSettings

DEADMAN, TURBO = "deadman", "turbo"
#: key -> (forward, sideways): sideways +1 is stick right, which turns right.
_DIRECTIONS: dict[int, tuple[float, float]] = {
    curses.KEY_UP: (1.0, 0.0), curses.KEY_DOWN: (-1.0, 0.0),
    curses.KEY_LEFT: (0.0, -1.0), curses.KEY_RIGHT: (0.0, 1.0),
    ord("w"): (1.0, 0.0), ord("s"): (-1.0, 0.0), ord("a"): (0.0, -1.0), ord("d"): (0.0, 1.0),
}
_TURBO_KEYS: dict[int, tuple[float, float]] = {
    curses.KEY_SR: (1.0, 0.0), curses.KEY_SF: (-1.0, 0.0),
    curses.KEY_SLEFT: (0.0, -1.0), curses.KEY_SRIGHT: (0.0, 1.0),
    ord("W"): (1.0, 0.0), ord("S"): (-1.0, 0.0), ord("A"): (0.0, -1.0), ord("D"): (0.0, 1.0),
}
HELP = "arrows/WASD drive (Shift: turbo)   space stop   q quit"


def keyboard_settings(base: TeleopSettings | None = None) -> TeleopSettings:
    """Teleop settings for keys: the virtual deadman/turbo, no deadzone or expo (keys are 0/1)."""
    from dataclasses import replace

    return replace(base or TeleopSettings(), deadman=DEADMAN, turbo=TURBO, deadzone=0.0,
                   expo=0.0, linear_axis="left_y", angular_axis="left_x", pad_timeout=None)


class KeyboardPad:
    """Keys as pad events: what a PadSource needs, from any `getch`-like window."""

    name = "keyboard"

    def __init__(
        self, window: Any, *, key_timeout: float = 0.6, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.window = window
        self.key_timeout = key_timeout
        self.clock = clock
        self.quit_requested = False
        self._connected = False
        self._held = False
        self._turbo = False
        self._axes = (0.0, 0.0)
        self._last_key = 0.0

    def read(self, timeout: float) -> list[PadEvent]:
        """Keys typed within `timeout` (returns on the first), plus a release when keys stop."""
        now = self.clock()
        if not self._connected:
            self._connected = True
            return [Connected(now, self.name)]
        if self._held:
            timeout = min(timeout, max(0.0, self._last_key + self.key_timeout - now))
        keys = []
        self.window.timeout(max(0, round(timeout * 1000)))
        key = self.window.getch()
        if key != -1:
            self.window.timeout(0)
            while key != -1:
                keys.append(key)
                key = self.window.getch()
        events: list[PadEvent] = []
        now = self.clock()
        for key in keys:
            events.extend(self.key(key, now))
        if self._held and now - self._last_key >= self.key_timeout:
            events.extend(self._release(now))
        return events

    def key(self, key: int, now: float) -> list[PadEvent]:
        """The events one key press stands for."""
        if key in (ord("q"), ord("Q")):
            self.quit_requested = True
            return self._release(now)
        if key == ord(" "):
            return self._release(now)
        turbo = key in _TURBO_KEYS
        direction = _TURBO_KEYS.get(key) or _DIRECTIONS.get(key)
        if direction is None:
            return []
        self._last_key = now
        events: list[PadEvent] = self._set(now, direction, turbo)
        if not self._held:
            self._held = True
            events.append(ButtonChanged(now, DEADMAN, True))
        return events

    def close(self) -> None:
        """Nothing to release (curses is restored by whoever started it)."""

    def _set(self, now: float, axes: tuple[float, float], turbo: bool) -> list[PadEvent]:
        events: list[PadEvent] = []
        if axes != self._axes:
            self._axes = axes
            events += [AxisMoved(now, "left_y", axes[0]), AxisMoved(now, "left_x", axes[1])]
        if turbo != self._turbo:
            self._turbo = turbo
            events.append(ButtonChanged(now, TURBO, turbo))
        return events

    def _release(self, now: float) -> list[PadEvent]:
        events: list[PadEvent] = []
        if self._held:
            self._held = False
            events.append(ButtonChanged(now, DEADMAN, False))
        return events + self._set(now, (0.0, 0.0), False)


def _draw(window: Any, title: str, teleop: Teleop) -> None:
    status = teleop.status()
    if status.startswith("STOPPED") and teleop.state.connected:
        status = "STOPPED  an arrow key or WASD drives"
    lines = [title, HELP, "", status, ""]
    lines += [f"{note.what}" for note in list(teleop.notes)[-3:]]
    window.erase()
    height, width = window.getmaxyx()
    for row, text in enumerate(lines[: max(0, height - 1)]):
        with contextlib.suppress(curses.error):
            window.addnstr(row, 0, text, max(0, width - 1))
    window.refresh()


def run_keyboard(
    drive: Drive,
    settings: TeleopSettings | None = None,
    *,
    key_timeout: float = 0.6,
    duration: float | None = None,
    title: str = "tether keyboard teleop",
) -> Teleop:
    """Drive from the terminal until q, Ctrl-C or `duration`; the base is stopped on the way out."""
    os.environ.setdefault("ESCDELAY", "25")
    result: list[Teleop] = []

    def main(screen: Any) -> None:
        with contextlib.suppress(curses.error):
            curses.curs_set(0)
        screen.keypad(True)
        pad = KeyboardPad(screen, key_timeout=key_timeout)
        teleop = Teleop(pad, drive, keyboard_settings(settings))
        result.append(teleop)
        last_draw = [0.0]

        def draw(t: Teleop) -> None:
            if time.monotonic() - last_draw[0] >= 0.1:
                last_draw[0] = time.monotonic()
                _draw(screen, title, t)

        teleop.run(duration, until=lambda: pad.quit_requested, on_tick=draw)

    curses.wrapper(main)
    return result[0]
