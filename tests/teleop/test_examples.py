"""examples/gamepad_drive.py and examples/viam_sdk_drive.py run as a user would start them."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tether.demo_configs import demo_config
from tether.server.background import BackgroundDaemon

EXAMPLES = Path(__file__).resolve().parent.parent.parent / "examples"
#: Forward at 0.5 power (255 mm/s) from the tick after 0.175 s to the release at 0.775 s.
SHORT_DRIVE = """# tether gamepad recording v1
0.000 connect Xbox Wireless Controller
0.125 button lb 1
0.175 axis left_y 1.0000
0.375 axis left_y 0.9980
0.575 axis left_y 1.0000
0.775 button lb 0
"""
EXPECTED_MM = 0.575 * 255


@pytest.fixture
def recording(tmp_path: Path) -> Path:
    path = tmp_path / "short.txt"
    path.write_text(SHORT_DRIVE)
    return path


@pytest.fixture
def daemon() -> Iterator[BackgroundDaemon]:
    running = BackgroundDaemon(demo_config("gpio", 0.5), sim=True, listen="127.0.0.1:0")
    yield running
    running.close()


def run_example(*args: str) -> str:
    done = subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=60,
                          check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_gamepad_example_in_process_on_the_simulated_rover(recording: Path) -> None:
    out = run_example(str(EXAMPLES / "gamepad_drive.py"), "--sim", "--replay", str(recording))
    found = re.search(r"ended at x (-?\d+) mm, y (-?\d+) mm .*moving: False", out)
    assert found, out
    assert int(found[1]) == pytest.approx(EXPECTED_MM, abs=60) and abs(int(found[2])) < 10


def test_gamepad_example_as_a_client_of_the_daemon(
    recording: Path, daemon: BackgroundDaemon
) -> None:
    run_example(str(EXAMPLES / "gamepad_drive.py"), "--address", daemon.address,
                "--replay", str(recording))
    assert daemon.sim.rovers["base"].state().x_mm == pytest.approx(EXPECTED_MM, abs=60)
    assert not daemon.moving()


def test_viam_sdk_example_drives_the_same_teleop(recording: Path, daemon: BackgroundDaemon) -> None:
    out = run_example(str(EXAMPLES / "viam_sdk_drive.py"), daemon.address, "--replay",
                      str(recording))
    state = daemon.sim.rovers["base"].state()
    assert state.x_mm == pytest.approx(EXPECTED_MM, abs=60), out
    assert abs(state.y_mm) < 10 and "deadman released: stopping" in out
    assert not daemon.moving()
