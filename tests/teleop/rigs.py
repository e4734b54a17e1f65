"""Shared pieces for the teleop tests: a Drive double, scripts, and waiting helpers."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from tether.errors import HardwareError, SessionExpired
from tether.fakes.channel import DutyRecord
from tether.input import AxisMoved, ButtonChanged, Connected, Disconnected, PadEvent
from tether.teleop import Teleop

#: A stream period at the default 20 Hz.
PERIOD = 0.05
#: Added to every real-time bound: a loaded 2-core CI box can stall a thread this long (the
#: stops themselves take about 2 ms; the session windows in these tests are 0.3-0.5 s).
MARGIN = 0.25


def press(t: float, button: str = "lb") -> ButtonChanged:
    """Press `button` at script time t."""
    return ButtonChanged(t, button, True)


def release(t: float, button: str = "lb") -> ButtonChanged:
    """Release `button` at script time t."""
    return ButtonChanged(t, button, False)


def stick(t: float, forward: float, right: float = 0.0) -> list[PadEvent]:
    """The left stick at (right, forward) at script time t."""
    return [AxisMoved(t, "left_y", forward), AxisMoved(t, "left_x", right)]


def unplug(t: float) -> Disconnected:
    """The cable comes out at script time t."""
    return Disconnected(t, "ENODEV")


def plug(t: float) -> Connected:
    """The pad is back at script time t, nothing held."""
    return Connected(t, "fake gamepad")


def script(*parts: PadEvent | Iterable[PadEvent]) -> list[PadEvent]:
    """Flatten events and event lists into one script."""
    events: list[PadEvent] = []
    for part in parts:
        events.extend([part] if isinstance(part, PadEvent) else part)
    return events


@dataclass
class RecordingDrive:
    """A Drive that logs every call on a clock, and fails when told to."""

    clock: Callable[[], float]
    calls: list[tuple[float, str, float, float]] = field(default_factory=list)
    failing_stops: int = 0
    expire_at: float | None = None

    def set_power(self, linear: float, angular: float) -> None:
        if self.expire_at is not None and self.clock() >= self.expire_at:
            self.expire_at = None
            raise SessionExpired("lapsed")
        self.calls.append((self.clock(), "power", linear, angular))

    def stop(self) -> None:
        if self.failing_stops:
            self.failing_stops -= 1
            self.calls.append((self.clock(), "stop-failed", 0.0, 0.0))
            raise HardwareError("serial port busy")
        self.calls.append((self.clock(), "stop", 0.0, 0.0))

    def heartbeat(self) -> None:
        self.calls.append((self.clock(), "heartbeat", 0.0, 0.0))

    def of(self, action: str) -> list[tuple[float, str, float, float]]:
        """The calls of one kind."""
        return [c for c in self.calls if c[1] == action]

    def moving_powers(self) -> list[tuple[float, str, float, float]]:
        """set_power calls that would move the rover."""
        return [c for c in self.of("power") if (c[2], c[3]) != (0.0, 0.0)]


def stopped_after(outputs: Iterable[DutyRecord], when: float) -> float | None:
    """When every output had duty 0, at or after `when` (from the fakes' histories)."""
    from tether.teleop.demo import stopped_after as find

    return find(outputs, when)


def moved_between(outputs: Iterable[DutyRecord], since: float, until: float) -> bool:
    """Whether any output had duty at any time in [since, until]."""
    for output in outputs:
        if output.duty_at(since) != 0.0:
            return True
        if any(s.duty != 0.0 for s in output.history if since <= s.time <= until):
            return True
    return False


def time_powered(outputs: Iterable[DutyRecord], since: float, until: float) -> float:
    """Seconds in [since, until] during which every output had duty (from their histories)."""
    channels = list(outputs)
    changes = {s.time for c in channels for s in c.history if since < s.time < until}
    edges = sorted({since, until, *changes})
    return sum(b - a for a, b in itertools.pairwise(edges)
               if all(c.duty_at(a) != 0.0 for c in channels))


def note_time(teleop: Teleop, prefix: str) -> float:
    """When the teleop first noted something starting with prefix."""
    for note in teleop.notes:
        if note.what.startswith(prefix):
            return note.time
    raise AssertionError(f"no note {prefix!r} in {[n.what for n in teleop.notes]}")


def wait_for(condition: Callable[[], bool], timeout: float = 5.0) -> float:
    """Poll every millisecond; the time it became true (AssertionError on timeout)."""
    until = time.monotonic() + timeout
    while time.monotonic() < until:
        if condition():
            return time.monotonic()
        time.sleep(0.001)
    raise AssertionError(f"condition not met within {timeout} s")


@contextmanager
def running(teleop: Teleop, duration: float | None = None) -> Iterator[threading.Thread]:
    """Run the teleop on a thread for the block; stop it (and join) on leaving."""
    thread = threading.Thread(target=teleop.run, kwargs={"duration": duration}, daemon=True)
    thread.start()
    try:
        yield thread
    finally:
        teleop.request_stop()
        close = getattr(teleop.pad, "close", None)
        if close is not None:
            close()
        thread.join(5)
        assert not thread.is_alive(), "the teleop loop did not finish"
