"""GpioEncoder through the real pigpio library and gpiozero's PiGPIOFactory, on the fake
pigpiod over TCP: every quadrature edge the daemon reports is counted, none lost, both ways
(issue 18: 5 kHz per channel for 10 s)."""

from __future__ import annotations

import statistics
import time
from collections.abc import Iterator

import pytest
from gpiozero.pins.pigpio import PiGPIOFactory

from tether.drivers.gpio_encoder import GpioEncoder
from tether.fakes.pigpiod import FakePigpiod
from tether.fakes.pigpiod.signals import EncoderSignal

A, B = 17, 27
TICKS = 1440
#: A 5 kHz square wave on each channel: 4 counted edges per cycle.
COUNTS_PER_S = 4 * 5_000
SECONDS = 10.0


@pytest.fixture
def daemon() -> Iterator[FakePigpiod]:
    running = FakePigpiod().start()
    yield running
    running.stop()


def settled_ticks(encoder: GpioEncoder, timeout: float = 10.0) -> int:
    """The count once pigpio's callback thread has handed over every report it had."""
    last, until = encoder.ticks(), time.monotonic() + timeout
    while time.monotonic() < until:
        time.sleep(0.2)
        now = encoder.ticks()
        if now == last:
            return now
        last = now
    return last


@pytest.mark.parametrize("direction", [1, -1], ids=["forward", "backward"])
def test_5_khz_per_channel_for_10_s_loses_no_edge(daemon: FakePigpiod, direction: int) -> None:
    factory = PiGPIOFactory(host=daemon.host, port=daemon.port)
    encoder = GpioEncoder("e", pin_factory=factory, a=A, b=B, ticks_per_revolution=TICKS,
                          pull="none")
    try:
        began = daemon.pins.clock()
        rate = direction * COUNTS_PER_S
        signal = EncoderSignal(daemon.pins, A, B).follow(
            lambda t: rate * min(t - began, SECONDS)
        )
        time.sleep(SECONDS / 2 - 0.5)
        # The median of five readings 0.2 s apart: on a loaded machine pigpio's notifications
        # can arrive late in one batch, and a reading taken in that gap is capped (EdgeSpeed's
        # silence rule), as the stall check, which needs a whole stall_seconds of it, allows.
        readings = []
        for _ in range(5):
            readings.append(encoder.rpm())
            time.sleep(0.2)
        speed = statistics.median(readings)
        time.sleep(SECONDS / 2 - 0.5 + 0.3)
        signal.stop()
        counted = settled_ticks(encoder)
        reading = encoder.reading()
    finally:
        encoder.close()
        factory.close()  # the client first: pigpio.py spins on a socket its daemon closed
        daemon.wait_for_clients(0)
    lost = signal.sent - abs(counted)
    print(f"\n{direction * 5} kHz per channel for {SECONDS:.0f} s through pigpio: "
          f"sent {signal.sent} edges, counted {counted}, lost {lost}, "
          f"illegal {reading.illegal}, missed {reading.missed}, mid-run {speed:.1f} rpm")
    assert signal.sent == abs(signal.count) >= 0.99 * COUNTS_PER_S * SECONDS
    assert counted == signal.count, "every edge counted, in its direction"
    assert (reading.illegal, reading.missed) == (0, 0)
    assert speed == pytest.approx(rate / TICKS * 60, rel=0.02), "833.3 rpm from edge ticks"
