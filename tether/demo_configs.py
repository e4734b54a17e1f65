"""The embedded rover configs `tether demo` (and `serve --sim` users) start from, per hardware."""

from __future__ import annotations

from typing import Any

from tether.config import RobotConfig, parse_config

_BASE = {"name": "base", "left": ["left"], "right": ["right"], "width_mm": 160,
         "wheel_circumference_mm": 204}


def _motors(driver: str, left: dict[str, Any], right: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {"name": "left", "driver": driver, "max_rpm": 150, **left},
        {"name": "right", "driver": driver, "max_rpm": 150, **right},
    ]


DEMO_CONFIGS: dict[str, dict[str, Any]] = {
    "gpio": {
        "gpio": {"pin_factory": "lgpio"},
        "motor": _motors(
            "gpio", {"in1": 5, "in2": 6, "pwm": 12}, {"in1": 20, "in2": 21, "pwm": 13}
        ),
    },
    "adafruit-hat": {
        "pca9685": [{"name": "hat", "bus": 1, "address": 0x60}],
        "motor": _motors("hat", {"chip": "hat", "hat": "adafruit", "motor": "M1"},
                         {"chip": "hat", "hat": "adafruit", "motor": "M2"}),
    },
    "waveshare-hat": {
        "pca9685": [{"name": "hat", "bus": 1, "address": 0x40}],
        "motor": _motors("hat", {"chip": "hat", "hat": "waveshare", "motor": "A"},
                         {"chip": "hat", "hat": "waveshare", "motor": "B"}),
    },
    "sabertooth": {
        "serial": [{"name": "saber", "port": "/dev/ttyAMA0", "baudrate": 9600}],
        "motor": _motors("sabertooth", {"port": "saber", "address": 128, "channel": 1},
                         {"port": "saber", "address": 128, "channel": 2}),
    },
    "roboclaw": {
        "serial": [{"name": "claw", "port": "/dev/ttyACM0", "baudrate": 38400}],
        "motor": _motors("roboclaw", {"port": "claw", "address": 0x80, "channel": 1},
                         {"port": "claw", "address": 0x80, "channel": 2}),
    },
    "smc": {
        "serial": [{"name": "smc_left", "port": "/dev/ttyUSB0"},
                   {"name": "smc_right", "port": "/dev/ttyUSB1"}],
        "motor": _motors("smc", {"port": "smc_left"}, {"port": "smc_right"}),
    },
}


def demo_config(hardware: str = "gpio", window: float = 0.5) -> RobotConfig:
    """The embedded two-motor rover ('base' over 'left' and 'right') on the named hardware."""
    if hardware not in DEMO_CONFIGS:
        from tether.errors import ConfigError

        raise ConfigError(f"hardware={hardware!r}: expected one of {', '.join(DEMO_CONFIGS)}")
    data = {
        "server": {"listen": "127.0.0.1:0", "heartbeat_window": window},
        **DEMO_CONFIGS[hardware],
        "base": [_BASE],
    }
    return parse_config(data, f"<embedded {hardware} rover>")
