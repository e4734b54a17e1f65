"""GpioEncoder: a pin factory's edge callbacks feed the decoders; count, speed and zero."""

from __future__ import annotations

import time

import pytest
from gpiozero import GPIOPinInUse

from tether.drivers.gpio import GpioMotor
from tether.drivers.gpio_encoder import GpioEncoder, tick_us
from tether.encoders import TICK_WRAP
from tether.errors import ConfigError, InvalidCommand
from tether.fakes.pigpiod.signals import EncoderSignal
from tether.fakes.pins import FakePinFactory

A, B = 17, 27
TICKS = 1440


@pytest.mark.parametrize("rate", [6000.0, -6000.0], ids=["forward", "backward"])
def test_quadrature_counts_every_edge_and_times_the_speed_from_them(rate: float) -> None:
    pins = FakePinFactory()
    encoder = GpioEncoder("e", pin_factory=pins, a=A, b=B, ticks_per_revolution=TICKS)
    began = pins.clock()
    signal = EncoderSignal(pins, A, B).follow(lambda t: rate * (t - began))
    time.sleep(0.3)
    speed = encoder.rpm()
    signal.stop()
    reading = encoder.reading()
    assert reading.ticks == signal.count != 0
    assert (reading.illegal, reading.missed) == (0, 0)
    assert speed == pytest.approx(rate / TICKS * 60, rel=0.02), "250 rpm from edge timestamps"
    encoder.close()


def test_a_single_channel_counts_the_way_its_motor_is_driven() -> None:
    pins = FakePinFactory()
    encoder = GpioEncoder("e", pin_factory=pins, a=A, ticks_per_revolution=20)
    pin, first = pins.fake_pin(A), pins.level(A)
    for n in range(10):
        pin.drive_at(first ^ (n + 1) % 2, 1.0 + n * 0.01)
    encoder.set_direction(-0.5)
    for n in range(10, 14):
        pin.drive_at(first ^ (n + 1) % 2, 1.0 + n * 0.01)
    assert encoder.ticks() == 10 - 4
    assert encoder.position() == pytest.approx(6 / 20)


def test_reset_zero_position_makes_the_present_place_read_minus_the_offset() -> None:
    pins = FakePinFactory()
    encoder = GpioEncoder("e", pin_factory=pins, a=A, b=B, ticks_per_revolution=4)
    signal = EncoderSignal(pins, A, B)
    for gpio, when, level in signal.edges_between(0.0, 10.0, 1.0, 1.01):
        pins.fake_pin(gpio).drive_at(level, when)
    assert encoder.position() == pytest.approx(2.5)
    encoder.reset_zero_position(0.25)
    assert encoder.position() == pytest.approx(-0.25)
    assert encoder.ticks() == 0
    encoder.reset_position()
    assert encoder.position() == 0.0


def test_the_pin_library_timestamps_become_wrapping_microsecond_ticks() -> None:
    assert tick_us(123_456) == 123_456, "pigpio's tick already is one"
    assert tick_us(1.5) == 1_500_000, "lgpio's and the mock factory's are seconds"
    assert tick_us(TICK_WRAP / 1e6 + 0.000_002) == 2


def test_encoder_pins_are_its_own_until_it_closes() -> None:
    pins = FakePinFactory()
    encoder = GpioEncoder("e", pin_factory=pins, a=A, b=B, ticks_per_revolution=TICKS)
    with pytest.raises(GPIOPinInUse):
        GpioMotor("m", pin_factory=pins, in1=A, in2=5)
    encoder.close()
    encoder.close()
    GpioMotor("m", pin_factory=pins, in1=A, in2=5).close()


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        ({"ticks_per_revolution": 0}, InvalidCommand, "ticks_per_revolution=0"),
        ({"ticks_per_revolution": float("nan")}, InvalidCommand, "ticks_per_revolution=nan"),
        ({"pull": "sideways"}, ConfigError, "pull='sideways'"),
    ],
)
def test_bad_options_are_refused_naming_them(
    options: dict[str, object], error: type[Exception], message: str
) -> None:
    settings: dict[str, object] = {"ticks_per_revolution": TICKS, **options}
    with pytest.raises(error, match=message):
        GpioEncoder("e", pin_factory=FakePinFactory(), a=A, b=B, **settings)  # type: ignore[arg-type]
