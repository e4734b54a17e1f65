"""The model table is the one place a hardware family is described: a row added there is checked,
refused, built on real seams, simulated and listed by `tether check`, with nothing else changed."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from tether.cli import main
from tether.config import parse_config
from tether.errors import ConfigError
from tether.fakes.channel import DutyChannel
from tether.fakes.hbridge import PinSource
from tether.fakes.pigpiod import FakePigpiod
from tether.robot import build_robot
from tether.robot.fake_hardware import FakeHardware
from tether.robot.hardware import SharedDrivers
from tether.robot.model import Checking, Model
from tether.robot.models import HARDWARE, MODELS, PRESETS, sabertooth
from tether.robot.table import Table
from tether.robot.wiring import MotorConfig

SYREN_ROVER = """
[[serial]]
name = "front"
port = "/dev/ttyAMA0"

[[serial]]
name = "back"
port = "/dev/ttyUSB0"

[[motor]]
name = "left"
driver = "syren"
port = "front"
address = 129

[[motor]]
name = "right"
driver = "syren"
port = "back"
address = 130
"""


def syren_check(table: Table, options: dict[str, Any], checking: Checking) -> None:
    """A SyRen speaks the Sabertooth's packets but drives one motor: channel 1 only."""
    sabertooth.check(table, options, checking)
    if options["channel"] != 1:
        raise table.fail("channel", "1 (a SyRen drives one motor)")


#: A new family as one row: the SyRen, a Sabertooth with one channel.
SYREN = replace(sabertooth.MODEL, driver="syren", check=syren_check, presets={})


@pytest.fixture
def syren(monkeypatch: pytest.MonkeyPatch) -> Model:
    """The table with the SyRen row added, as its module would add it."""
    monkeypatch.setitem(MODELS, "syren", SYREN)
    return SYREN


def test_a_family_added_as_one_row_is_checked_and_built_on_its_fake(
    syren: Model, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "rover.toml"
    path.write_text(SYREN_ROVER)
    assert main(["check", str(path)]) == 0, capsys.readouterr().err
    assert "left (syren), right (syren)" in capsys.readouterr().out
    config = parse_config({"server": {"heartbeat_window": 0.5}, **_toml(SYREN_ROVER)}, "r.toml")
    assert [m.options["controller_timeout"] for m in config.motors] == [0.6, 0.6]
    robot = build_robot(config, sim=True)
    try:
        assert robot.devices["serial-back"].address == 130
        robot.motors["right"].set_power(0.5)
        assert _wait_for_duty(robot.outputs["right"], 0.5) == pytest.approx(0.5, abs=1 / 127)
        assert robot.outputs["left"].duty == 0.0
    finally:
        robot.close()


def test_a_family_added_as_one_row_has_its_own_refusals(syren: Model) -> None:
    bad = _toml(SYREN_ROVER.replace("address = 130", "address = 130\nchannel = 2"))
    with pytest.raises(ConfigError, match=r"'right'.channel = 2: expected 1 \(a SyRen drives"):
        parse_config(bad, "rover.toml")
    with pytest.raises(ConfigError, match="expected one of gpio, hat, sabertooth, roboclaw, "
                                          "smc, syren"):
        parse_config(_toml(SYREN_ROVER.replace('driver = "syren"', 'driver = "syrne"', 1)))


def test_without_its_row_the_family_is_refused_naming_the_drivers_there_are() -> None:
    with pytest.raises(ConfigError, match=r"driver = 'syren': expected one of gpio, hat, "
                                          r"sabertooth, roboclaw, smc$"):
        parse_config(_toml(SYREN_ROVER), "rover.toml")


def test_every_demo_preset_belongs_to_a_row_and_builds_in_sim() -> None:
    assert HARDWARE == ("gpio", "adafruit-hat", "waveshare-hat", "sabertooth", "roboclaw", "smc")
    for name, (row, _preset) in PRESETS.items():
        assert MODELS[row.driver] is row, name


@pytest.mark.parametrize("driver", sorted(MODELS))
def test_no_row_redefines_a_key_every_motor_takes(driver: str) -> None:
    from tether.robot.motors import COMMON_KEYS

    assert set(MODELS[driver].keys).isdisjoint(COMMON_KEYS)


def _wait_for_duty(output: DutyChannel, expected: float) -> float:
    """The output's duty once the bytes in flight have reached the fake (or after 2 s)."""
    until = time.monotonic() + 2.0
    while abs(output.duty - expected) > 1 / 127 and time.monotonic() < until:
        time.sleep(0.001)
    return output.duty


def _toml(text: str) -> dict[str, Any]:
    import tomllib

    return tomllib.loads(text)


class PigpiodHardware(FakeHardware):
    """The GPIO seam moved behind a socket: the H-bridge models watch a fake pigpiod's pins, the
    driver reaches them through gpiozero's PiGPIOFactory over TCP, as a fake in another process
    would be reached."""

    def __init__(self, daemon: FakePigpiod, closers: list[Callable[[], None]]) -> None:
        super().__init__("<pigpiod rover>", (), time.monotonic, {}, closers)
        self.daemon = daemon
        self.factory: Any = None

    def pins(self) -> PinSource:
        return self.daemon.pins

    def pin_factory(self) -> Any:
        if self.factory is None:
            from gpiozero.pins.pigpio import PiGPIOFactory

            self.factory = PiGPIOFactory(host=self.daemon.host, port=self.daemon.port)
        return self.factory


def test_the_gpio_row_runs_unchanged_with_its_fake_behind_a_socket() -> None:
    """The fake builder and the real builder meet only at the seam: moving the fake's pins
    behind a TCP socket changes no row."""
    pytest.importorskip("pigpio")
    closers: list[Callable[[], None]] = []
    motor = MotorConfig("left", "gpio", {"in1": 5, "in2": 6, "pwm": 12})
    with FakePigpiod().start() as daemon:
        hardware = PigpiodHardware(daemon, closers)
        output = MODELS["gpio"].fake(motor, hardware)
        built = MODELS["gpio"].build(motor, SharedDrivers(hardware, (), (), closers))
        try:
            built.set_power(-0.4)
            assert output.duty == pytest.approx(-0.4, abs=1e-4)
            assert daemon.duty(12) == pytest.approx(0.4, abs=1e-4)
            built.stop()
            assert output.duty == 0.0
        finally:
            built.close()
            hardware.factory.close()
            daemon.wait_for_clients(0)
