"""[[encoder]], a motor's encoder/pid/stall keys, closed_loop and [[odometry]]: what is checked,
and every refusal naming the file, the key and the value before anything is built."""

from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tether.config import load_config, parse_config
from tether.control.pid import PidGains
from tether.errors import ConfigError

EXAMPLES = Path(__file__).resolve().parent.parent.parent / "examples"

ROVER: dict[str, Any] = {
    "motor": [
        {"name": "left", "driver": "gpio", "in1": 5, "in2": 6, "pwm": 12, "max_rpm": 150,
         "encoder": "le"},
        {"name": "right", "driver": "gpio", "in1": 20, "in2": 21, "pwm": 13, "max_rpm": 150,
         "encoder": "re"},
    ],
    "encoder": [
        {"name": "le", "driver": "quadrature", "a": 17, "b": 27, "ticks_per_revolution": 1440},
        {"name": "re", "driver": "single", "pin": 22, "ticks_per_revolution": 40},
    ],
    "base": [{"name": "base", "left": ["left"], "right": ["right"], "width_mm": 160,
              "wheel_circumference_mm": 204}],
    "odometry": [{"name": "odometry", "base": "base"}],
}

ROBOCLAW: dict[str, Any] = {
    "serial": [{"name": "claw", "port": "/dev/ttyACM0"}],
    "motor": [{"name": "left", "driver": "roboclaw", "port": "claw", "channel": 1,
               "max_rpm": 120, "encoder": "le", "qpps": 2880}],
    "encoder": [{"name": "le", "driver": "roboclaw", "port": "claw", "channel": 1,
                 "ticks_per_revolution": 1440}],
}


def changed(base: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A copy of `base` with `path` ("motor.0.pid" or "encoder.1.a") set (None deletes)."""
    data = copy.deepcopy(base)
    *parents, last = path.split(".")
    target: Any = data
    for part in parents:
        target = target[int(part)] if part.isdigit() else target[part]
    key: Any = int(last) if last.isdigit() else last
    if value is None:
        del target[key]
    else:
        target[key] = value
    return data


def test_an_encoded_rover_checks_with_its_loop_settings_and_defaults() -> None:
    config = parse_config(changed(ROVER, "motor.0.pid", {"kp": 2.0, "ki": 5}), "rover.toml")
    left, right = config.motors
    assert (left.encoder, right.encoder) == ("le", "re")
    assert left.loop is not None and left.loop.gains == PidGains(2.0, 5.0, 0.02)
    assert right.loop is not None and right.loop.gains is None, "tether's defaults"
    assert "encoder" not in left.options and "pid" not in left.options, "not the driver's"
    assert [e.options for e in config.encoders] == [
        {"a": 17, "b": 27, "ticks_per_revolution": 1440.0, "pull": "none"},
        {"pin": 22, "ticks_per_revolution": 40.0, "pull": "none"},
    ]
    assert config.encoded(config.bases[0]) and config.bases[0].closed_loop is None
    assert [o.base for o in config.odometry] == ["base"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (changed(ROVER, "encoder.0.ticks_per_revolution", 0),
         r"\[\[encoder\]\] 'le'.ticks_per_revolution = 0: expected a number > 0"),
        (changed(ROVER, "encoder.0.ticks_per_revolution", float("nan")),
         r"\[\[encoder\]\] 'le'.ticks_per_revolution = nan: expected a number > 0"),
        (changed(ROVER, "motor.0.pid", {"kp": -0.5}),
         r"\[\[motor\]\] 'left'.pid.kp = -0.5: expected a number >= 0 \(a negative gain"),
        (changed(ROVER, "motor.0.pid", {"ki": float("inf")}),
         r"\[\[motor\]\] 'left'.pid.ki = inf: expected a finite number"),
        (changed(ROVER, "motor.0.pid", {"output_min": 0.5, "output_max": 0.5}),
         r"'left'.pid.output_max = 0.5: expected more than output_min = 0.5"),
        (changed(ROVER, "motor.0.pid", {"kq": 1}), r"'left'.pid.kq = 1: unknown key"),
        (changed(ROVER, "encoder.0.a", 5),
         r"\[\[encoder\]\] 'le'.a = 5: expected GPIO5 to be free: \[\[motor\]\] 'left'.in1 "
         "drives it"),
        (changed(ROVER, "encoder.1.pin", 27),
         r"\[\[encoder\]\] 're'.pin = 27: expected GPIO27 to be free: \[\[encoder\]\] 'le'.b "
         "reads it"),
        (changed(ROVER, "encoder.0.b", 17), r"'le'.b = 17: expected a pin this encoder does not"),
        (changed(ROVER, "encoder.0.a", 40), r"'le'.a = 40: expected a BCM GPIO number 0-27"),
        (changed(ROVER, "encoder.0.driver", "magnetic"),
         r"'le'.driver = 'magnetic': expected one of quadrature, single, roboclaw"),
        (changed(ROVER, "encoder.0.pull", "sideways"), r"'le'.pull = 'sideways': expected one of"),
        (changed(ROVER, "motor.0.encoder", "nope"),
         r"\[\[motor\]\] 'left'.encoder = 'nope': expected the name of an \[\[encoder\]\] "
         r"\(le, re\)"),
        (changed(ROVER, "motor.1.encoder", "le"),
         r"'right'.encoder = 'le': expected an encoder no other motor uses"),
        (changed(ROVER, "motor.0.max_rpm", None),
         r"'left'.max_rpm = '<missing>': expected a number \(required with an encoder"),
        (changed(changed(ROVER, "motor.0.encoder", None), "motor.0.pid", {"kp": 1}),
         r"'left'.pid = \{'kp': 1\}: expected nothing without an encoder"),
        (changed(ROVER, "motor.0.stall", {"stall_seconds": 0}),
         r"'left'.stall.stall_seconds = 0: expected a number in \[0.01, 600\]"),
        (changed(changed(ROVER, "motor.1.encoder", None), "base.0.closed_loop", True),
         r"\[\[base\]\] 'base'.closed_loop = true: expected an encoder on every wheel"),
        (changed(ROVER, "motor.1.encoder", None),
         r"\[\[odometry\]\] 'odometry'.base = 'base': expected the name of a \[\[base\]\] with "
         "an encoder on every wheel"),
        (changed(ROVER, "encoder.0.name", "left"),
         r"\[\[encoder\]\] 'left'.name = 'left': expected a name no \[\[motor\]\] uses"),
        (changed(ROBOCLAW, "encoder.0.channel", 2),
         r"'left'.encoder = 'le': expected an encoder this motor's wheel turns"),
        (changed(ROBOCLAW, "motor.0.velocity_pid", {"p": -1}),
         r"'left'.velocity_pid.p = -1: expected a number in \[0, 65536\]"),
        (changed(changed(ROBOCLAW, "motor.0.qpps", None), "motor.0.velocity_pid", {"p": 1}),
         r"'left'.velocity_pid = \{'p': 1\}: expected qpps as well"),
        (changed(ROBOCLAW, "motor.0.qpps", 0), r"'left'.qpps = 0: expected a whole number"),
        (changed(ROBOCLAW, "motor.0.encoder_counts_per_rev", 1440),
         r"'left'.encoder = 'le': expected no encoder_counts_per_rev as well"),
    ],
)
def test_bad_encoder_settings_are_refused_naming_file_key_and_value(
    data: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigError, match=message) as error:
        parse_config(data, "rover.toml")
    assert str(error.value).startswith("rover.toml: ")


def test_a_roboclaw_motor_on_its_own_counter_gets_its_speed_loop_settings() -> None:
    data = changed(ROBOCLAW, "motor.0.velocity_pid", {"p": 4, "i": 20})
    (motor,) = parse_config(data, "claw.toml").motors
    assert motor.options["qpps"] == 2880
    pid = motor.options["velocity_pid"]
    assert (pid.p, pid.i, pid.d, pid.qpps) == (4.0, 20.0, 0.0, 2880)


@pytest.mark.parametrize("name", ["rover_encoders.toml", "roboclaw_encoders.toml"])
def test_tether_check_accepts_the_encoder_examples(name: str) -> None:
    config = load_config(EXAMPLES / name)
    assert [e.name for e in config.encoders] == ["left_encoder", "right_encoder"]
    done = subprocess.run([sys.executable, "-m", "tether.cli", "check", str(EXAMPLES / name)],
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert "encoders: left_encoder" in done.stdout and "odometry: odometry" in done.stdout
