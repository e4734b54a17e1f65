"""sd_notify against real AF_UNIX datagram sockets the tests bind (a path and the abstract form),
and `tether serve` telling a listening "systemd" READY=1 once serving, STOPPING=1 on SIGTERM."""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tether.server import systemd

ROOT = Path(__file__).resolve().parents[2]


@contextmanager
def manager_socket(*, abstract: bool) -> Iterator[tuple[socket.socket, str]]:
    """A bound datagram socket standing for systemd's, and the $NOTIFY_SOCKET that names it."""
    name = f"tether-test-{uuid.uuid4().hex}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as receiver:
        receiver.settimeout(10)
        if abstract:
            receiver.bind("\0" + name)
            yield receiver, "@" + name
            return
        with tempfile.TemporaryDirectory(prefix="tn-", dir="/tmp") as folder:  # sun_path: 108 B
            path = os.path.join(folder, "notify")
            receiver.bind(path)
            yield receiver, path


def test_ready_reaches_a_socket_path_as_one_datagram() -> None:
    with manager_socket(abstract=False) as (receiver, address):
        assert systemd.ready("serving 'base' on 127.0.0.1:8080", environ={"NOTIFY_SOCKET": address})
        assert receiver.recv(4096) == b"READY=1\nSTATUS=serving 'base' on 127.0.0.1:8080"


def test_an_at_sign_names_the_abstract_namespace() -> None:
    with manager_socket(abstract=True) as (receiver, address):
        env = {"NOTIFY_SOCKET": address}
        assert systemd.stopping("stopping every actuator", environ=env)
        assert systemd.watchdog(environ=env)
        assert receiver.recv(4096) == b"STOPPING=1\nSTATUS=stopping every actuator"
        assert receiver.recv(4096) == b"WATCHDOG=1"


def test_a_status_with_newlines_stays_one_assignment() -> None:
    with manager_socket(abstract=True) as (receiver, address):
        systemd.notify("STATUS=first\nREADY=1", environ={"NOTIFY_SOCKET": address})
        assert receiver.recv(4096) == b"STATUS=first READY=1"
    with pytest.raises(ValueError, match="expected KEY=VALUE"):
        systemd.notify("READY", environ={"NOTIFY_SOCKET": address})


def test_the_process_environment_is_read_when_none_is_given(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with manager_socket(abstract=True) as (receiver, address):
        monkeypatch.setenv("NOTIFY_SOCKET", address)
        assert systemd.ready("up")
        assert receiver.recv(4096) == b"READY=1\nSTATUS=up"


def test_without_notify_socket_nothing_is_sent(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)

    def no_socket(*args: object, **kwargs: object) -> socket.socket:
        raise AssertionError("a socket was opened without NOTIFY_SOCKET")

    monkeypatch.setattr(socket, "socket", no_socket)
    assert systemd.ready("up") is False
    assert systemd.stopping("down", environ={"NOTIFY_SOCKET": ""}) is False
    assert systemd.watchdog(environ={}) is False


def test_an_unusable_socket_is_logged_and_never_raises(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="tether.server.systemd")
    with tempfile.TemporaryDirectory(prefix="tn-", dir="/tmp") as folder:
        gone = os.path.join(folder, "notify")
        assert systemd.ready("up", environ={"NOTIFY_SOCKET": gone}) is False
    assert systemd.ready("up", environ={"NOTIFY_SOCKET": "vsock:2:1234"}) is False
    assert [r.getMessage().split(":")[0] for r in caplog.records] == [
        f"sd_notify READY, STATUS to NOTIFY_SOCKET={gone} failed",
        "NOTIFY_SOCKET='vsock",
    ]


@pytest.mark.parametrize(("environ", "seconds"), [
    ({}, None),
    ({"WATCHDOG_USEC": "2000000"}, 2.0),
    ({"WATCHDOG_USEC": "2000000", "WATCHDOG_PID": "4242"}, 2.0),
    ({"WATCHDOG_USEC": "2000000", "WATCHDOG_PID": "4243"}, None),  # meant for another process
    ({"WATCHDOG_USEC": "0"}, None),
    ({"WATCHDOG_USEC": "soon"}, None),
])
def test_the_watchdog_interval_is_for_this_process_only(
    environ: dict[str, str], seconds: float | None,
) -> None:
    assert systemd.watchdog_interval(environ, pid=4242) == seconds


def test_tether_serve_says_ready_once_serving_and_stopping_on_sigterm() -> None:
    """READY=1 arrives when the port already answers; SIGTERM sends STOPPING=1, exit 0."""
    with manager_socket(abstract=True) as (receiver, address):
        daemon = subprocess.Popen(
            [sys.executable, "-m", "tether.cli", "serve", str(ROOT / "examples" / "rover.toml"),
             "--sim", "--listen", "127.0.0.1:0"],
            env={**os.environ, "NOTIFY_SOCKET": address}, cwd=ROOT,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        try:
            receiver.settimeout(60)  # a cold start on a busy 2-core box
            ready = receiver.recv(4096).decode()
            assert ready.startswith("READY=1\nSTATUS=serving 'left', 'right', 'base' on "), ready
            host, port = ready.rpartition(" on ")[2].split(":")
            socket.create_connection((host, int(port)), timeout=5).close()  # already serving
            daemon.send_signal(signal.SIGTERM)
            assert receiver.recv(4096) == b"STOPPING=1\nSTATUS=stopping every actuator"
            out, err = daemon.communicate(timeout=30)
        finally:
            if daemon.poll() is None:
                daemon.kill()
                daemon.communicate()
    assert daemon.returncode == 0, err
    assert "tether: stopped; every actuator stopped and released" in out


def test_the_example_unit_waits_for_ready_and_gives_lgpio_its_runtime_directory() -> None:
    """Type=notify, LG_WD in the RuntimeDirectory, and WatchdogSec only once tether sends
    WATCHDOG=1 (a watchdog nobody feeds would kill a healthy daemon every interval); the
    daemon, the guardian's child, may notify; the guardian's give-up status is not restarted."""
    unit = (ROOT / "examples" / "tether.service").read_text()
    settings = [line.strip() for line in unit.splitlines()
                if line.strip() and not line.lstrip().startswith(("#", "["))]
    assert "Type=notify" in settings
    assert "RuntimeDirectory=tether" in settings
    assert "Environment=LG_WD=/run/tether" in settings
    feeds = [p for p in (ROOT / "tether").rglob("*.py") if "systemd.watchdog(" in p.read_text()]
    assert any(s.startswith("WatchdogSec=") for s in settings) == bool(feeds)
    from tether.guardian import GAVE_UP

    assert "NotifyAccess=all" in settings
    assert f"RestartPreventExitStatus={GAVE_UP}" in settings
