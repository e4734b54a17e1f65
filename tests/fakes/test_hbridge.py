"""H-bridge models: truth tables from pin levels to signed duty."""

from __future__ import annotations

import pytest

from tether.fakes.hbridge import DRV8833, L298N, TB6612, PhaseEnableBridge
from tether.fakes.pins import FakePinFactory


def drive(factory: FakePinFactory, levels: dict[int, float]) -> None:
    for pin, level in levels.items():
        fake = factory.fake_pin(pin)
        fake.function = "output"
        fake.state = level


@pytest.mark.parametrize(
    ("in1", "in2", "en", "duty"),
    [(1, 0, 0.5, 0.5), (0, 1, 0.5, -0.5), (1, 1, 0.7, 0.0), (0, 0, 1.0, 0.0), (1, 0, 0.0, 0.0)],
)
def test_l298n(in1: float, in2: float, en: float, duty: float) -> None:
    factory = FakePinFactory()
    chip = L298N(factory, 5, 6, 12)
    drive(factory, {5: in1, 6: in2, 12: en})
    assert chip.duty == duty


@pytest.mark.parametrize(
    ("in1", "in2", "duty"), [(0.4, 0, 0.4), (0, 0.4, -0.4), (1, 1, 0.0), (1, 0.25, 0.75)]
)
def test_drv8833(in1: float, in2: float, duty: float) -> None:
    factory = FakePinFactory()
    chip = DRV8833(factory, 5, 6)
    drive(factory, {5: in1, 6: in2})
    assert chip.duty == pytest.approx(duty)


def test_tb6612_standby_low_means_no_output() -> None:
    factory = FakePinFactory()
    chip = TB6612(factory, 5, 6, 12, enable=25)
    drive(factory, {5: 1, 6: 0, 12: 0.6})
    assert chip.duty == 0.0
    drive(factory, {25: 1})
    assert chip.duty == 0.6


def test_phase_enable_with_active_low_enable() -> None:
    factory = FakePinFactory()
    chip = PhaseEnableBridge(factory, 5, 12, enable=25, enable_active_high=False)
    drive(factory, {25: 1, 5: 0, 12: 0.3})
    assert chip.duty == 0.0
    drive(factory, {25: 0})
    assert chip.duty == -0.3
    drive(factory, {5: 1})
    assert chip.duty == 0.3
    assert [s.duty for s in chip.history] == [0.0, -0.3, 0.3]
    assert chip.duty_at(chip.history[1].time) == -0.3
