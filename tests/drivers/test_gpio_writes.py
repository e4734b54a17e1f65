"""GpioMotor's round trips to pigpiod: a repeated command sends none, a stop trusts nothing."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pigpio
import pytest
from gpiozero.pins.pigpio import PiGPIOFactory

from tether.drivers.gpio import GpioMotor
from tether.fakes.pigpiod import FakePigpiod
from tether.fakes.pins import FakePinFactory


@pytest.fixture
def pigpiod() -> Iterator[tuple[FakePigpiod, PiGPIOFactory]]:
    with FakePigpiod() as daemon:
        factory = PiGPIOFactory(host=daemon.host, port=daemon.port)
        try:
            yield daemon, factory
        finally:
            factory.close()
            daemon.wait_for_clients(0)


def sent(daemon: FakePigpiod) -> int:
    return sum(daemon.log.seen().values())


@pytest.mark.parametrize("pins", [
    {"in1": 5, "in2": 6, "pwm": 12, "enable": 25},
    {"in1": 5, "in2": 6},
    {"direction": 5, "pwm": 12},
])
def test_a_repeated_command_sends_nothing_to_pigpiod(
    pigpiod: tuple[FakePigpiod, PiGPIOFactory], pins: dict[str, Any]
) -> None:
    daemon, factory = pigpiod
    motor = GpioMotor("m", pin_factory=factory, **pins)
    motor.set_power(0.5)
    before = sent(daemon)
    for _ in range(10):
        motor.set_power(0.5)
    assert sent(daemon) == before
    motor.set_power(0.25)  # only the speed pin changes
    assert 0 < sent(daemon) - before <= 3
    assert daemon.duty(12 if "pwm" in pins else 5) == pytest.approx(0.25)
    motor.close()


def test_a_stop_writes_every_pin_even_when_this_motor_wrote_0_already(
    pigpiod: tuple[FakePigpiod, PiGPIOFactory],
) -> None:
    daemon, factory = pigpiod
    motor = GpioMotor("m", pin_factory=factory, in1=5, in2=6, pwm=12)
    motor.set_power(0.5)
    motor.stop()
    other = pigpio.pi(daemon.host, daemon.port)  # someone else drives the pins behind its back
    try:
        other.set_PWM_dutycycle(12, other.get_PWM_range(12))
        other.write(5, 1)
        motor.stop()
        assert (daemon.duty(12), daemon.level(5), daemon.level(6)) == (0, 0, 0)
    finally:
        other.stop()
        motor.close()


def test_a_failed_write_is_written_again_by_the_next_command() -> None:
    factory = FakePinFactory()
    motor = GpioMotor("m", pin_factory=factory, in1=5, in2=6, pwm=12)
    pin = factory.fake_pin(5)
    real = pin._set_state
    failing = [True]

    def set_state(value: float) -> None:
        if failing and value:
            failing.clear()
            raise OSError("bus error")
        real(value)

    pin._set_state = set_state
    with pytest.raises(Exception, match="bus error"):
        motor.set_power(0.5)
    motor.set_power(0.5)
    assert (factory.state(5), factory.state(6), factory.state(12)) == (1, 0, 0.5)
    motor.close()


@pytest.mark.parametrize(("pins", "options", "requests"), [
    ({"in1": 5, "in2": 6, "pwm": 12}, {}, 3),
    ({"in1": 5, "in2": 6}, {}, 2),
    ({"direction": 5, "pwm": 12, "enable": 25}, {"enable_active_high": False}, None),
])
def test_a_stop_on_pigpio_is_one_request_per_pin(
    pigpiod: tuple[FakePigpiod, PiGPIOFactory], pins: dict[str, Any], options: dict[str, Any],
    requests: int | None,
) -> None:
    """The PWM pin first (its duty 0 is the motor's 0); an active-low enable keeps gpiozero's
    off(), which knows its inverted level."""
    daemon, factory = pigpiod
    motor = GpioMotor("m", pin_factory=factory, **pins, **options)
    motor.set_power(-0.5)
    before = daemon.log.seen()
    motor.stop()
    after = daemon.log.seen()
    asked = {name: after[name] - before.get(name, 0) for name in after
             if after[name] != before.get(name, 0)}
    if requests is not None:
        assert sum(asked.values()) == requests, asked
    assert all(daemon.duty(pin) == 0 for pin in (5, 6, 12) if pin in pins.values())
    if "enable" in pins:
        assert daemon.level(25) == 1  # active low: inactive is high
    motor.close()
