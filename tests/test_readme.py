"""The README's code runs as printed (with the mock pin factory instead of a Pi's)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"


def test_first_python_example_runs_on_mock_pins() -> None:
    block = re.search(r"```python\n(.*?)```", README.read_text(), re.S)
    assert block is not None
    code = block.group(1).replace('make_pin_factory("lgpio")', 'make_pin_factory("mock")')
    code += "\nassert not base.is_moving(), 'the session end stopped the base'\nprint('ok')\n"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


def test_readme_starts_with_the_two_fresh_clone_commands() -> None:
    lines = README.read_text().splitlines()
    commands = lines[lines.index("```sh") + 1 : lines.index("```sh") + 3]
    assert commands[0].endswith("tether demo")
    assert "pytest" in commands[1] and "mypy" in commands[1] and "ruff check" in commands[1]


def test_viam_sdk_example_drives_the_daemon_and_closing_stops_it() -> None:
    pytest.importorskip("viam")
    from tests.server.harness import DaemonThread

    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)
    code = next(b for b in blocks if "RobotClient" in b)
    daemon = DaemonThread()
    try:
        script = code.replace('"127.0.0.1:8080"', repr(daemon.address)).replace(
            "asyncio.sleep(2)", "asyncio.sleep(0.3)"
        )
        done = subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
        )
        assert done.returncode == 0, done.stderr
        assert daemon.wait_until(lambda: not daemon.moving(), 3)
        stops = daemon.daemon.api.sessions.recent_stops()  # type: ignore[union-attr]
        assert [(s.resource, s.outcome.value) for s in stops] == [("base", "stopped")]
    finally:
        daemon.close()


def test_tether_client_example_drives_and_leaving_the_session_stops() -> None:
    from tests.server.harness import DaemonThread

    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)
    code = next(b for b in blocks if "from tether.client import connect" in b)
    daemon = DaemonThread()
    try:
        script = code.replace('"127.0.0.1:8080"', repr(daemon.address))
        done = subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, timeout=60,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        stops = daemon.daemon.api.sessions.recent_stops()  # type: ignore[union-attr]
        assert [(s.resource, s.reason.value) for s in stops] == [("base", "ended")]
        assert not daemon.moving()
    finally:
        daemon.close()
