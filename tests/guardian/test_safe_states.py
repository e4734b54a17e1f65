"""Each model-table row says what "safe" is for its motors, as data the guardian writes."""

from __future__ import annotations

from typing import Any

import pytest

from tether.config import parse_config
from tether.guardian import safe_states
from tether.protocols import pololu_smc, roboclaw, sabertooth
from tether.robot.safe import ChannelOff, PinLevel, StopFrame


def _config(motor: dict[str, Any], **sections: Any) -> Any:
    return parse_config({"motor": [{"name": "m", **motor}], **sections}, "test.toml")


def test_gpio_pins_go_low_and_an_active_low_enable_goes_high() -> None:
    config = _config({"driver": "gpio", "in1": 5, "in2": 6, "pwm": 12, "enable": 17,
                      "enable_active_high": False})
    assert safe_states(config) == [PinLevel("m", 12, 0), PinLevel("m", 17, 1),
                                   PinLevel("m", 5, 0, 1), PinLevel("m", 6, 0, 1)]


def test_gpio_pins_by_gpiozero_name_become_bcm_numbers() -> None:
    config = _config({"driver": "gpio", "direction": "GPIO20", "pwm": "BOARD32"})
    assert safe_states(config) == [PinLevel("m", 12, 0), PinLevel("m", 20, 0, 1)]


def test_every_wheel_loses_power_before_any_direction_pin_is_written() -> None:
    from tether.guardian.outputs import group

    config = parse_config({"motor": [
        {"name": "a", "driver": "gpio", "in1": 5, "in2": 6, "pwm": 12},
        {"name": "b", "driver": "gpio", "in1": 20, "in2": 21},  # DRV8833: PWM on both inputs
    ]}, "test.toml")
    pins, _chips, _ports = group(safe_states(config))
    assert [p.pin for p in pins] == [12, 20, 21, 5, 6]


def test_a_hat_motor_turns_its_three_channels_off() -> None:
    config = _config({"driver": "hat", "chip": "hat", "hat": "adafruit", "motor": "M1"},
                     pca9685=[{"name": "hat", "bus": 1, "address": 0x60}])
    states = safe_states(config)
    assert all(isinstance(s, ChannelOff) and s.chip == "hat" for s in states)
    assert sorted(s.channel for s in states if isinstance(s, ChannelOff)) == [8, 9, 10]


@pytest.mark.parametrize(("driver", "address", "channel", "expected"), [
    ("sabertooth", 130, 2, sabertooth.drive(130, 2, 0.0)),
    ("roboclaw", 0x81, 1, roboclaw.duty(0x81, 1, 0.0)),
])
def test_a_two_channel_controller_gets_duty_zero_on_its_channel(
        driver: str, address: int, channel: int, expected: bytes) -> None:
    config = _config({"driver": driver, "port": "p", "address": address, "channel": channel},
                     serial=[{"name": "p", "port": "/dev/ttyS9"}])
    assert safe_states(config) == [StopFrame("m", "p", expected)]


def test_the_sabertooth_frame_is_the_datasheet_stop() -> None:
    # Packetized serial: address 128, command 0 (motor 1 forward), speed 0, checksum 0x7F & sum.
    config = _config({"driver": "sabertooth", "port": "p"}, serial=[{"name": "p",
                                                                    "port": "/dev/ttyS9"}])
    assert safe_states(config) == [StopFrame("m", "p", bytes([128, 0, 0, 0]))]


@pytest.mark.parametrize("crc", [False, True])
def test_an_smc_gets_stop_motor_which_rearms_safe_start(crc: bool) -> None:
    config = _config({"driver": "smc", "port": "p", "crc": crc},
                     serial=[{"name": "p", "port": "/dev/ttyS9"}])
    [state] = safe_states(config)
    assert isinstance(state, StopFrame)
    assert state.frame == pololu_smc.stop_motor(crc=crc)
    assert state.frame[0] == 0xE0
