"""viam-sdk, unchanged, in real client processes against the daemon: sessions end as promised."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.server.harness import EXAMPLES, DaemonThread

pytest.importorskip("viam")

CLIENT = Path(__file__).resolve().parent / "clients" / "viam_drive.py"
TWO_CLIENTS = CLIENT.parent / "viam_two_clients.py"
WINDOW = 0.5  # examples/rover.toml


class Client:
    """A viam-sdk client process."""

    def __init__(self, address: str, linear: float, mode: str = "hold") -> None:
        self.process = subprocess.Popen(
            [sys.executable, str(CLIENT), address, str(linear), mode],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline().strip()
        if line != "driving":
            self.process.kill()
            raise AssertionError(f"client did not start: {line!r} {self.process.stderr.read()}")  # type: ignore[union-attr]

    def signal(self, signum: int) -> float:
        sent = time.monotonic()
        self.process.send_signal(signum)
        return sent

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(10)


@pytest.fixture
def clients() -> Iterator[list[Client]]:
    started: list[Client] = []
    yield started
    for client in started:
        client.close()


def test_sigkilled_client_stops_the_rover_long_before_the_window(
    daemon: DaemonThread, clients: list[Client]
) -> None:
    clients.append(client := Client(daemon.address, 0.5))
    assert daemon.wait_until(daemon.moving, 5)
    time.sleep(0.3)
    killed = client.signal(signal.SIGKILL)
    assert daemon.wait_until(lambda: not daemon.moving(), 5)
    stopped = daemon.stopped_at()
    assert stopped is not None
    assert stopped - killed < WINDOW / 2, f"stopped {stopped - killed:.3f} s after SIGKILL"
    assert daemon.daemon.api.sessions.sessions() == []  # type: ignore[union-attr]


def test_sdk_drives_a_motor_and_its_heartbeats_keep_the_session_alive(
    daemon: DaemonThread, clients: list[Client]
) -> None:
    clients.append(client := Client(daemon.address, -0.35, "motor"))
    assert daemon.wait_until(lambda: daemon.duties()["left"] == pytest.approx(-0.35), 5)
    time.sleep(3 * WINDOW)
    assert daemon.duties()["left"] == pytest.approx(-0.35), "heartbeats alone kept it alive"
    (session,) = daemon.daemon.api.sessions.sessions()  # type: ignore[union-attr]
    assert daemon.daemon.api.sessions.owner_of("left") is session  # type: ignore[union-attr]
    assert daemon.daemon.api.tracker.connections_of(session.id) == 2, "the SDK's two connections"  # type: ignore[union-attr]
    client.signal(signal.SIGKILL)
    assert daemon.wait_until(lambda: not daemon.moving(), 5)


def test_hung_client_keeping_its_connections_is_stopped_at_the_window(
    daemon: DaemonThread, clients: list[Client]
) -> None:
    clients.append(client := Client(daemon.address, 0.4))
    assert daemon.wait_until(daemon.moving, 5)
    time.sleep(0.3)
    frozen = client.signal(signal.SIGSTOP)
    assert daemon.wait_until(lambda: not daemon.moving(), 5)
    stopped = daemon.stopped_at()
    assert stopped is not None
    delay = stopped - frozen
    assert WINDOW - WINDOW / 5 - 0.05 <= delay <= WINDOW + 0.3, f"stopped after {delay:.3f} s"
    assert client.process.poll() is None, "the hung client still holds its connections"


def test_second_client_takes_the_base_and_the_first_ones_death_stops_nothing(
    daemon: DaemonThread, clients: list[Client]
) -> None:
    clients.append(first := Client(daemon.address, 0.3))
    clients.append(second := Client(daemon.address, 0.6))
    assert daemon.wait_until(lambda: daemon.duties()["left"] == pytest.approx(0.6), 5)
    first.signal(signal.SIGKILL)
    first.process.wait(5)
    time.sleep(WINDOW + 0.3)
    assert daemon.duties()["left"] == pytest.approx(0.6), "the second client still drives"
    killed = second.signal(signal.SIGKILL)
    assert daemon.wait_until(lambda: not daemon.moving(), 5)
    stopped = daemon.stopped_at()
    assert stopped is not None and stopped - killed < WINDOW / 2


def test_one_client_closing_leaves_another_client_of_its_process_connected(
    daemon: DaemonThread,
) -> None:
    """viam-sdk's close() blocks its loop ~1 s (it joins the heartbeat thread): the daemon's
    keepalive must not drop the other RobotClient's connection meanwhile (it did, at 0.5 s)."""
    run = subprocess.run([sys.executable, str(TWO_CLIENTS), daemon.address],
                         check=False, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr[-3000:]
    seen = json.loads(run.stdout.strip().splitlines()[-1])
    assert seen["close_s"] >= 0.8, f"close() held the loop {seen['close_s']:.3f} s, not ~1 s"
    assert seen["errors"] == [], f"the other client's calls failed: {seen}"
    assert seen["calls_before"] > 0 and seen["calls_after"] > 0 and seen["b_drove"], seen
    assert daemon.wait_until(lambda: not daemon.moving(), 5), "B's close stopped the base"


def _serve(port: int) -> subprocess.Popen[str]:
    daemon = subprocess.Popen(
        [sys.executable, "-m", "tether.cli", "-v", "serve", str(EXAMPLES / "rover.toml"), "--sim",
         "--listen", f"127.0.0.1:{port}"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    assert daemon.stdout is not None
    banner = daemon.stdout.readline()
    assert "serving" in banner, banner + (daemon.stderr.read() if daemon.stderr else "")
    return daemon


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_sigterm_to_the_daemon_stops_every_motor_before_it_exits(clients: list[Client]) -> None:
    port = _free_port()
    daemon = _serve(port)
    try:
        clients.append(Client(f"127.0.0.1:{port}", 0.7))
        time.sleep(0.3)
        daemon.send_signal(signal.SIGTERM)
        out, err = daemon.communicate(timeout=20)
    finally:
        if daemon.poll() is None:
            daemon.kill()
    assert daemon.returncode == 0, err
    final = [line for line in out.splitlines() if line.startswith("tether: duties at exit")]
    assert final == ["tether: duties at exit: left=0, right=0"], out


def test_viam_sdk_drives_again_on_a_fresh_session_after_a_daemon_restart(
    clients: list[Client],
) -> None:
    port = _free_port()
    daemon = _serve(port)
    try:
        clients.append(client := Client(f"127.0.0.1:{port}", 0.2, "loop"))
        time.sleep(0.5)
        daemon.send_signal(signal.SIGTERM)
        daemon.communicate(timeout=20)
        daemon = _serve(port)
        assert client.process.stdout is not None
        os.set_blocking(client.process.stdout.fileno(), False)
        seen: list[str] = []
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not (seen and seen[-1] == "ok" and any(
                "error" in line for line in seen)):
            line = client.process.stdout.readline().strip()
            if line:
                seen.append(line)
            else:
                time.sleep(0.02)
        errors = [line for line in seen if line.startswith("error")]
        assert errors, "the restart was noticed"
        assert seen[-1] == "ok", f"driving resumed on a fresh session: {seen[-5:]}"
    finally:
        daemon.send_signal(signal.SIGTERM)
        daemon.communicate(timeout=20)


def test_viam_sdk_over_a_unix_socket(tmp_path: Path, clients: list[Client]) -> None:
    socket_path = tmp_path / "tether.sock"
    daemon = DaemonThread(listen=f"unix:{socket_path}")
    try:
        assert daemon.address == f"unix:{socket_path}"
        clients.append(client := Client(str(socket_path), 0.3))
        assert daemon.wait_until(daemon.moving, 5)
        killed = client.signal(signal.SIGKILL)
        assert daemon.wait_until(lambda: not daemon.moving(), 5)
        stopped = daemon.stopped_at()
        assert stopped is not None and stopped - killed < WINDOW / 2
    finally:
        daemon.close()
    assert not socket_path.exists(), "the daemon removed its socket"
