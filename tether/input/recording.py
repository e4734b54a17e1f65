"""Recorded gamepad sessions as plain text, so a drive can be replayed in tests and demos.

Format (one event per line; ``#`` starts a comment; times in seconds from the start, in order)::

    # tether gamepad recording v1
    0.000 connect Xbox Wireless Controller      # the pad appears: NAME is the rest of the line
    0.000 connect held=lb axes=left_y:0.5 Pad   # ... optionally with what it already reads
    0.500 button lb 1                           # pressed (1) or released (0)
    0.520 axis left_y 0.8000                    # normalised value in [-1, 1]
    3.000 disconnect ENODEV                     # the pad went away (REASON optional)
"""

from __future__ import annotations

import contextlib
import math
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from tether.errors import ConfigError, TetherError
from tether.input.events import AxisMoved, ButtonChanged, Connected, Disconnected, PadEvent
from tether.input.source import PadSource

HEADER = "# tether gamepad recording v1"


@dataclass(frozen=True)
class Recording:
    """A pad's name and its events, times relative to the start of the recording."""

    name: str
    events: list[PadEvent]

    @property
    def duration(self) -> float:
        """Time of the last event."""
        return self.events[-1].time if self.events else 0.0


def format_event(event: PadEvent, start: float = 0.0) -> str:
    """One line of the recording format (no newline)."""
    t = f"{event.time - start:.3f}"
    if isinstance(event, AxisMoved):
        return f"{t} axis {event.axis} {event.value:.4f}"
    if isinstance(event, ButtonChanged):
        return f"{t} button {event.button} {int(event.pressed)}"
    if isinstance(event, Connected):
        extra = []
        if event.pressed:
            extra.append("held=" + ",".join(sorted(event.pressed)))
        if event.axes:
            extra.append("axes=" + ",".join(f"{k}:{v:.4f}" for k, v in sorted(event.axes.items())))
        return " ".join([t, "connect", *extra, event.name]).rstrip()
    return f"{t} disconnect {event.reason}".rstrip()


def _connect(time: float, words: list[str], where: str) -> Connected:
    held: frozenset[str] = frozenset()
    axes: dict[str, float] = {}
    while words and words[0].startswith(("held=", "axes=")):
        key, _, value = words.pop(0).partition("=")
        if key == "held":
            held = frozenset(b for b in value.split(",") if b)
            continue
        for item in filter(None, value.split(",")):
            axis, sep, reading = item.partition(":")
            if not sep:
                raise ConfigError(f"{where}: axes item {item!r}: expected AXIS:VALUE")
            axes[axis] = _number(reading, f"{where}: axis {axis!r} value")
    return Connected(time, " ".join(words) or "gamepad", axes, held)


def _number(text: str, where: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ConfigError(f"{where} {text!r}: expected a number") from None
    if not math.isfinite(value):
        raise ConfigError(f"{where} {text!r}: expected a finite number")
    return value


def parse_line(line: str, where: str) -> PadEvent | None:
    """One line -> an event (None for blank lines and comments); errors name the line."""
    words = line.split("#", 1)[0].split()
    if not words:
        return None
    if len(words) < 2:
        raise ConfigError(f"{where}: {line.strip()!r}: expected 'SECONDS KIND ...'")
    stamp = _number(words[0], f"{where}: time")
    if stamp < 0:
        raise ConfigError(f"{where}: time {words[0]!r}: expected seconds >= 0")
    kind, args = words[1], words[2:]
    try:
        if kind == "axis" and len(args) == 2:
            return AxisMoved(stamp, args[0], _number(args[1], f"{where}: axis value"))
        if kind == "button" and len(args) == 2 and args[1] in ("0", "1"):
            return ButtonChanged(stamp, args[0], args[1] == "1")
        if kind == "connect":
            return _connect(stamp, args, where)
        if kind == "disconnect":
            return Disconnected(stamp, " ".join(args) or "unplugged")
    except ConfigError:
        raise
    except TetherError as exc:
        raise ConfigError(f"{where}: {exc}") from None
    raise ConfigError(
        f"{where}: {line.strip()!r}: expected 'axis NAME VALUE', 'button NAME 0|1', "
        "'connect [NAME]' or 'disconnect [REASON]' after the time"
    )


def parse_recording(text: str, source: str = "<recording>") -> Recording:
    """A whole recording; times must not go backwards."""
    events: list[PadEvent] = []
    for number, line in enumerate(text.splitlines(), start=1):
        event = parse_line(line, f"{source}:{number}")
        if event is None:
            continue
        if events and event.time < events[-1].time:
            raise ConfigError(f"{source}:{number}: time {event.time:g} s is before the previous "
                              f"event's {events[-1].time:g} s; expected times in order")
        events.append(event)
    name = next((e.name for e in events if isinstance(e, Connected)), Path(source).stem)
    return Recording(name, events)


def load_recording(path: str | Path) -> Recording:
    """Read a recording file; errors name the file and line."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the recording ({exc.strerror})") from exc
    return parse_recording(text, str(path))


def format_recording(events: Iterable[PadEvent], start: float = 0.0) -> str:
    """The text of a recording (header included)."""
    return "\n".join([HEADER, *(format_event(e, start) for e in events)]) + "\n"


def record(
    source: PadSource,
    out: TextIO,
    *,
    duration: float | None = None,
    clock: Callable[[], float] = time.monotonic,
    until: Callable[[], bool] | None = None,
) -> int:
    """Write every event from source to out as it arrives; Ctrl-C ends it cleanly; the count."""
    start = clock()
    out.write(HEADER + "\n")
    out.flush()
    count = 0
    with contextlib.suppress(KeyboardInterrupt):
        while not (until is not None and until()):
            left = None if duration is None else start + duration - clock()
            if left is not None and left <= 0:
                break
            for event in source.read(0.1 if left is None else min(0.1, left)):
                out.write(format_event(event, start) + "\n")
                count += 1
            out.flush()
    return count


@contextlib.contextmanager
def _output(path: str | Path) -> Iterator[TextIO]:
    if str(path) == "-":
        yield sys.stdout
        return
    try:
        file = open(path, "w", encoding="utf-8")  # noqa: SIM115 - closed below
    except OSError as exc:
        raise ConfigError(f"{path}: cannot write the recording ({exc.strerror})") from exc
    with file:
        yield file


def record_gamepad(
    output: str | Path,
    *,
    device: str | None = None,
    mapping: str | Path | None = None,
    duration: float | None = None,
    say: Callable[[str], None] | None = None,
) -> int:
    """`tether record-gamepad`: record a real pad (evdev) to a file ('-' = stdout) until Ctrl-C.

    Messages go to `say` (default: stdout, or stderr when the recording goes to stdout).
    """
    from tether.input.evdev_backend import EvdevGamepad
    from tether.input.mapping import load_mapping

    if say is None:
        stream = sys.stderr if str(output) == "-" else sys.stdout
        say = lambda text: print(text, file=stream, flush=True)  # noqa: E731
    pad = EvdevGamepad(device, mapping=load_mapping(mapping) if mapping else None)
    try:
        with _output(output) as out:
            say(f"recording {device or 'the first gamepad'} to {output}; Ctrl-C to stop")
            count = record(pad, out, duration=duration)
    finally:
        pad.close()
    say(f"{count} events recorded")
    return count
