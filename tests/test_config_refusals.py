"""Configs `tether check` used to pass and `tether serve` crashed on: each refused, in one line.

`check` must name the file, the key and the value; `serve` must never print a traceback and
must exit 2 for a config error, 1 for a hardware error (one line on stderr either way).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.rovers import GPIO_ROVER
from tether.cli import main
from tether.config import load_config
from tether.demo_configs import demo_config
from tether.errors import HardwareError
from tether.robot import build_robot

SERIAL_ROVER = """
[[serial]]
name = "saber"
port = "/dev/ttyAMA0"

[[motor]]
name = "left"
driver = "sabertooth"
port = "saber"
address = 128
channel = 1

[[motor]]
name = "right"
driver = "sabertooth"
port = "saber"
address = 128
channel = 2
"""

ROBOCLAW_ROVER = SERIAL_ROVER.replace('"sabertooth"', '"roboclaw"')

SMC_ROVER = """
[[serial]]
name = "smc_left"
port = "/dev/ttyUSB0"

[[serial]]
name = "smc_right"
port = "/dev/ttyUSB1"

[[motor]]
name = "left"
driver = "smc"
port = "smc_left"

[[motor]]
name = "right"
driver = "smc"
port = "smc_right"
"""

HAT_ROVER = """
[[pca9685]]
name = "hat"
bus = 1
address = 0x60

[[motor]]
name = "left"
driver = "hat"
chip = "hat"
hat = "adafruit"
motor = "M1"

[[motor]]
name = "right"
driver = "hat"
chip = "hat"
hat = "adafruit"
motor = "M2"
"""


def edit(text: str, *changes: tuple[str, str]) -> str:
    """The config with each (old, new) applied once; an old text that is absent is a test bug."""
    for old, new in changes:
        assert text.count(old) >= 1, f"{old!r} is not in the config"
        text = text.replace(old, new, 1)
    return text


@dataclass(frozen=True)
class Refusal:
    """A bad config and the key and value its error must name."""

    name: str
    text: str
    key: str
    value: str


REFUSALS = [
    Refusal("pin_twice_in_one_motor", edit(GPIO_ROVER, ("in2 = 6", "in2 = 5")),
            "[[motor]] 'left'.in2", "5"),
    Refusal("pin_twice_by_another_name", edit(GPIO_ROVER, ("in2 = 6", 'in2 = "BOARD29"')),
            "[[motor]] 'left'.in2", "'BOARD29'"),
    Refusal("pin_used_by_two_motors", edit(GPIO_ROVER, ("in1 = 20", "in1 = 5")),
            "[[motor]] 'right'.in1", "5"),
    Refusal("bcm_pin_above_27", edit(GPIO_ROVER, ("pwm = 12", "pwm = 28")),
            "[[motor]] 'left'.pwm", "28"),
    Refusal("bcm_pin_below_0", edit(GPIO_ROVER, ("in1 = 5", "in1 = -1")),
            "[[motor]] 'left'.in1", "-1"),
    Refusal("pin_name_not_on_the_header", edit(GPIO_ROVER, ("in1 = 5", 'in1 = "GPIO40"')),
            "[[motor]] 'left'.in1", "'GPIO40'"),
    Refusal("two_motors_on_one_hat_channel", edit(HAT_ROVER, ('motor = "M2"', 'motor = "M1"')),
            "[[motor]] 'right'.motor", "'M1'"),
    Refusal("custom_channels_overlap_a_hat_motor",
            edit(HAT_ROVER, ('hat = "adafruit"\nmotor = "M2"', "channels = [8, 0, 1]")),
            "[[motor]] 'right'.channels", "[8, 0, 1]"),
    Refusal("two_pca9685_tables_on_one_chip",
            edit(HAT_ROVER, ("address = 0x60\n",
                             'address = 0x60\n\n[[pca9685]]\nname = "hat2"\nbus = 1\n'
                             "address = 0x60\n"),
                 ('chip = "hat"\nhat = "adafruit"\nmotor = "M2"',
                  'chip = "hat2"\nhat = "adafruit"\nmotor = "M2"')),
            "[[pca9685]] 'hat2'.address", "96"),
    Refusal("unknown_hat_layout", edit(HAT_ROVER, ('hat = "adafruit"', 'hat = "sparkfun"')),
            "[[motor]] 'left'.hat", "'sparkfun'"),
    Refusal("two_motors_on_one_serial_address_and_channel",
            edit(SERIAL_ROVER, ("channel = 2", "channel = 1")), "[[motor]] 'right'.channel", "1"),
    Refusal("two_serial_tables_on_one_port",
            edit(SERIAL_ROVER, ('port = "/dev/ttyAMA0"\n',
                                'port = "/dev/ttyAMA0"\n\n[[serial]]\nname = "saber2"\n'
                                'port = "/dev/ttyAMA0"\n'),
                 ('port = "saber"\naddress = 128\nchannel = 2',
                  'port = "saber2"\naddress = 128\nchannel = 1')),
            "[[serial]] 'saber2'.port", "'/dev/ttyAMA0'"),
    Refusal("two_smc_motors_on_one_port",
            edit(SMC_ROVER, ('port = "smc_right"', 'port = "smc_left"')),
            "[[motor]] 'right'.port", "'smc_left'"),
    Refusal("gpio_motor_with_no_pins",
            edit(GPIO_ROVER, ("in1 = 5\nin2 = 6\npwm = 12\n", "")), "[[motor]] 'left'.in1",
            "'<missing>'"),
    Refusal("gpio_motor_with_half_a_layout", edit(GPIO_ROVER, ("in2 = 6\n", "")),
            "[[motor]] 'left'.in2", "'<missing>'"),
    Refusal("max_power_zero", edit(GPIO_ROVER, ("pwm = 12\n", "pwm = 12\nmax_power = 0\n")),
            "[[motor]] 'left'.max_power", "0"),
    Refusal("min_power_above_max_power",
            edit(GPIO_ROVER, ("pwm = 12\n", "pwm = 12\nmax_power = 0.5\nmin_power = 0.8\n")),
            "[[motor]] 'left'.min_power", "0.8"),
    Refusal("pwm_frequency_zero", edit(GPIO_ROVER, ("pwm = 12\n", "pwm = 12\npwm_frequency = 0\n")),
            "[[motor]] 'left'.pwm_frequency", "0"),
    Refusal("lgpio_pwm_frequency_above_10_khz",
            edit(GPIO_ROVER, ("pwm = 12\n", "pwm = 12\npwm_frequency = 20000\n")),
            "[[motor]] 'left'.pwm_frequency", "20000"),
    Refusal("sabertooth_timeout_above_12_7_s",
            edit(SERIAL_ROVER, ("channel = 1\n", "channel = 1\ncontroller_timeout = 20\n")),
            "[[motor]] 'left'.controller_timeout", "20"),
    Refusal("roboclaw_timeout_above_25_5_s",
            edit(ROBOCLAW_ROVER, ("channel = 1\n", "channel = 1\ncontroller_timeout = 30\n")),
            "[[motor]] 'left'.controller_timeout", "30"),
    Refusal("controller_timeout_zero_is_off",
            edit(SERIAL_ROVER, ("channel = 1\n", "channel = 1\ncontroller_timeout = 0\n")),
            "[[motor]] 'left'.controller_timeout", "0"),
    Refusal("sabertooth_address_outside_128_135",
            edit(SERIAL_ROVER, ("address = 128", "address = 127")),
            "[[motor]] 'left'.address", "127"),
    Refusal("roboclaw_address_outside_0x80_0x87",
            edit(ROBOCLAW_ROVER, ("address = 128", "address = 0x88")),
            "[[motor]] 'left'.address", "136"),
    Refusal("serial_channel_3", edit(SERIAL_ROVER, ("channel = 2", "channel = 3")),
            "[[motor]] 'right'.channel", "3"),
    Refusal("pca9685_address_outside_i2c", edit(HAT_ROVER, ("address = 0x60", "address = 0x78")),
            "[[pca9685]] 'hat'.address", "120"),
    Refusal("pin_factory_nope", "[gpio]\npin_factory = \"nope\"\n" + GPIO_ROVER,
            "[gpio].pin_factory", "'nope'"),
    Refusal("missing_tls_files",
            '[server]\ntls_cert = "/nonexistent/tether/cert.pem"\n'
            'tls_key = "/nonexistent/tether/key.pem"\n' + GPIO_ROVER,
            "[server].tls_cert", "'/nonexistent/tether/cert.pem'"),
    Refusal("unknown_key_in_sim", "[sim]\nspeed = 2\n" + GPIO_ROVER, "[sim].speed", "2"),
    Refusal("two_serial_tables_with_one_name",
            edit(SERIAL_ROVER, ('port = "/dev/ttyAMA0"\n',
                                'port = "/dev/ttyAMA0"\n\n[[serial]]\nname = "saber"\n'
                                'port = "/dev/ttyUSB0"\n')),
            "[[serial]] #2.name", "'saber'"),
    Refusal("empty_config", "", "[[motor]]", "<none>"),
]


@pytest.fixture(params=REFUSALS, ids=lambda r: r.name)
def refusal_file(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Refusal, Path]:
    """The refusal's config written to rover.toml in a fresh directory."""
    refusal: Refusal = request.param
    path = tmp_path / "rover.toml"
    path.write_text(refusal.text)
    return refusal, path


def test_check_refuses_naming_file_key_and_value(
    refusal_file: tuple[Refusal, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    refusal, path = refusal_file
    code = main(["check", str(path)])
    err = capsys.readouterr().err
    assert code == 2, f"check passed (exit {code}); stderr: {err!r}"
    assert err.startswith(f"tether: {path}: "), err
    assert f"{refusal.key} = {refusal.value}: " in err, err
    assert "expected" in err, err


def serve(path: Path, *extra: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    """Run `tether serve` on path; (exit code, stderr), or (-1, ...) if it was still serving."""
    command = [sys.executable, "-m", "tether.cli", "serve", str(path),
               "--listen", "127.0.0.1:0", *extra]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          env={**os.environ, **(env or {})}) as process:
        try:
            _, err = process.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            _, err = process.communicate(timeout=20)
            return -1, err
    return process.returncode, err


def test_serve_refuses_a_bad_config_in_one_line_with_exit_2(
    refusal_file: tuple[Refusal, Path]
) -> None:
    refusal, path = refusal_file
    code, err = serve(path, "--sim")
    assert code != -1, f"serve --sim kept serving a bad config; stderr: {err!r}"
    assert "Traceback" not in err, err
    assert code == 2, err
    assert err.strip().count("\n") == 0, f"expected one line on stderr, got {err!r}"
    assert f"{refusal.key} = {refusal.value}: " in err, err


def test_serve_on_an_address_already_taken_refuses_in_one_line_with_exit_2(
    tmp_path: Path
) -> None:
    path = tmp_path / "rover.toml"
    path.write_text(GPIO_ROVER)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        address = f"127.0.0.1:{taken.getsockname()[1]}"
        code, err = serve(path, "--sim", "--listen", address)
    assert "Traceback" not in err, err
    assert code == 2, err
    assert err.strip().count("\n") == 0, f"expected one line on stderr, got {err!r}"
    assert f"--listen = {address!r}: expected an address this machine can listen on" in err, err


@dataclass(frozen=True)
class HardwareFailure:
    """A valid config whose hardware cannot start here, and what the error must name."""

    name: str
    text: str
    names: str
    env: tuple[tuple[str, str], ...] = ()


HARDWARE_FAILURES = [
    HardwareFailure("serial_port_that_does_not_exist",
                    edit(SERIAL_ROVER, ('"/dev/ttyAMA0"', '"/dev/tether-no-such-tty"')),
                    "/dev/tether-no-such-tty"),
    HardwareFailure("i2c_bus_that_cannot_open", edit(HAT_ROVER, ("bus = 1", "bus = 99")), "99"),
    # pigpio's factory either is not installed or finds no pigpiod on port 1: it cannot load
    HardwareFailure("pin_factory_that_cannot_load",
                    "[gpio]\npin_factory = \"pigpio\"\n" + GPIO_ROVER, "pigpio",
                    (("PIGPIO_ADDR", "127.0.0.1"), ("PIGPIO_PORT", "1"))),
]


@pytest.mark.parametrize("failure", HARDWARE_FAILURES, ids=lambda f: f.name)
def test_serve_reports_a_hardware_failure_in_one_line_with_exit_1(
    failure: HardwareFailure, tmp_path: Path
) -> None:
    path = tmp_path / "rover.toml"
    path.write_text(failure.text)
    code, err = serve(path, env=dict(failure.env))
    assert code != -1, f"serve kept serving without its hardware; stderr: {err!r}"
    assert "Traceback" not in err, err
    assert code == 1, err
    assert err.strip().count("\n") == 0, f"expected one line on stderr, got {err!r}"
    assert err.startswith(f"tether: {path}: [[motor]] 'left'"), err
    assert failure.names in err, err


@pytest.mark.parametrize("text", [GPIO_ROVER, SERIAL_ROVER, ROBOCLAW_ROVER, SMC_ROVER, HAT_ROVER],
                         ids=["gpio", "sabertooth", "roboclaw", "smc", "hat"])
def test_the_good_rovers_these_cases_start_from_pass_check(
    text: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "rover.toml"
    path.write_text(text)
    assert main(["check", str(path)]) == 0, capsys.readouterr().err


def test_a_motor_on_bcm_pins_0_and_27_checks_and_drives_in_sim(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "rover.toml"
    path.write_text(edit(GPIO_ROVER, ("in1 = 5", "in1 = 0"), ("in2 = 6", "in2 = 27")))
    assert main(["check", str(path)]) == 0, capsys.readouterr().err
    robot = build_robot(load_config(path), sim=True)
    try:
        robot.bases["base"].set_power(0.5, 0.0)
        assert robot.outputs["left"].duty == pytest.approx(0.5)
    finally:
        robot.close()


@pytest.mark.parametrize(("driver", "longest"), [("sabertooth", 12.7), ("roboclaw", 20.1)])
def test_default_controller_timeout_stays_within_what_the_controller_can_say(
    driver: str, longest: float
) -> None:
    """Window + 0.1 s, but never past the protocol's limit (a 20 s window on a Sabertooth)."""
    config = demo_config(driver, window=20)
    assert {m.options["controller_timeout"] for m in config.motors} == {longest}
    robot = build_robot(config, sim=True)
    robot.close()


def test_a_pin_the_hardware_refuses_is_a_hardware_error_naming_the_file_and_motor(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another process holds GPIO5: gpiozero's own error becomes one HardwareError line."""
    from gpiozero import DigitalOutputDevice

    from tether.drivers import pins
    from tether.fakes.pins import FakePinFactory

    factory = FakePinFactory()
    held = DigitalOutputDevice(5, pin_factory=factory)
    monkeypatch.setattr(pins, "make_pin_factory", lambda name: factory)
    path = tmp_path / "rover.toml"
    path.write_text(GPIO_ROVER)
    try:
        with pytest.raises(HardwareError) as error:
            build_robot(load_config(path))
    finally:
        held.close()
    assert str(error.value).startswith(f"{path}: [[motor]] 'left' (gpio): GPIOPinInUse: "), error
