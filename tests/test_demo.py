"""`tether demo` measures a real stop on the simulated rover; it is not a canned printout."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from tether.cli import main
from tether.demo import run_daemon_demo, run_demo
from tether.fakes.sim import HARDWARE as SIM_HARDWARE


def test_demo_stops_rover_soon_after_deadline_and_at_once_on_end() -> None:
    lines: list[str] = []
    result = run_demo(window=0.1, drive_time=0.4, say=lines.append)
    assert 0 <= result.lapse_delay < 0.05
    assert result.stopped_at > result.last_heartbeat
    assert result.speed_at_deadline_mm_s > 100
    assert 0 < result.travelled_after_deadline_mm < 20
    assert 0 <= result.end_delay < 0.05
    text = "\n".join(lines)
    printed = re.search(r"every wheel at duty 0 ([\d.]+) ms after the session's deadline", text)
    assert printed is not None
    assert abs(float(printed.group(1)) - result.lapse_delay * 1000) < 0.006
    rolled = re.search(r"rolled ([\d.]+) mm after the deadline", text)
    assert rolled is not None
    assert abs(float(rolled.group(1)) - result.travelled_after_deadline_mm) < 0.06


@pytest.mark.parametrize("hardware", SIM_HARDWARE)
def test_demo_runs_on_every_backend_fake(hardware: str) -> None:
    lines: list[str] = []
    result = run_demo(window=0.1, drive_time=0.2, say=lines.append, hardware=hardware)
    assert 0 <= result.lapse_delay < 0.05
    assert 0 <= result.end_delay < 0.05
    assert result.speed_at_deadline_mm_s > 100


def test_demo_rejects_a_bad_window_with_exit_code_2() -> None:
    assert main(["demo", "--window", "0.001"]) == 2


def test_console_script_runs_the_in_process_demo() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "tether.cli", "demo", "--in-process", "--window", "0.1",
         "--drive-time", "0.3"],
        capture_output=True, text=True, timeout=60, check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "after the session's deadline" in done.stdout
    assert "after end()" in done.stdout


@pytest.mark.parametrize("hardware", ["gpio", "adafruit-hat", "roboclaw"])
def test_daemon_demo_kill_stops_fast_and_hang_stops_at_the_window(hardware: str) -> None:
    lines: list[str] = []
    result = run_daemon_demo(window=0.3, drive_time=0.5, say=lines.append, hardware=hardware,
                             guardian=False)
    assert 0 <= result.kill_delay < 0.15, "connection loss ends the session, not the window"
    assert result.speed_at_kill_mm_s > 100
    assert 0 < result.rolled_after_kill_mm < 40
    assert 0.3 - 0.06 - 0.05 <= result.hang_delay <= 0.3 + 0.3
    text = "\n".join(lines)
    shown = re.search(r"every wheel at duty 0 ([\d.]+) ms later", text)
    assert shown is not None
    assert abs(float(shown.group(1)) - result.kill_delay * 1000) < 0.06


@pytest.mark.parametrize("hardware", ["gpio", "adafruit-hat"])
def test_the_daemon_demo_kills_the_daemon_itself_with_and_without_its_guardian(
        hardware: str) -> None:
    lines: list[str] = []
    result = run_daemon_demo(window=0.3, drive_time=0.5, say=lines.append, hardware=hardware)
    assert result.guardian_delay is not None and 0 <= result.guardian_delay < 0.1, \
        "the guardian stops every wheel within 10x its 10 ms target"
    assert result.unguarded_duties is not None
    assert all(d == pytest.approx(0.6, abs=0.01) for d in result.unguarded_duties.values()), \
        "without the guardian GPIO and HAT wheels keep the last duty"
    text = "\n".join(lines)
    shown = re.search(r"SIGKILL of the daemon itself .* every wheel at duty 0 ([\d.]+) ms", text)
    assert shown is not None, text
    assert abs(float(shown.group(1)) - result.guardian_delay * 1000) < 0.06
    assert "with --no-guardian: a second later the wheels still drive" in text


def test_console_script_runs_the_daemon_demo() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "tether.cli", "demo", "--window", "0.2", "--drive-time", "0.3"],
        capture_output=True, text=True, timeout=60, check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "SIGKILL of the client" in done.stdout
    assert "at its session's deadline" in done.stdout
    assert "SIGKILL of the daemon itself" in done.stdout


def test_the_demo_client_still_runs_from_its_old_module_path() -> None:
    """bench/api_bench.py and users' scripts start `python -m tether.demo_client`."""
    from tether.demo_configs import demo_config
    from tether.server.background import BackgroundDaemon

    daemon = BackgroundDaemon(demo_config("gpio", 0.5), sim=True, listen="127.0.0.1:0")
    try:
        with subprocess.Popen(
            [sys.executable, "-m", "tether.demo_client", daemon.address, "0.3"],
            stdout=subprocess.PIPE, text=True,
        ) as client:
            assert client.stdout is not None
            try:
                assert client.stdout.readline().startswith("driving ")
                assert daemon.wait_until(daemon.moving, 5) is not None
            finally:
                client.kill()
    finally:
        daemon.close()
