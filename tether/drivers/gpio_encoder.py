"""Wheel encoders on Pi GPIO pins: the pin factory's edge callbacks feed tether's decoders.

gpiozero's RotaryEncoder is a knob decoder (one step per four edges, bounded by max_steps), so
the pins are read here directly: pigpio reports each edge with its daemon's µs tick, lgpio from
its alert thread with a timestamp in seconds; either becomes the µs tick the decoders time
speed by.
"""

from __future__ import annotations

import contextlib
import logging
from typing import Any

from gpiozero import InputDevice

from tether.contract.properties import EncoderProperties
from tether.encoders import CHANNEL_A, CHANNEL_B, TICK_WRAP, QuadratureDecoder, SingleChannelDecoder
from tether.encoders.counter import EdgeCounter, EncoderReading
from tether.errors import ConfigError

log = logging.getLogger(__name__)

Pin = int | str
#: How late a pin library's Python callback thread may hand over an edge: it waits its turn for
#: the interpreter among the daemon's threads (pigpio's callback thread, lgpio's alert thread).
#: A silence shorter than this never reads as a slowing wheel (it would kick the speed loop).
DELIVERY_DELAY = 0.06
#: Pull resistor names -> InputDevice's pull_up (None: floating, the encoder drives the line).
PULLS = {"up": True, "down": False, "none": None}


def tick_us(ticks: float) -> int:
    """A pin library's edge timestamp as a µs tick wrapping at 2^32: pigpio's is one already
    (an int); lgpio's and the mock factory's are seconds."""
    if isinstance(ticks, int):
        return ticks % TICK_WRAP
    return round(ticks * 1_000_000) % TICK_WRAP


class GpioEncoder:
    """A quadrature (``a`` and ``b``) or single-channel (``a`` alone) encoder on GPIO inputs.

    ``ticks_per_revolution`` is in counted edges per turn of the shaft the motor reports: four
    per cycle of a quadrature channel, two per cycle of a single one. A single channel cannot
    tell direction: its motor says which way with ``set_direction``.
    """

    kind = "encoder"

    def __init__(
        self,
        name: str,
        *,
        pin_factory: Any,
        a: Pin,
        b: Pin | None = None,
        ticks_per_revolution: float,
        pull: str = "up",
        speed_timeout: float = 0.5,
    ) -> None:
        if pull not in PULLS:
            raise ConfigError(f"encoder {name!r} pull={pull!r}: expected one of "
                              f"{', '.join(PULLS)}")
        self.name = name
        self.pins = {"a": a} if b is None else {"a": a, "b": b}
        self._devices: list[InputDevice] = []
        self._closed = False
        try:
            for pin in self.pins.values():
                self._devices.append(InputDevice(
                    pin, pull_up=PULLS[pull], active_state=True if PULLS[pull] is None else None,
                    pin_factory=pin_factory,
                ))
            levels = [int(bool(d.pin.state)) for d in self._devices]
            self.decoder: EdgeCounter = (
                SingleChannelDecoder(name, ticks_per_revolution=ticks_per_revolution,
                                     level=levels[0], speed_timeout=speed_timeout,
                                     delivery_delay=DELIVERY_DELAY)
                if b is None else
                QuadratureDecoder(name, ticks_per_revolution=ticks_per_revolution,
                                  a=levels[0], b=levels[1], speed_timeout=speed_timeout,
                                  delivery_delay=DELIVERY_DELAY)
            )
            handlers = [self._edge_a, self._edge_b] if b is not None else [self._edge_single]
            for device, handler in zip(self._devices, handlers, strict=True):
                device.pin.edges = "both"
                device.pin.when_changed = handler
        except BaseException:
            self.close()
            raise

    @property
    def ticks_per_revolution(self) -> float:
        """Counted edges per turn."""
        return self.decoder.ticks_per_revolution

    def ticks(self) -> int:
        """Counted edges since the last reset."""
        return self.decoder.ticks()

    def position(self) -> float:
        """Revolutions from the zero position."""
        return self.decoder.position()

    def rpm(self) -> float:
        """Signed speed from the edges' timestamps (0 once they stop)."""
        return self.decoder.rpm()

    def reading(self) -> EncoderReading:
        """Ticks, revolutions, rpm and the illegal/missed counts from one instant."""
        return self.decoder.reading()

    def reset_position(self) -> None:
        """Make the count 0."""
        self.decoder.reset_position()

    def reset_zero_position(self, offset: float = 0.0) -> None:
        """Make the present place read -offset revolutions."""
        self.decoder.reset_zero_position(offset)

    def set_direction(self, commanded: float) -> None:
        """Count a single channel's next edges in the sign of the command (quadrature: no-op)."""
        if isinstance(self.decoder, SingleChannelDecoder):
            self.decoder.set_direction(commanded)

    def properties(self) -> EncoderProperties:
        """Ticks always; degrees too, since the ticks per revolution are known."""
        return EncoderProperties(ticks_count_supported=True, angle_degrees_supported=True)

    def close(self) -> None:
        """Stop listening and give the pins back; idempotent."""
        if self._closed:
            return
        self._closed = True
        for device in self._devices:
            with contextlib.suppress(Exception):
                device.pin.when_changed = None
            try:
                device.close()
            except Exception:
                log.exception("encoder %r: closing %r failed", self.name, device)
        self._devices.clear()

    def __repr__(self) -> str:
        pins = " ".join(f"{k}={v}" for k, v in self.pins.items())
        return f"<GpioEncoder {self.name!r} {pins} ticks={self.decoder.ticks()}>"

    # -- the pin library's threads call these ----------------------------------------------

    def _edge_a(self, ticks: float, state: int) -> None:
        self._quadrature(CHANNEL_A, ticks, state)

    def _edge_b(self, ticks: float, state: int) -> None:
        self._quadrature(CHANNEL_B, ticks, state)

    def _quadrature(self, channel: int, ticks: float, state: int) -> None:
        decoder = self.decoder
        assert isinstance(decoder, QuadratureDecoder)
        decoder.edge(channel, int(state), tick_us(ticks))

    def _edge_single(self, ticks: float, state: int) -> None:
        decoder = self.decoder
        assert isinstance(decoder, SingleChannelDecoder)
        decoder.edge(int(state), tick_us(ticks))
