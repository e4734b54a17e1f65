"""What a motor, a base and a client need from a wheel encoder, whatever counts its edges."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from tether.contract.properties import EncoderProperties as EncoderProperties  # noqa: PLC0414


@runtime_checkable
class WheelEncoder(Protocol):
    """A shaft's count and speed, in its own direction (a motor's `invert` is the motor's).

    ``position()`` follows Viam's encoded motor: revolutions from the zero, which
    ``reset_zero_position(offset)`` puts so that the present place reads ``-offset``.
    """

    @property
    def name(self) -> str:
        """The configured name clients use to address this encoder."""
        ...

    @property
    def ticks_per_revolution(self) -> float:
        """Counted ticks per turn of the shaft the position is given in."""
        ...

    def ticks(self) -> int:
        """Counted ticks since the last reset (Viam's Encoder position in ticks)."""
        ...

    def position(self) -> float:
        """Revolutions from the zero position."""
        ...

    def rpm(self) -> float:
        """Signed speed now, in revolutions per minute."""
        ...

    def reset_position(self) -> None:
        """Make the count 0 (Viam's Encoder ResetPosition)."""
        ...

    def reset_zero_position(self, offset: float = 0.0) -> None:
        """Make the present place read -offset revolutions."""
        ...

    def set_direction(self, commanded: float) -> None:
        """The motor's command, for an encoder that cannot tell direction (one channel)."""
        ...

    def properties(self) -> EncoderProperties:
        """Which position types GetPosition can answer."""
        ...

    def close(self) -> None:
        """Let the pins or the link go; idempotent."""
        ...
