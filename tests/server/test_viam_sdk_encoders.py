"""viam-sdk, unchanged, against `tether serve` on the encoder examples with --sim: it reads the
motor position, calls go_to and reset_zero_position, reads the encoders and the wheeled-odometry
movement sensor (issue 18)."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.server.harness import EXAMPLES

pytest.importorskip("viam")

CLIENT = Path(__file__).resolve().parent / "clients" / "viam_encoders.py"
#: Both examples' encoders count 1440 edges per wheel turn.
TICKS = 1440
#: Viam's Encoder PositionType ANGLE_DEGREES.
DEGREES = 2
#: Metres per degree of latitude on the sphere geo_point uses.
M_PER_DEG = 6_371_000 * 3.141592653589793 / 180


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def serve(example: str, port: int) -> subprocess.Popen[str]:
    """`tether serve EXAMPLE --sim` on 127.0.0.1:PORT, once it says it serves."""
    daemon = subprocess.Popen(
        [sys.executable, "-m", "tether.cli", "serve", str(EXAMPLES / example), "--sim",
         "--listen", f"127.0.0.1:{port}"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    assert daemon.stdout is not None
    banner = daemon.stdout.readline()
    if "serving" not in banner:
        daemon.kill()
        raise AssertionError(banner + (daemon.stderr.read() if daemon.stderr else ""))
    return daemon


@pytest.mark.parametrize("example", ["rover_encoders.toml", "roboclaw_encoders.toml"])
def test_viam_sdk_reads_positions_encoders_and_odometry_and_moves_to_a_position(
    example: str,
) -> None:
    daemon = serve(example, port := free_port())
    try:
        run = subprocess.run([sys.executable, str(CLIENT), f"127.0.0.1:{port}"],
                             capture_output=True, text=True, timeout=120, check=False)
    finally:
        daemon.send_signal(signal.SIGTERM)
        _out, err = daemon.communicate(timeout=20)
    assert run.returncode == 0, run.stderr[-3000:]
    seen = json.loads(run.stdout.strip().splitlines()[-1])
    print(f"\n{example}: {seen}")
    assert daemon.returncode == 0, err
    assert {"encoder:left_encoder", "encoder:right_encoder", "movement_sensor:odometry",
            "motor:left", "base:base"} <= set(seen["resources"])
    assert seen["start_rev"] == pytest.approx(0, abs=0.01)
    assert seen["after_go_to_2_rev"] == pytest.approx(2.0, abs=0.05), "go_to ends on position"
    assert abs(seen["ticks"]) == pytest.approx(2.0 * TICKS, rel=0.03)
    assert seen["degrees_kind"] == DEGREES
    assert abs(seen["degrees"]) == pytest.approx(abs(seen["ticks"]) / TICKS * 360, abs=1)
    assert seen["after_go_to_half_rev"] == pytest.approx(0.5, abs=0.05), "back, by position"
    assert seen["moving_after"] is False
    assert seen["after_reset_zero_0_25"] == pytest.approx(-0.25, abs=0.01)
    assert seen["ticks_after_reset"] == pytest.approx(0, abs=2)
    assert seen["encoder_properties"] == [True, True]
    assert seen["motor_position_reporting"] is True
    x, y, z = seen["linear_m_s"]
    assert (x, z) == (0, 0) and y == pytest.approx(0.150, rel=0.05), "150 mm/s along +y"
    assert seen["angular_deg_s"] == pytest.approx(0, abs=2)
    latitude, longitude = seen["geo"]
    north_m = latitude * M_PER_DEG
    assert north_m > 0.15 and abs(longitude * M_PER_DEG) < 0.02, "north of the start, ahead"
    assert seen["altitude"] == 0
    assert seen["compass"] == pytest.approx(270, abs=2), "a left spin of 90 deg faces west"
    assert seen["theta"] == pytest.approx(90, abs=2)
    assert seen["sensor_properties"] == [True, True, True, True, True, False]
    assert "UNIMPLEMENTED" in seen["acceleration"], "the subset: acceleration is not served"
