"""`tether demo` measures a real stop; it is not a canned printout."""

from __future__ import annotations

import re
import subprocess
import sys

from tether.cli import main
from tether.demo import run_demo


def test_demo_stops_motor_soon_after_deadline_and_at_once_on_end() -> None:
    lines: list[str] = []
    result = run_demo(window=0.1, drive_time=0.2, say=lines.append)
    assert 0 <= result.lapse_delay < 0.05
    assert result.stopped_at > result.last_heartbeat
    assert 0 <= result.end_delay < 0.05
    assert result.reported_delay is not None and result.reported_delay >= 0
    printed = re.search(r"motor stopped ([\d.]+) ms after the session's deadline", "\n".join(lines))
    assert printed is not None
    assert abs(float(printed.group(1)) - result.lapse_delay * 1000) < 0.006


def test_demo_rejects_a_bad_window_with_exit_code_2() -> None:
    assert main(["demo", "--window", "0.001"]) == 2


def test_console_script_runs_the_demo() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "tether.cli", "demo", "--window", "0.1", "--drive-time", "0.2"],
        capture_output=True, text=True, timeout=60, check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "after the session's deadline" in done.stdout
    assert "after end()" in done.stdout
