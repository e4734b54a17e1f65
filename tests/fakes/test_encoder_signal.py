"""A simulated encoder's edges: the right channel, level and instant for every count crossed,
from the pins' present levels, on the in-process pins as on the fake pigpiod's."""

from __future__ import annotations

import time

import pytest

from tether.fakes.pigpiod import FakePigpiod
from tether.fakes.pigpiod.signals import EncoderSignal
from tether.fakes.pins import FakePinFactory

A, B = 17, 27


def test_a_rising_count_has_a_lead_b_at_the_instants_the_shaft_crossed_each_count() -> None:
    signal = EncoderSignal(FakePinFactory(), A, B)
    edges = signal.edges_between(0.0, 4.0, then=10.0, now=10.004)
    assert [(gpio, level) for gpio, _, level in edges] == [(A, 1), (B, 1), (A, 0), (B, 0)]
    assert [when for _, when, _ in edges] == pytest.approx([10.001, 10.002, 10.003, 10.004])


def test_a_falling_count_goes_through_the_same_states_backwards() -> None:
    signal = EncoderSignal(FakePinFactory(), A, B)
    edges = signal.edges_between(0.5, -3.5, then=0.0, now=4.0)
    assert [(gpio, level) for gpio, _, level in edges] == [(B, 1), (A, 1), (B, 0), (A, 0)]
    assert [when for _, when, _ in edges] == pytest.approx([0.5, 1.5, 2.5, 3.5])


def test_no_edge_within_one_count_and_one_channel_toggles_per_count() -> None:
    quadrature = EncoderSignal(FakePinFactory(), A, B)
    assert quadrature.edges_between(2.1, 2.9, 0.0, 1.0) == []
    single = EncoderSignal(FakePinFactory(), A)
    edges = single.edges_between(0.0, 3.0, 0.0, 3.0)
    assert [(gpio, level) for gpio, _, level in edges] == [(A, 1), (A, 0), (A, 1)]


@pytest.mark.parametrize("where", ["in-process pins", "fake pigpiod pins"])
def test_the_signal_drives_the_pins_from_their_present_levels(where: str) -> None:
    daemon = FakePigpiod() if where == "fake pigpiod pins" else None
    pins = daemon.pins if daemon is not None else FakePinFactory()
    if isinstance(pins, FakePinFactory):
        pins.fake_pin(A).drive_high()  # A already high: the first state is (1, 0)
    else:
        pins.drive(A, 1)
    began = pins.clock()
    signal = EncoderSignal(pins, A, B).follow(lambda t: 4000 * (t - began))
    time.sleep(0.25)
    signal.stop()
    assert signal.sent == abs(signal.count) > 500
    assert (pins.level(A), pins.level(B)) == signal.levels(signal.count)
    assert signal.levels(0) == (1, 0), "started from the levels it found"
