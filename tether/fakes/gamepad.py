"""A fake gamepad: scripted or recorded events delivered on an injectable clock, for tests/demos.

Script times are seconds from the first `read()`; delivered events carry absolute clock times.
With a FakeClock pass ``sleep=clock.advance`` and a whole drive runs in virtual time.
"""

from __future__ import annotations

import dataclasses
import itertools
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from pathlib import Path

from tether.errors import InvalidCommand
from tether.input.events import AxisMoved, ButtonChanged, Connected, Disconnected, PadEvent


class FakeGamepad:
    """Delivers `script` as a pad would; `hang_at` (seconds) makes read() block from then on."""

    def __init__(
        self,
        script: Iterable[PadEvent] = (),
        *,
        name: str = "fake gamepad",
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], object] | None = None,
        connect: bool = True,
        hang_at: float | None = None,
    ) -> None:
        events = list(script)
        for before, after in itertools.pairwise(events):
            if after.time < before.time:
                raise InvalidCommand(
                    f"fake gamepad script: event at {after.time!r} s comes after one at "
                    f"{before.time!r} s; expected times in order"
                )
        if connect and not (events and isinstance(events[0], Connected)):
            events.insert(0, Connected(0.0, name))
        self.name = name
        self.clock = clock
        self.hang_at = hang_at
        self._sleep = sleep
        self._pending: deque[PadEvent] = deque(events)
        self._start: float | None = None
        self._wake = threading.Condition()
        self._unhung = threading.Event()
        self._closed = False
        self.delivered: list[PadEvent] = []

    @classmethod
    def replay(
        cls,
        path: str | Path,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], object] | None = None,
        hang_at: float | None = None,
    ) -> FakeGamepad:
        """A fake pad that replays a recorded event file (tether.input.recording format)."""
        from tether.input.recording import load_recording

        recording = load_recording(path)
        return cls(recording.events, name=recording.name, clock=clock, sleep=sleep,
                   hang_at=hang_at)

    @property
    def started(self) -> float | None:
        """Clock time of the first read (script time 0), once reading began."""
        return self._start

    @property
    def exhausted(self) -> bool:
        """Every scripted event was delivered."""
        with self._wake:
            return not self._pending

    @property
    def duration(self) -> float:
        """Script time of the last pending event (0 when none are left)."""
        with self._wake:
            return self._pending[-1].time if self._pending else 0.0

    def read(self, timeout: float) -> list[PadEvent]:
        """Due events; else wait (at most `timeout`) for the next one, then deliver what is due."""
        if self._closed:
            return []
        if self._start is None:
            self._start = self.clock()
        now = self.clock()
        if self.hang_at is not None and now - self._start >= self.hang_at:
            self._unhung.wait()  # a frozen pad driver: nothing returns until unhang()/close()
            return []
        due = self._take_due(now)
        if due:
            return due
        wait = max(0.0, timeout)
        with self._wake:
            if self._pending:
                wait = min(wait, self._start + self._pending[0].time - now)
        if self.hang_at is not None:
            wait = min(wait, self._start + self.hang_at - now)
        self._pause(max(0.0, wait))
        return self._take_due(self.clock())

    def push(self, event: PadEvent) -> None:
        """Deliver an event as soon as possible (its time is replaced by now); thread-safe."""
        start = self._start if self._start is not None else self.clock()
        with self._wake:
            due = max(0.0, self.clock() - start)
            index = 0
            while index < len(self._pending) and self._pending[index].time <= due:
                index += 1
            self._pending.insert(index, dataclasses.replace(event, time=due))
            self._wake.notify_all()

    def press(self, button: str) -> None:
        """Press a button now."""
        self.push(ButtonChanged(0.0, button, True))

    def release(self, button: str) -> None:
        """Release a button now."""
        self.push(ButtonChanged(0.0, button, False))

    def move(self, axis: str, value: float) -> None:
        """Move an axis now."""
        self.push(AxisMoved(0.0, axis, value))

    def unplug(self, reason: str = "ENODEV") -> None:
        """Pull the cable now."""
        self.push(Disconnected(0.0, reason))

    def plug(self) -> None:
        """Plug it back in now (nothing held)."""
        self.push(Connected(0.0, self.name))

    def unhang(self) -> None:
        """Let a hung read() return (and stop hanging)."""
        self.hang_at = None
        self._unhung.set()

    def close(self) -> None:
        """Stop delivering; releases a hung read(); idempotent."""
        self._closed = True
        self._unhung.set()
        with self._wake:
            self._wake.notify_all()

    def _take_due(self, now: float) -> list[PadEvent]:
        assert self._start is not None
        due: list[PadEvent] = []
        with self._wake:
            while self._pending and self._start + self._pending[0].time <= now:
                event = self._pending.popleft()
                due.append(dataclasses.replace(event, time=self._start + event.time))
        self.delivered.extend(due)
        return due

    def _pause(self, seconds: float) -> None:
        if self._sleep is not None:
            self._sleep(seconds)
            return
        with self._wake:
            self._wake.wait(seconds)
