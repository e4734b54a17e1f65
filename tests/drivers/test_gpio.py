"""GpioMotor at pin level: layouts, enables, pin order, release, and factory selection."""

from __future__ import annotations

import contextlib
import subprocess
import sys
import time
from typing import Any

import pytest
from gpiozero.exc import GPIOPinInUse

from tether.drivers.gpio import GpioMotor
from tether.drivers.pins import make_pin_factory
from tether.errors import ConfigError
from tether.fakes import FakeClock
from tether.fakes.pins import FakePinFactory


@pytest.fixture
def factory() -> FakePinFactory:
    return FakePinFactory()


def test_l298n_layout_pin_by_pin(factory: FakePinFactory) -> None:
    motor = GpioMotor("left", pin_factory=factory, in1=5, in2=6, pwm=12)
    assert motor.layout == "in1_in2_pwm"
    motor.set_power(0.5)
    motor.set_power(-0.25)
    motor.stop()
    factory.assert_states(5, [0, 1, 0])
    factory.assert_states(6, [0, 1, 0])
    factory.assert_states(12, [0, 0.5, 0, 0.25, 0])


def test_reversing_drops_pwm_before_flipping_direction(factory: FakePinFactory) -> None:
    motor = GpioMotor("left", pin_factory=factory, direction=5, pwm=12)
    motor.set_power(0.8)
    motor.set_power(-0.8)
    pwm_off = next(c.time for c in factory.history(12)[2:] if c.state == 0)
    direction_flip = factory.history(5)[-1]
    assert direction_flip.state == 0 and pwm_off <= direction_flip.time
    factory.assert_states(12, [0, 0.8, 0, 0.8])


def test_in1_in2_layout_drives_one_pwm_pin_at_a_time(factory: FakePinFactory) -> None:
    motor = GpioMotor("left", pin_factory=factory, in1=5, in2=6)
    motor.set_power(0.3)
    assert (factory.state(5), factory.state(6)) == (0.3, 0.0)
    motor.set_power(-0.6)
    assert (factory.state(5), factory.state(6)) == (0.0, 0.6)
    motor.stop()
    assert (factory.state(5), factory.state(6)) == (0.0, 0.0)


def test_stop_drives_every_pin_inactive_enables_included(factory: FakePinFactory) -> None:
    high = GpioMotor("a", pin_factory=factory, in1=5, in2=6, pwm=12, enable=25)
    low = GpioMotor(
        "b", pin_factory=factory, direction=20, pwm=13, enable=26, enable_active_high=False
    )
    assert factory.state(25) == 0.0 and factory.state(26) == 1.0, "built inactive"
    high.set_power(0.9)
    low.set_power(-0.9)
    assert factory.state(25) == 1.0 and factory.state(26) == 0.0
    high.stop()
    low.stop()
    assert [factory.state(p) for p in (5, 6, 12, 25)] == [0, 0, 0, 0]
    assert [factory.state(p) for p in (20, 13)] == [0, 0]
    assert factory.state(26) == 1.0, "active-low enable is inactive when high"


def test_stop_lowers_speed_before_direction_and_enable(factory: FakePinFactory) -> None:
    motor = GpioMotor("a", pin_factory=factory, in1=5, in2=6, pwm=12, enable=25)
    motor.set_power(0.9)
    motor.stop()
    pwm_off = factory.history(12)[-1].time
    assert pwm_off <= factory.history(5)[-1].time <= factory.history(25)[-1].time


def test_construction_and_close_leave_pins_low_then_released(factory: FakePinFactory) -> None:
    motor = GpioMotor("a", pin_factory=factory, in1=5, in2=6, pwm=12)
    for pin in (5, 6, 12):
        assert factory.fake_pin(pin).function == "output"
        assert factory.state(pin) == 0.0
    motor.set_power(1.0)
    motor.close()
    for pin in (5, 6, 12):
        assert factory.history(pin)[-1].state == 0.0
        assert factory.fake_pin(pin).function == "input"
    again = GpioMotor("a", pin_factory=factory, in1=5, in2=6, pwm=12)
    again.close()


def test_pin_history_has_absolute_times_on_the_fake_clock() -> None:
    clock = FakeClock(start=10.0)
    factory = FakePinFactory(clock=clock)
    motor = GpioMotor("a", pin_factory=factory, in1=5, in2=6, pwm=12)
    clock.advance(1.5)
    motor.set_power(0.5)
    clock.advance(0.25)
    motor.stop()
    assert [(c.time, c.state) for c in factory.history(12)] == [
        (10.0, 0.0), (11.5, 0.5), (11.75, 0.0)
    ]


@pytest.mark.parametrize(
    "pins",
    [{"in1": 5}, {"in1": 5, "direction": 6, "pwm": 12}, {"pwm": 12}, {}],
    ids=repr,
)
def test_incomplete_or_mixed_layouts_are_config_errors(
    factory: FakePinFactory, pins: dict[str, Any]
) -> None:
    with pytest.raises(ConfigError, match="expected in1\\+in2 \\(both PWM\\), in1\\+in2\\+pwm"):
        GpioMotor("left", pin_factory=factory, **pins)


def test_half_built_motor_releases_the_pins_it_took(factory: FakePinFactory) -> None:
    holder = GpioMotor("holder", pin_factory=factory, in1=12, in2=13)
    with pytest.raises(GPIOPinInUse):
        GpioMotor("left", pin_factory=factory, in1=5, in2=6, pwm=12)
    holder.close()
    GpioMotor("left", pin_factory=factory, in1=5, in2=6, pwm=12).close()


def test_pin_factory_can_be_named(factory: FakePinFactory) -> None:
    motor = GpioMotor("a", pin_factory="mock", in1=5, in2=6)
    motor.set_power(0.2)
    motor.close()
    assert isinstance(make_pin_factory("mock"), FakePinFactory)


def test_unknown_factory_name_lists_the_choices() -> None:
    with pytest.raises(ConfigError, match="expected one of lgpio, pigpio, rpigpio, mock"):
        make_pin_factory("wiringpi")


def test_a_real_factory_off_a_pi_fails_clearly() -> None:
    with pytest.raises((ConfigError, OSError)) as error:
        make_pin_factory("lgpio")
    assert "lgpio" in str(error.value)


def test_importing_tether_imports_no_hardware_backend() -> None:
    code = (
        "import sys, tether, tether.drivers, tether.session, tether.fakes\n"
        "heavy = {'gpiozero', 'lgpio', 'pigpio', 'RPi', 'smbus2', 'serial', 'evdev'}\n"
        "print(sorted(heavy & set(sys.modules)))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == "[]"


def test_a_pigpio_factory_whose_daemon_goes_first_does_not_spin() -> None:
    """pigpio.py's notification thread loops on recv(); once its pigpiod has closed the socket
    recv returns nothing at once, for ever, and the thread burns a CPU until the process exits.
    tether's pigpio factory ends that thread when its daemon hangs up."""
    from tether.fakes.pigpiod import FakePigpiod

    with FakePigpiod().start() as daemon:
        factory = make_pin_factory("pigpio", host=daemon.host, port=daemon.port)
        reader = factory.connection._notify
        daemon.wait_for_clients(2)
    try:
        reader.join(2.0)
        used = time.thread_time()  # this thread's CPU: a baseline for nothing spinning
        spun = time.process_time()
        time.sleep(0.5)
        burned = (time.process_time() - spun) - (time.thread_time() - used)
        assert not reader.is_alive(), (
            f"pigpio's notification thread still runs after its daemon went "
            f"({burned * 1000:.0f} ms of CPU in 500 ms)")
    finally:
        reader.go = False  # a spinning thread of the unguarded library stops here
        with contextlib.suppress(Exception):
            factory.close()
