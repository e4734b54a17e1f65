"""The recording pin factory: absolute times, listeners, whole-history assertions."""

from __future__ import annotations

import pytest
from gpiozero import DigitalOutputDevice, PWMOutputDevice

from tether.fakes import FakeClock
from tether.fakes.pins import FakePinFactory


def test_history_is_absolute_and_listeners_see_every_change() -> None:
    clock = FakeClock(start=5.0)
    factory = FakePinFactory(clock=clock)
    seen: list[tuple[str, float, float]] = []
    factory.watch([17], lambda name, t, state: seen.append((name, t, state)))
    led = PWMOutputDevice(17, pin_factory=factory)
    clock.advance(1)
    led.value = 0.25
    clock.advance(1)
    led.off()
    assert [(c.time, c.state) for c in factory.history(17)] == [(5.0, 0.0), (6.0, 0.25), (7.0, 0)]
    assert seen == [("GPIO17", 6.0, 0.25), ("GPIO17", 7.0, 0.0)]
    led.close()


def test_assert_states_checks_the_length_too() -> None:
    factory = FakePinFactory()
    out = DigitalOutputDevice(4, pin_factory=factory)
    out.on()
    out.off()
    factory.assert_states(4, [0, 1, 0])
    with pytest.raises(AssertionError, match=r"3 states\), expected \[0, 1\] \(2 states"):
        factory.assert_states(4, [0, 1])
    with pytest.raises(AssertionError):
        factory.assert_states(4, [0, 1, 0, 1])
    out.close()


def test_default_board_is_a_pi_5() -> None:
    assert FakePinFactory().board_info.model == "5B"
