"""Quadrature decoding through the real pigpio library and the fake pigpiod: the highest rate
per channel GpioEncoder counts without losing an edge, both directions, on this machine.

Each step doubles the square-wave rate on each channel (4 counted edges per cycle) and runs it
for --seconds each way; an edge is lost when the count differs from what the fake sent, or the
decoder saw an illegal or missed transition. The fake, pigpio.py's callback thread and the
decoder share this process's interpreter, as tether serve and pigpio.py do on a Pi (pigpiod
itself is a separate C process there, so a Pi's ceiling is pigpio.py's, not this fake's).

Run: python bench/encoder_bench.py [--seconds S] [--start-khz K] [--max-khz K]
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass

from gpiozero.pins.pigpio import PiGPIOFactory

from tether.drivers.gpio_encoder import GpioEncoder
from tether.fakes.pigpiod import FakePigpiod
from tether.fakes.pigpiod.signals import EncoderSignal

A, B = 17, 27


@dataclass(frozen=True)
class Run:
    """One rate in one direction: edges the fake sent and what the encoder made of them."""

    khz: float
    direction: int
    #: Real seconds the fake took to send the edges of `seconds` of signal.
    took: float
    seconds: float
    sent: int
    counted: int
    illegal: int
    missed: int

    @property
    def lost(self) -> int:
        """Edges not counted (or counted the wrong way), plus transitions the decoder flagged."""
        return abs(self.sent * self.direction - self.counted) + self.illegal + self.missed

    @property
    def real_time(self) -> bool:
        """The fake sent the edges at the rate asked (within 10 %), so the rate was really this."""
        return self.took <= 1.1 * self.seconds


def settled(encoder: GpioEncoder, timeout: float = 10.0) -> int:
    """The count once pigpio.py's callback thread has handed over every report it had."""
    last, until = encoder.ticks(), time.monotonic() + timeout
    while time.monotonic() < until:
        time.sleep(0.2)
        if (now := encoder.ticks()) == last:
            return now
        last = now
    return last


def run(khz: float, direction: int, seconds: float) -> Run:
    """`khz` per channel for `seconds` in `direction` through PiGPIOFactory on a fresh fake."""
    daemon = FakePigpiod().start()
    factory = PiGPIOFactory(host=daemon.host, port=daemon.port)
    encoder = GpioEncoder("bench", pin_factory=factory, a=A, b=B, ticks_per_revolution=1440,
                          pull="none")
    try:
        rate, began = direction * 4_000 * khz, daemon.pins.clock()
        signal = EncoderSignal(daemon.pins, A, B).follow(lambda t: rate * min(t - began, seconds))
        target = abs(rate) * (seconds - 0.01)  # the thread starts a little after `began`
        while abs(signal.count) < target and daemon.pins.clock() - began < 10 * seconds:
            time.sleep(0.01)
        took = daemon.pins.clock() - began
        if not signal.stop(timeout=60):
            raise RuntimeError(f"the fake still sends {khz} kHz edges a minute after the end")
        counted = settled(encoder)
        reading = encoder.reading()
        return Run(khz, direction, took, seconds, signal.sent, counted, reading.illegal,
                   reading.missed)
    finally:
        encoder.close()
        factory.close()  # the client first: pigpio.py spins on a socket its daemon closed
        daemon.wait_for_clients(0)
        daemon.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=3.0, help="per rate and direction")
    parser.add_argument("--start-khz", type=float, default=5.0, help="first rate per channel")
    parser.add_argument("--max-khz", type=float, default=160.0, help="stop doubling here")
    parser.add_argument("--quick", action="store_true",
                        help="1 s per rate, up to 20 kHz (bench/report.py --quick)")
    args = parser.parse_args()
    if args.quick:
        args.seconds, args.max_khz = 1.0, min(args.max_khz, 20.0)
    print(f"encoder bench: quadrature through pigpio.py + PiGPIOFactory on the fake pigpiod, "
          f"{args.seconds:g} s per rate and direction")
    best, khz = 0.0, args.start_khz
    while khz <= args.max_khz:
        runs = [run(khz, direction, args.seconds) for direction in (1, -1)]
        for r in runs:
            print(f"  {khz:6.1f} kHz per channel {'forward ' if r.direction > 0 else 'backward'}: "
                  f"sent {r.sent} edges, counted {r.counted}, illegal {r.illegal}, "
                  f"missed {r.missed}, lost {r.lost}; sent in {r.took:.2f} s"
                  f"{'' if r.real_time else ' (the fake fell behind real time)'}")
        if any(r.lost or not r.real_time for r in runs):
            break
        best, khz = khz, khz * 2
    print(f"highest rate decoded without loss: {best:g} kHz per channel "
          f"({best * 4:g}k counted edges/s)" if best else
          f"highest rate decoded without loss: none (lost edges at {args.start_khz:g} kHz)")
    print("(the step above it ends the search: edges lost, or the fake could not send that "
          "rate in real time, which bounds what this bench can show)")


if __name__ == "__main__":
    main()
