"""The single-channel decoder: edges counted in the commanded direction."""

from __future__ import annotations

import pytest

from tether.encoders import SingleChannelDecoder
from tether.errors import InvalidCommand


def test_edges_count_in_the_commanded_direction_and_a_stop_keeps_it() -> None:
    encoder = SingleChannelDecoder("left", ticks_per_revolution=20)
    for n in range(1, 11):
        encoder.edge(n % 2, n * 100)
    encoder.set_direction(-0.5)
    for n in range(11, 17):
        encoder.edge(n % 2, n * 100)
    encoder.set_direction(0)  # stopped: a coasting wheel keeps turning the same way
    for n in range(17, 19):
        encoder.edge(n % 2, n * 100)
    assert encoder.ticks() == 10 - 6 - 2 == 2
    assert encoder.position() == pytest.approx(0.1)
    assert encoder.direction == -1


def test_a_repeated_level_counts_a_whole_unreported_cycle() -> None:
    encoder = SingleChannelDecoder("left", ticks_per_revolution=20)
    encoder.edge(1, 100)
    encoder.edge(1, 300)  # 1 -> (0) -> 1: two edges were not reported
    assert (encoder.ticks(), encoder.missed) == (3, 1)


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), True, "fwd"])
def test_a_bad_direction_is_refused(bad: object) -> None:
    encoder = SingleChannelDecoder("left", ticks_per_revolution=20)
    with pytest.raises(InvalidCommand, match="direction="):
        encoder.set_direction(bad)  # type: ignore[arg-type]
