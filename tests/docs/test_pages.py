"""The site's daemon examples do what their pages say: driving starts a session, leaving stops."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from tests.docs.blocks import DOCS


def example(page: str, marker: str) -> str:
    blocks: list[str] = re.findall(r"```python\n(.*?)```", (DOCS / page).read_text(), re.S)
    return next(b for b in blocks if marker in b)


def test_viam_sdk_example_drives_the_daemon_and_closing_stops_it() -> None:
    pytest.importorskip("viam")
    from tests.server.harness import DaemonThread

    code = example("daemon.md", "RobotClient")
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


@pytest.mark.parametrize("page", ["client.md", "getting-started.md"])
def test_tether_client_example_drives_and_leaving_the_session_stops(page: str) -> None:
    from tests.server.harness import DaemonThread

    code = example(page, "from tether.client import connect\n\nwith connect(")
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


def test_first_script_stops_the_simulated_rover_at_the_window() -> None:
    """Getting started's first script prints the stop delay it promises (the 0.3 s window)."""
    code = example("getting-started.md", "build_sim_rover")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    delay = re.search(r"every wheel at duty 0 ([\d.]+) s after the last heartbeat", done.stdout)
    assert delay is not None, done.stdout
    assert 0.25 <= float(delay.group(1)) <= 3.0, "stopped by the watchdog, near the window"
