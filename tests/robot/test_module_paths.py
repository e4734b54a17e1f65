"""Public names are a contract: what moved into tether.robot and tether.demo stays importable
where it was, as the very object its new home defines; and reading a config loads no driver."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys

import pytest

MOVED = [
    ("tether.config", "tether.robot.config",
     ["ApiKey", "BaseConfig", "ChipConfig", "MotorConfig", "PortConfig", "RobotConfig",
      "ServerConfig", "WebConfig", "load_config", "parse_config", "parse_listen"]),
    ("tether.config_auth", "tether.robot.auth",
     ["DEFAULT_TOKEN_LIFETIME", "ApiKey", "parse_auth", "private_file", "weakness"]),
    ("tether.config_table", "tether.robot.table", ["NUMBER", "PIN", "Table", "is_kind"]),
    ("tether.motor_config", "tether.robot.motors", ["DRIVER_KEYS", "MotorConfig", "parse_motors"]),
    ("tether.wiring", "tether.robot.wiring", ["Claim"]),
    ("tether.wiring", "tether.robot.motors", ["claims"]),
    ("tether.wiring", "tether.robot.models.gpio", ["GPIO_PINS"]),
    ("tether.demo_configs", "tether.robot.presets", ["DEMO_CONFIGS", "demo_config"]),
    ("tether.robot", "tether.robot.build", ["Robot", "build_robot"]),
    ("tether.fakes", "tether.fakes.sim", ["SimRover", "build_sim_rover"]),
    ("tether.fakes.sim", "tether.robot.models", ["HARDWARE"]),
    ("tether.fakes.sim", "tether.robot.models.gpio", ["CHIPS", "WIRING"]),
    ("tether.demo", "tether.demo.in_process", ["DemoResult", "run_demo"]),
    ("tether.demo", "tether.demo.daemon", ["DaemonDemoResult", "run_daemon_demo"]),
    ("tether.demo_client", "tether.demo.client", ["drive"]),
    ("tether.teleop.demo", "tether.demo.gamepad",
     ["STOP_CAUSES", "GamepadDemoResult", "StopDelay", "bundled_recording", "run_gamepad_demo",
      "stopped_after"]),
    ("tether.web.demo", "tether.demo.web", ["run_web_demo"]),
]
CASES = [(old, new, name) for old, new, names in MOVED for name in names]


@pytest.mark.parametrize(("old", "new", "name"), CASES, ids=[f"{o}.{n}" for o, _, n in CASES])
def test_an_old_path_names_the_same_object_as_its_new_home(old: str, new: str, name: str) -> None:
    assert getattr(importlib.import_module(old), name) is getattr(importlib.import_module(new),
                                                                 name)


def loaded_by(statement: str) -> list[str]:
    """The tether modules and hardware libraries a fresh interpreter has after `statement`."""
    code = (f"import json, sys\n{statement}\n"
            "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('tether', 'gpiozero', 'smbus2', 'serial', 'lgpio', 'pigpio'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60, check=True)
    return list(json.loads(out.stdout))


@pytest.mark.parametrize("statement", ["import tether.config", "import tether.robot",
                                       "import tether.robot.models", "import tether.cli",
                                       "import tether.demo"])
def test_reading_configs_and_the_model_table_loads_no_driver_and_no_fake(statement: str) -> None:
    loaded = loaded_by(statement)
    assert [m for m in loaded if m.startswith(("tether.drivers", "tether.fakes"))] == []
    assert [m for m in loaded if not m.startswith("tether")] == []


def test_the_demo_client_process_loads_neither_the_daemon_nor_a_driver() -> None:
    loaded = loaded_by("import tether.demo.client")
    assert [m for m in loaded if m.startswith(("tether.server", "tether.session",
                                               "tether.drivers", "tether.robot"))] == []
