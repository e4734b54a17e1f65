"""Test doubles for the session layer: a resource that records, fails or blocks on purpose."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from tether.session import StopEvent


class Recorder:
    """A test Resource that records its stop() calls and can fail or block on purpose."""

    def __init__(
        self,
        name: str,
        *,
        clock: Callable[[], float] = time.monotonic,
        raises: int = 0,
        block: threading.Event | None = None,
    ) -> None:
        self.name = name
        self.clock = clock
        self.raises = raises
        self.block = block
        self.moving = False
        self.stops: list[float] = []
        self.entered = threading.Event()
        self.closed = False

    def drive(self) -> None:
        self.moving = True

    def stop(self) -> None:
        self.stops.append(self.clock())
        self.entered.set()
        if self.block is not None:
            self.block.wait(30)
        if self.raises > 0:
            self.raises -= 1
            raise OSError(f"{self.name}: bus error")
        self.moving = False

    def is_moving(self) -> bool:
        return self.moving

    def close(self) -> None:
        self.stop()
        self.closed = True


class Events:
    """Collects StopEvents from a manager's listener."""

    def __init__(self) -> None:
        self.items: list[StopEvent] = []
        self.changed = threading.Condition()

    def __call__(self, event: StopEvent) -> None:
        with self.changed:
            self.items.append(event)
            self.changed.notify_all()

    def wait_for(self, count: int, timeout: float = 5.0) -> list[StopEvent]:
        with self.changed:
            self.changed.wait_for(lambda: len(self.items) >= count, timeout)
            return list(self.items)
