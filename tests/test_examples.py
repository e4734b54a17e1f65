"""The example scripts run, on simulated hardware, as a user would start them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def test_gpio_rover_example_drives_a_square_in_sim() -> None:
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / "gpio_rover.py"), "--sim"],
        capture_output=True, text=True, timeout=60, check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "square driven: odometer 4" in done.stdout
    assert "base moving: False" in done.stdout
