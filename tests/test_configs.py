"""Config files: every example checks and builds in sim; errors name file, key and value."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.load import busy_cpu
from tether.config import load_config, parse_config
from tether.demo_configs import DEMO_CONFIGS, demo_config
from tether.errors import ConfigError
from tether.robot import build_robot

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.toml")), ids=lambda p: p.name)
def test_every_example_config_builds_and_drives_in_sim(path: Path) -> None:
    robot = build_robot(load_config(path), sim=True)
    try:
        robot.bases["base"].set_power(0.4, 0.0)
        assert robot.bases["base"].is_moving()
        robot.bases["base"].stop()
    finally:
        robot.close()


def test_a_simulated_controller_answering_late_on_a_busy_cpu_is_no_hardware_fault() -> None:
    # The fake RoboClaw answers from a thread of this process: on a loaded machine its ACK
    # came later than a real controller's 50 ms reply timeout and the base stopped with a
    # HardwareError. The simulated seams give the reply the time a shared CPU needs, and the
    # write twice that: pyserial fails a write that went through if its thread was descheduled
    # past the write deadline (CI: "SerialTimeoutException: Write timeout" at 0.1 s).
    with busy_cpu(16):  # the fake's threads start inside: on the busy CPU too
        robot = build_robot(load_config(EXAMPLES / "roboclaw.toml"), sim=True)
        try:
            link = robot.bases["base"].motors[0].link  # type: ignore[attr-defined]
            assert (link.timeout, link.write_timeout) == (0.5, 1.0)
            for power in (0.4, -0.4) * 30:
                robot.bases["base"].set_power(power, 0.0)
            robot.bases["base"].stop()
        finally:
            robot.close()


def test_rover_toml_is_the_demo_rover_with_the_contract_names() -> None:
    example, embedded = load_config(EXAMPLES / "rover.toml"), demo_config("gpio")
    assert example.motors == embedded.motors
    assert example.bases == embedded.bases
    assert [b.name for b in example.bases] == ["base"]
    assert [m.name for m in example.motors] == ["left", "right"]


@pytest.mark.parametrize("hardware", sorted(DEMO_CONFIGS))
def test_embedded_configs_are_valid(hardware: str) -> None:
    assert demo_config(hardware).resource_names == ["left", "right", "base"]


def minimal(**changes: Any) -> dict[str, Any]:
    config: dict[str, Any] = {
        "motor": [{"name": "left", "driver": "gpio", "in1": 5, "in2": 6},
                  {"name": "right", "driver": "gpio", "in1": 20, "in2": 21}],
        "base": [{"name": "base", "left": ["left"], "right": ["right"], "width_mm": 100,
                  "wheel_circumference_mm": 200}],
    }
    config.update(changes)
    return config


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"servo": {}}, r"\[servo\]: unknown section"),
        ({"server": {"heartbeat_window": 0.01}},
         r"\[server\].heartbeat_window = 0.01: expected a number in \[0.03, 60\]"),
        ({"server": {"listen": "localhost"}}, "expected HOST:PORT or unix:PATH"),
        ({"server": {"port": 1}}, r"\[server\].port = 1: unknown key"),
        ({"motor": [{"name": "left", "driver": "l298"}]}, "driver = 'l298': expected one of gpio"),
        ({"motor": [{"name": "left", "driver": "gpio", "in3": 4}]},
         r"\[\[motor\]\] 'left'.in3 = 4: unknown key"),
        ({"motor": [{"name": "left", "driver": "gpio", "in1": True}]},
         "in1 = True: expected a integer or string"),
        ({"motor": [{"name": "left", "driver": "sabertooth", "port": "nope"}]},
         "port = 'nope': expected the name of a \\[\\[serial\\]\\]"),
        ({"base": [{"name": "base", "left": ["lft"], "right": ["right"], "width_mm": 1,
                    "wheel_circumference_mm": 1}]}, "motor 'lft' is not a \\[\\[motor\\]\\]"),
    ],
)
def test_errors_name_the_file_the_key_and_the_value(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message) as error:
        parse_config(minimal(**changes), "rover.toml")
    assert str(error.value).startswith("rover.toml: ")


def test_fake_hardware_is_refused_without_sim() -> None:
    config = parse_config(minimal(gpio={"pin_factory": "mock"}), "rover.toml")
    with pytest.raises(ConfigError, match="run with --sim"):
        build_robot(config)


def test_a_sim_table_asks_for_fake_hardware_with_or_without_addresses() -> None:
    """README: `--sim` or `[sim]` in the file runs the config on fakes; an empty table too."""
    assert parse_config(minimal(sim={}), "rover.toml").sim
    assert parse_config(minimal(sim=True), "rover.toml").sim
    assert not parse_config(minimal(sim=False), "rover.toml").sim
    config = parse_config(minimal(sim={"pigpio": "127.0.0.1:8888"}), "rover.toml")
    assert config.sim and config.sim_addresses.pigpio == "127.0.0.1:8888"


def test_sim_addresses_are_checked_without_opening_anything() -> None:
    with pytest.raises(ConfigError, match=r"\[sim\].pigpio = 'unix:/tmp/p': expected HOST:PORT "
                                          r"\(pigpio speaks TCP\)"):
        parse_config(minimal(sim={"pigpio": "unix:/tmp/p"}), "rover.toml")
    with pytest.raises(ConfigError, match=r"\[sim\].inspect = 'nowhere': expected HOST:PORT "
                                          "or unix:PATH"):
        parse_config(minimal(sim={"inspect": "nowhere"}), "rover.toml")


def test_serial_controller_timeout_defaults_a_little_above_the_window() -> None:
    config = demo_config("sabertooth", window=0.5)
    assert {m.options["controller_timeout"] for m in config.motors} == {0.6}


def test_tether_check_reports_ok_and_refuses_a_bad_file(tmp_path: Path) -> None:
    ok = subprocess.run([sys.executable, "-m", "tether.cli", "check", str(EXAMPLES / "rover.toml")],
                        capture_output=True, text=True, timeout=60, check=False)
    assert ok.returncode == 0 and "ok;" in ok.stdout
    bad = tmp_path / "bad.toml"
    bad.write_text("[[motor]]\nname = 'x'\ndriver = 'gpio'\nin9 = 1\n")
    failed = subprocess.run([sys.executable, "-m", "tether.cli", "check", str(bad)],
                            capture_output=True, text=True, timeout=60, check=False)
    assert failed.returncode == 2
    assert f"{bad}: [[motor]] 'x'.in9 = 1: unknown key" in failed.stderr


@pytest.mark.parametrize(
    ("web", "message"),
    [
        ({"enabled": True, "listen": "unix:/tmp/x.sock"}, "does not serve a Unix socket"),
        ({"enabled": True, "listen": "0.0.0.0:8081"},
         "a loopback address, or \\[\\[auth.keys\\]\\]"),
        ({"port": 1}, r"\[web\].port = 1: unknown key"),
    ],
)
def test_web_section_errors(web: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_config(minimal(web=web), "rover.toml")


def test_daemon_serves_the_drive_page_when_web_is_enabled() -> None:
    pytest.importorskip("aiohttp")
    import urllib.request

    from tests.server.harness import DaemonThread

    config = parse_config(minimal(web={"enabled": True, "listen": "127.0.0.1:0"}), "rover.toml")
    daemon = DaemonThread(config)
    try:
        assert daemon.daemon.web is not None
        url = daemon.daemon.web.url
        assert url.startswith("http://127.0.0.1:")
        with urllib.request.urlopen(url, timeout=5) as page:
            assert page.status == 200 and b"<html" in page.read().lower()
    finally:
        daemon.close()
    assert daemon.daemon.web is None, "closed with the daemon"
