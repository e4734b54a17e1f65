"""The one interface teleop reads a pad through: real pads, the keyboard and fakes all fit it."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from tether.input.events import PadEvent


@runtime_checkable
class PadSource(Protocol):
    """A source of pad events; `read` must never raise because the pad went away."""

    name: str

    def read(self, timeout: float) -> list[PadEvent]:
        """Events that arrived, waiting at most `timeout` seconds (returns early on any)."""
        ...

    def close(self) -> None:
        """Release the device; idempotent."""
        ...
