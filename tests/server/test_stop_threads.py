"""The daemon's stop paths when the process can start no new thread (after start-up)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.server.harness import DaemonThread
from tether.config import parse_config
from tether.fakes.threads import threads_refused

WHEELS = ("left", "right", "left2", "right2")
PINS = {"left": (5, 6, 12), "right": (20, 21, 13), "left2": (16, 19, 18), "right2": (23, 24, 26)}


def skid_steer() -> dict[str, Any]:
    """One base on four GPIO motors, two a side."""
    return {
        "server": {"listen": "127.0.0.1:0", "heartbeat_window": 0.5},
        "motor": [
            {"name": n, "driver": "gpio", "in1": a, "in2": b, "pwm": p, "max_rpm": 150}
            for n, (a, b, p) in PINS.items()
        ],
        "base": [{"name": "base", "left": ["left", "left2"], "right": ["right", "right2"],
                  "width_mm": 160, "wheel_circumference_mm": 204}],
    }


@pytest.fixture
def rover() -> Iterator[DaemonThread]:
    daemon = DaemonThread(parse_config(skid_steer(), "<skid-steer rover>"))
    yield daemon
    daemon.close()


def drive(rover: DaemonThread) -> None:
    rover.robot.bases["base"].set_power(0.3, 0)
    assert {n: rover.duties()[n] for n in WHEELS} == dict.fromkeys(WHEELS, 0.3)


def test_stop_rpc_path_stops_every_wheel_with_no_new_thread(rover: DaemonThread) -> None:
    drive(rover)
    api = rover.daemon.api
    assert api is not None
    with threads_refused() as refused:
        rover.call(api.run_stop(rover.robot.bases["base"].stop))
    assert rover.duties() == dict.fromkeys(WHEELS, 0.0)
    assert refused == [], "a stop asked for a new thread"


def test_daemon_stop_stops_every_wheel_with_no_new_thread(rover: DaemonThread) -> None:
    """What SIGTERM runs: it must neither raise nor leave a wheel turning."""
    drive(rover)
    with threads_refused() as refused:
        rover.close()
    assert rover.duties() == dict.fromkeys(WHEELS, 0.0)
    assert refused == [], "shutting down asked for a new thread"
