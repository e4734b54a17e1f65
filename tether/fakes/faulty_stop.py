"""A stop() that raises or blocks, put in front of any built resource (a motor or a base), so a
driver bug can be injected into a rover the daemon built from its config."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Protocol


class Stoppable(Protocol):
    """What a FaultyStop stands in front of."""

    def stop(self) -> None:
        """Stop the resource."""
        ...


class FaultyStop:
    """Stands in for one resource's stop(): raises for the first `raises` calls (-1: always), or
    blocks until `gate` is set; otherwise the resource's own stop runs. (FakeMotor's stop_error
    and stop_gate, for a resource that is no FakeMotor.) Install it with `install()`, or with
    pytest's `monkeypatch.setattr(resource, "stop", fault)`."""

    def __init__(
        self, resource: Stoppable, *, raises: int = 0, gate: threading.Event | None = None
    ) -> None:
        self.original: Callable[[], None] = resource.stop
        self.raises = raises
        self.gate = gate
        self.calls = 0
        self._lock = threading.Lock()

    @classmethod
    def install(cls, resource: Stoppable) -> FaultyStop:
        """A disarmed FaultyStop in front of resource.stop (it stays there; arm() it at will)."""
        fault = cls(resource)
        resource.stop = fault  # type: ignore[method-assign]
        return fault

    @staticmethod
    def calls_of(resource: Stoppable) -> int:
        """How often the (patched) stop of a resource was called."""
        fault = resource.stop
        return fault.calls if isinstance(fault, FaultyStop) else 0

    def arm(self, raises: int) -> None:
        """Make the next `raises` calls raise (0: none, -1: every call from now on)."""
        if isinstance(raises, bool) or not isinstance(raises, int) or raises < -1:
            raise ValueError(f"raises={raises!r}: expected -1 (always) or a count >= 0")
        with self._lock:
            self.raises = raises if raises < 0 else self.calls + raises

    def __call__(self) -> None:
        with self._lock:
            self.calls += 1
            call, raises = self.calls, self.raises
        if self.gate is not None:
            self.gate.wait(30)
        if raises < 0 or call <= raises:
            raise RuntimeError(f"injected stop failure #{call}")
        self.original()
