"""Edge streams as a pin library reports them, for feeding decoders at known rates."""

from __future__ import annotations

from collections.abc import Iterator

from tether.encoders import TICK_WRAP

Edge = tuple[int, int, int]  # (channel, level, tick_us)

#: One forward cycle from (A, B) = (0, 0): A rises, B rises, A falls, B falls.
FORWARD_CYCLE = ((0, 1), (1, 1), (0, 0), (1, 0))
#: The same cycle run backwards from (0, 0): B rises, A rises, B falls, A falls.
REVERSE_CYCLE = ((1, 1), (0, 1), (1, 0), (0, 0))


def quadrature(
    cycles: int, hz: float, *, start_us: int = 0, forward: bool = True
) -> Iterator[Edge]:
    """`cycles` full quadrature cycles at `hz` per channel, from (0, 0), ticks wrapping at 2^32.

    Edges are a quarter period apart (at 5 kHz: 50 µs), rounded to whole µs as pigpio stamps
    them.
    """
    order = FORWARD_CYCLE if forward else REVERSE_CYCLE
    quarter_us = 1e6 / hz / 4
    for n in range(cycles * 4):
        channel, level = order[n % 4]
        yield channel, level, (start_us + round((n + 1) * quarter_us)) % TICK_WRAP


def end_tick(cycles: int, hz: float, start_us: int = 0) -> int:
    """The tick of the last edge `quadrature(cycles, hz, start_us=...)` yields."""
    return (start_us + round(cycles * 4 * 1e6 / hz / 4)) % TICK_WRAP
