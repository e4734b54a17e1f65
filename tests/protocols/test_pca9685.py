"""PCA9685 encoding: prescale formula and range, exact 0 % and 100 %, full-off precedence."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tether.errors import InvalidCommand
from tether.protocols import pca9685 as reg


@pytest.mark.parametrize(
    ("hz", "prescale"), [(1526, 3), (1000, 5), (200, 30), (50, 121), (24, 253)]
)
def test_prescale_formula(hz: float, prescale: int) -> None:
    assert reg.prescale_for(hz) == prescale == round(25e6 / (4096 * hz)) - 1


@pytest.mark.parametrize("hz", [1600 * 2, 10, 0, -5, math.nan, math.inf])
def test_out_of_range_frequency_names_the_range(hz: float) -> None:
    with pytest.raises(InvalidCommand, match=r"expected Hz in \[24, 1526\]"):
        reg.prescale_for(hz)


def test_full_on_and_full_off_are_exact() -> None:
    assert reg.encode_duty(1.0) == bytes((0, 0x10, 0, 0))
    assert reg.encode_duty(0.0) == bytes((0, 0, 0, 0x10))
    assert reg.decode_duty(reg.encode_duty(1.0)) == 1.0
    assert reg.decode_duty(bytes((0, 0x10, 0, 0x10))) == 0.0, "full off wins over full on"
    assert reg.encode_duty(0.9999) != bytes((0, 0, 0, 0x10)), "never 4096 (= the full-off bit)"


@given(st.floats(0, 1))
def test_duty_round_trips_within_one_step(duty: float) -> None:
    assert reg.decode_duty(reg.encode_duty(duty)) == pytest.approx(duty, abs=1 / 4096)
    assert (reg.decode_duty(reg.encode_duty(duty)) == 0.0) == (duty == 0.0)
