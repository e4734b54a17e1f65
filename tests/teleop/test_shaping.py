"""Stick shaping: deadzone, expo and limits as math, over every input hypothesis can think of."""

from __future__ import annotations

import argparse
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tether.errors import InvalidCommand
from tether.input import AxisMoved
from tether.teleop import TeleopSettings, expo, radial_deadzone, shape
from tether.teleop.cli import add_drive_arguments, settings_from_args

unit = st.floats(-1.0, 1.0)
anything = st.floats(allow_nan=True, allow_infinity=True)
deadzones = st.floats(0.0, 0.9)


@given(unit, unit, deadzones)
def test_inside_the_deadzone_nothing_moves(x: float, y: float, deadzone: float) -> None:
    if math.hypot(x, y) <= deadzone:
        assert radial_deadzone(x, y, deadzone) == (0.0, 0.0)


@given(unit, unit, st.floats(0.0, 0.5))
def test_deadzone_keeps_the_direction_and_never_exceeds_one(
    x: float, y: float, deadzone: float
) -> None:
    out_x, out_y = radial_deadzone(x, y, deadzone)
    assert math.hypot(out_x, out_y) <= 1.0 + 1e-9
    if math.hypot(x, y) > deadzone + 1e-6 and math.hypot(out_x, out_y) > 1e-9:
        assert math.isclose(math.atan2(out_y, out_x), math.atan2(y, x), abs_tol=1e-6)


def test_deadzone_output_grows_from_zero_at_its_edge_to_one_at_the_rim() -> None:
    assert radial_deadzone(0.0, 0.1001, 0.1)[1] == pytest.approx(0.0, abs=1e-3)
    assert radial_deadzone(0.0, 0.55, 0.1)[1] == pytest.approx(0.5)
    assert radial_deadzone(0.0, 1.0, 0.1)[1] == pytest.approx(1.0)
    assert math.hypot(*radial_deadzone(1.0, 1.0, 0.1)) == pytest.approx(1.0), "square corners"


@given(unit, unit, st.floats(0.0, 1.0))
def test_expo_is_odd_monotonic_and_keeps_the_ends(a: float, b: float, amount: float) -> None:
    assert expo(-a, amount) == pytest.approx(-expo(a, amount))
    if a < b:
        assert expo(a, amount) <= expo(b, amount) + 1e-12
    assert expo(1.0, amount) == pytest.approx(1.0)
    assert abs(expo(a, amount)) <= abs(a) + 1e-12, "expo only softens"


@given(anything, anything, st.booleans())
def test_nothing_outside_the_limits_or_non_finite_ever_comes_out(
    forward: float, right: float, turbo: bool
) -> None:
    settings = TeleopSettings(max_linear=0.4, max_angular=0.3, turbo_linear=0.9,
                              turbo_angular=0.6)
    linear, angular = shape(forward, right, settings, turbo=turbo)
    assert math.isfinite(linear) and math.isfinite(angular)
    assert abs(linear) <= (0.9 if turbo else 0.4)
    assert abs(angular) <= (0.6 if turbo else 0.3)


def test_full_stick_reaches_the_limit_and_turbo_raises_it() -> None:
    settings = TeleopSettings(max_linear=0.5, turbo_linear=1.0)
    assert shape(1.0, 0.0, settings) == (0.5, 0.0)
    assert shape(1.0, 0.0, settings, turbo=True) == (1.0, 0.0)
    assert shape(-1.0, 0.0, settings) == (-0.5, 0.0)


def test_stick_right_turns_right_which_is_negative_angular() -> None:
    linear, angular = shape(0.0, 1.0, TeleopSettings(max_angular=0.5))
    assert linear == 0.0 and angular == pytest.approx(-0.5)


def test_axes_on_different_sticks_get_their_own_deadzones() -> None:
    split = TeleopSettings(linear_axis="left_y", angular_axis="right_x", deadzone=0.2, expo=0.0)
    # Radially, (0.15, 0.9) would leak 0.15 into the turn; per axis it is inside the deadzone.
    assert shape(0.9, 0.15, split)[1] == 0.0
    assert shape(0.9, 0.15, TeleopSettings(deadzone=0.2, expo=0.0))[1] != 0.0


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"rate_hz": 0}, "rate_hz=0: expected a number in"),
        ({"deadzone": math.nan}, "deadzone=nan"),
        ({"max_linear": 1.5}, "max_linear=1.5"),
        ({"expo": -0.1}, "expo=-0.1"),
        ({"pad_timeout": 0.0}, "pad_timeout=0.0"),
        ({"turbo": "lb"}, "turbo='lb': expected a button other than the deadman"),
        ({"deadman": " "}, "deadman=' '"),
        ({"angular_axis": "left_y"}, "angular_axis='left_y'"),
    ],
)
def test_bad_settings_fail_naming_the_value(options: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidCommand, match=message.replace("(", r"\(")):
        TeleopSettings(**options)  # type: ignore[arg-type]


@pytest.mark.parametrize("value", [math.nan, math.inf, 1.5, "0.5"])
def test_axis_events_refuse_values_a_pad_cannot_send(value: object) -> None:
    with pytest.raises(InvalidCommand, match=r"axis 'left_y' value=.*expected a number in \[-1"):
        AxisMoved(0.0, "left_y", value)  # type: ignore[arg-type]


@pytest.mark.parametrize(("argv", "expected"), [([], None), (["--pad-timeout", "2"], 2.0)])
def test_the_silence_limit_is_off_unless_asked_for(argv: list[str], expected: float | None) -> None:
    parser = argparse.ArgumentParser()
    add_drive_arguments(parser)
    settings = settings_from_args(parser.parse_args(["--gamepad", *argv]))
    assert settings.pad_timeout == expected
    assert TeleopSettings().pad_timeout is None, "a stick held steady sends no events"
