"""Speed from edge timestamps: exact at a steady rate, falling to 0 when the edges stop."""

from __future__ import annotations

import pytest

from tests.encoders.signals import end_tick, quadrature
from tether.encoders import QuadratureDecoder, SingleChannelDecoder
from tether.errors import InvalidCommand
from tether.fakes.clock import FakeClock

HZ = 500  # 2000 edges/s


def spinning(clock: FakeClock, cycles: int = 500, hz: float = HZ) -> QuadratureDecoder:
    encoder = QuadratureDecoder("left", ticks_per_revolution=400, clock=clock,
                                speed_timeout=0.5)
    for channel, level, tick in quadrature(cycles, hz):
        encoder.edge(channel, level, tick)
    return encoder


def test_a_steady_rate_reads_exactly_from_the_timestamps() -> None:
    clock = FakeClock()
    encoder = spinning(clock)
    # 2000 edges/s over 400 edges/rev = 5 rev/s = 300 rpm, with no sampling interval involved
    assert encoder.rpm(now_tick_us=end_tick(500, HZ)) == pytest.approx(300.0, rel=1e-6)
    assert encoder.rpm() == pytest.approx(300.0, rel=1e-6)  # host clock: no time has passed


def test_speed_falls_to_zero_when_the_edges_stop() -> None:
    clock = FakeClock()
    encoder = spinning(clock)
    last = end_tick(500, HZ)
    assert encoder.rpm(now_tick_us=last + 1_000) == pytest.approx(300.0, rel=1e-6)
    # 100 ms of silence: at most one edge per 100 ms (10 edges/s = 1.5 rpm)
    assert encoder.rpm(now_tick_us=last + 100_000) == pytest.approx(1.5, rel=1e-6)
    assert encoder.rpm(now_tick_us=last + 499_000) > 0
    assert encoder.rpm(now_tick_us=last + 501_000) == 0.0
    clock.advance(0.6)
    assert encoder.rpm() == 0.0
    assert encoder.reading().rpm == 0.0


def test_a_delivery_delay_shorter_than_the_silence_floor_does_not_lower_the_speed() -> None:
    clock = FakeClock()
    encoder = spinning(clock, hz=5000, cycles=5000)
    assert encoder.rpm(now_tick_us=end_tick(5000, 5000) + 15_000) == pytest.approx(
        3000.0, rel=1e-6
    )


def test_a_reversal_reads_the_new_direction_at_once() -> None:
    clock = FakeClock()
    encoder = spinning(clock)
    back = end_tick(500, HZ)
    for channel, level, tick in quadrature(2, HZ, start_us=back, forward=False):
        encoder.edge(channel, level, tick)
    assert encoder.rpm(now_tick_us=end_tick(2, HZ, back)) == pytest.approx(-300.0, rel=1e-6)


def test_a_speed_change_shows_within_the_50_ms_window() -> None:
    clock = FakeClock()
    encoder = spinning(clock)
    start = end_tick(500, HZ)
    for channel, level, tick in quadrature(100, 2 * HZ, start_us=start):  # 100 ms at 600 rpm
        encoder.edge(channel, level, tick)
    assert encoder.rpm(now_tick_us=end_tick(100, 2 * HZ, start)) == pytest.approx(600, rel=1e-3)


def test_the_single_channel_speed_takes_the_commanded_sign() -> None:
    clock = FakeClock()
    encoder = SingleChannelDecoder("left", ticks_per_revolution=200, clock=clock)
    encoder.set_direction(-0.4)
    tick = 0
    for n in range(1, 201):
        tick = n * 500  # 2000 edges/s
        encoder.edge(n % 2, tick)
    assert encoder.ticks() == -200
    assert encoder.rpm(now_tick_us=tick) == pytest.approx(-600.0, rel=1e-6)


def test_speed_timeout_out_of_range_is_refused() -> None:
    with pytest.raises(InvalidCommand, match="speed_timeout=0: expected a number in"):
        QuadratureDecoder("left", ticks_per_revolution=4, speed_timeout=0)


def test_speed_is_right_while_its_window_spans_the_tick_wrap() -> None:
    clock = FakeClock()
    encoder = QuadratureDecoder("left", ticks_per_revolution=400, clock=clock)
    start = (1 << 32) - 20_000  # 20 ms before pigpio's tick wraps to 0
    for channel, level, tick in quadrature(20, HZ, start_us=start):  # 40 ms of edges
        encoder.edge(channel, level, tick)
    last = end_tick(20, HZ, start)
    assert last < start, "the stream wrapped"
    assert encoder.rpm(now_tick_us=last) == pytest.approx(300.0, rel=1e-6)
