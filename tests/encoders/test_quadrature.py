"""The 4x quadrature decoder: counts both ways at 5 kHz, across the tick wrap, and flags errors."""

from __future__ import annotations

import threading

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.encoders.signals import FORWARD_CYCLE, end_tick, quadrature
from tether.encoders import CHANNEL_A, CHANNEL_B, QuadratureDecoder
from tether.errors import InvalidCommand
from tether.fakes.clock import FakeClock

TICKS_PER_REV = 1000.0
#: 5 kHz per channel for 10 s, the acceptance rate.
HZ, CYCLES = 5000, 50_000
NEAR_WRAP = (1 << 32) - 1_000_000  # one second before pigpio's tick wraps


def decoder(ticks_per_revolution: float = TICKS_PER_REV) -> QuadratureDecoder:
    return QuadratureDecoder("left", ticks_per_revolution=ticks_per_revolution, clock=FakeClock())


def test_ten_seconds_at_5_khz_forward_then_back_counts_every_edge_across_the_tick_wrap() -> None:
    encoder = decoder()
    for channel, level, tick in quadrature(CYCLES, HZ, start_us=NEAR_WRAP):
        encoder.edge(channel, level, tick)
    assert encoder.ticks() == 4 * CYCLES == 200_000
    assert encoder.position() == pytest.approx(200.0)
    assert encoder.rpm(now_tick_us=end_tick(CYCLES, HZ, NEAR_WRAP)) == pytest.approx(
        20_000 / TICKS_PER_REV * 60, rel=1e-3
    )
    back = end_tick(CYCLES, HZ, NEAR_WRAP)
    for channel, level, tick in quadrature(CYCLES // 2, HZ, start_us=back, forward=False):
        encoder.edge(channel, level, tick)
    assert encoder.ticks() == 4 * CYCLES - 4 * (CYCLES // 2) == 100_000
    assert encoder.rpm(now_tick_us=end_tick(CYCLES // 2, HZ, back)) == pytest.approx(
        -1200.0, rel=1e-3
    )
    assert (encoder.illegal, encoder.missed) == (0, 0)


def test_the_count_goes_past_any_fixed_width_without_saturating() -> None:
    encoder = decoder()
    with encoder._lock:
        encoder._ticks = (1 << 63) - 2
    for channel, level, tick in quadrature(1, HZ):
        encoder.edge(channel, level, tick)
    assert encoder.ticks() == (1 << 63) + 2


@given(st.lists(st.sampled_from([1, -1]), max_size=300))
def test_a_random_walk_of_legal_steps_counts_its_net_steps(walk: list[int]) -> None:
    encoder = decoder()
    phase, tick = 0, 0
    for step in walk:
        if step > 0:
            channel, level = FORWARD_CYCLE[phase]
            phase = (phase + 1) % 4
        else:
            phase = (phase - 1) % 4
            channel, level = FORWARD_CYCLE[phase]
            level ^= 1
        tick += 37
        encoder.edge(channel, level, tick)
    assert encoder.ticks() == sum(walk)
    assert (encoder.illegal, encoder.missed) == (0, 0)


def test_both_channels_changing_in_one_tick_is_illegal_and_not_counted() -> None:
    encoder = decoder()
    for channel, level, tick in quadrature(10, HZ):
        encoder.edge(channel, level, tick)
    assert encoder.ticks() == 40
    encoder.edge(CHANNEL_A, 1, 5000)
    encoder.edge(CHANNEL_B, 1, 5000)  # 00 -> 11 within one tick: no direction
    assert (encoder.ticks(), encoder.illegal, encoder.levels) == (40, 1, (1, 1))
    encoder.edge(CHANNEL_A, 0, 5050)  # 11 -> 01 is a legal forward step from the new state
    assert (encoder.ticks(), encoder.illegal) == (41, 1)


def test_three_illegal_jumps_in_a_stream_are_each_counted_once() -> None:
    encoder = decoder()
    tick = 0
    for jump in range(3):
        for channel, level, t in quadrature(5, HZ, start_us=tick):
            encoder.edge(channel, level, t)
        tick = end_tick(5, HZ, tick) + 50
        encoder.edge(CHANNEL_A, 1, tick)
        encoder.edge(CHANNEL_B, 1, tick)
        tick += 50
        encoder.edge(CHANNEL_A, 0, tick)  # 11 -> 01 -> 00: two legal forward steps
        encoder.edge(CHANNEL_B, 0, tick + 50)
        tick += 100
        assert encoder.illegal == jump + 1
    assert encoder.ticks() == 3 * (20 + 2)


def test_a_whole_state_source_flags_a_two_bit_jump() -> None:
    encoder = decoder()
    encoder.levels_changed(1, 0, 10)
    encoder.levels_changed(1, 1, 20)
    encoder.levels_changed(0, 0, 30)
    encoder.levels_changed(0, 0, 40)
    assert (encoder.ticks(), encoder.illegal) == (2, 1)


def test_a_repeated_level_is_a_missed_edge_not_a_step() -> None:
    encoder = decoder()
    encoder.edge(CHANNEL_A, 1, 10)
    encoder.edge(CHANNEL_A, 1, 60)
    assert (encoder.ticks(), encoder.missed, encoder.illegal) == (1, 1, 0)


def test_a_watchdog_report_is_ignored() -> None:
    encoder = decoder()
    encoder.edge(CHANNEL_B, 2, 10)
    assert (encoder.ticks(), encoder.missed, encoder.levels) == (0, 0, (0, 0))


def test_starting_levels_are_honoured() -> None:
    encoder = QuadratureDecoder("left", ticks_per_revolution=4, a=1, b=1)
    encoder.edge(CHANNEL_A, 0, 10)  # 11 -> 01: forward
    assert encoder.ticks() == 1


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: QuadratureDecoder("l", ticks_per_revolution=0), "ticks_per_revolution=0: "
         "expected a finite number > 0"),
        (lambda: QuadratureDecoder("l", ticks_per_revolution=float("nan")), "=nan"),
        (lambda: QuadratureDecoder("l", ticks_per_revolution=-4), "=-4"),
        (lambda: QuadratureDecoder("l", ticks_per_revolution=4, a=3), "A level=3"),
        (lambda: decoder().edge(2, 1, 0), "channel=2: expected 0 \\(A\\) or 1 \\(B\\)"),
        (lambda: decoder().edge(0, 5, 0), "level=5: expected 0 or 1"),
        (lambda: decoder().reset_zero_position(float("inf")), "offset=inf"),
    ],
)
def test_bad_settings_and_reports_are_refused_naming_the_value(call: object, message: str) -> None:
    with pytest.raises(InvalidCommand, match=message):
        call()  # type: ignore[operator]


def test_reset_zero_position_follows_viams_encoded_motor() -> None:
    encoder = decoder(ticks_per_revolution=4)
    for channel, level, tick in quadrature(10, HZ):
        encoder.edge(channel, level, tick)
    assert encoder.position() == 10.0
    encoder.reset_zero_position(2.5)
    assert (encoder.ticks(), encoder.position()) == (0, -2.5)
    for channel, level, tick in quadrature(3, HZ, start_us=10_000):
        encoder.edge(channel, level, tick)
    assert encoder.position() == 0.5
    encoder.reset_position()
    assert (encoder.ticks(), encoder.position()) == (0, 0.0)


def test_readings_are_consistent_while_edges_arrive_on_another_thread() -> None:
    """The pin library's thread feeds edges while the motor reads: every reading's ticks and
    revolutions come from the same instant, and no edge is lost."""
    encoder = decoder(ticks_per_revolution=4)
    done = threading.Event()
    torn: list[tuple[int, float]] = []

    def feed() -> None:
        for channel, level, tick in quadrature(20_000, HZ):
            encoder.edge(channel, level, tick)
        done.set()

    thread = threading.Thread(target=feed)
    thread.start()
    seen = 0
    while not done.is_set():
        reading = encoder.reading()
        if reading.revolutions * 4 != reading.ticks:
            torn.append((reading.ticks, reading.revolutions))
        seen += 1
    thread.join(10)
    assert torn == []
    assert seen > 0
    assert encoder.ticks() == 80_000
