"""`--listen unix:PATH`: a live socket is never taken over, a dead one is, the mode is 0660.

Every socket here lives in the test's temporary directory; no network traffic at all.
"""

from __future__ import annotations

import asyncio
import os
import socket
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.server.test_auth import rover_data
from tether.client import connect
from tether.config import parse_config
from tether.errors import ConfigError
from tether.server.background import BackgroundDaemon
from tether.server.daemon import Daemon

LISTENER = """
import socket, sys
server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
server.bind(sys.argv[1])
server.listen(8)
print("listening", flush=True)
while True:
    connection, _ = server.accept()
    try:
        connection.sendall(b"still mine")
    except OSError:
        pass  # a probe that hung up at once
    connection.close()
"""


@pytest.fixture
def other_process(tmp_path: Path) -> Iterator[Path]:
    """Another process listening on a Unix socket (it answers 'still mine')."""
    path = tmp_path / "tether.sock"
    process = subprocess.Popen([sys.executable, "-c", LISTENER, str(path)],
                               stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None and process.stdout.readline().strip() == "listening"
        yield path
    finally:
        process.kill()
        process.wait(10)


def answer(path: Path) -> bytes:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        probe.settimeout(5)
        probe.connect(str(path))
        return probe.recv(64)


def start(listen: str) -> tuple[Daemon, str | None, str]:
    """Try to start a sim daemon on listen: (daemon, bound address or None, refusal)."""
    daemon = Daemon(parse_config(rover_data(), "<unix>"), sim=True, listen=listen)

    async def attempt() -> tuple[str | None, str]:
        try:
            bound = await daemon.start()
        except ConfigError as refused:
            return None, str(refused)
        await daemon.stop()
        return bound, ""

    bound, refused = asyncio.run(attempt())
    return daemon, bound, refused


def test_a_socket_another_process_listens_on_is_refused_and_left_alone(
    other_process: Path,
) -> None:
    _, bound, refused = start(f"unix:{other_process}")
    assert bound is None, f"took over {other_process}, another process's live socket"
    assert f"a live process is listening on {other_process}" in refused, refused
    assert refused.startswith(f"--listen = 'unix:{other_process}'"), refused
    assert answer(other_process) == b"still mine", "its socket still works"


def test_a_regular_file_at_the_socket_path_is_refused_and_kept(tmp_path: Path) -> None:
    path = tmp_path / "rover.toml"
    path.write_text("precious = true\n")
    _, bound, refused = start(f"unix:{path}")
    assert path.exists() and path.read_text() == "precious = true\n", "never unlinked"
    assert bound is None and "exists and is not a socket" in refused, refused


def test_a_socket_left_by_a_dead_daemon_is_replaced(tmp_path: Path) -> None:
    path = tmp_path / "tether.sock"
    dead = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    dead.bind(str(path))
    dead.close()  # the file stays; nobody listens
    daemon = BackgroundDaemon(parse_config(rover_data(), "<unix>"), listen=f"unix:{path}")
    try:
        with connect(daemon.address) as client:
            assert ("base", "base") in client.resource_names()
    finally:
        daemon.close()
    assert not path.exists(), "the daemon removes its own socket when it stops"


@pytest.mark.parametrize("umask", [0o000, 0o022, 0o077], ids=oct)
def test_the_socket_is_owner_and_group_read_write_whatever_the_umask(
    umask: int, tmp_path: Path
) -> None:
    path = tmp_path / "tether.sock"
    previous = os.umask(umask)
    try:
        daemon = BackgroundDaemon(parse_config(rover_data(), "<unix>"), listen=f"unix:{path}")
    finally:
        os.umask(previous)
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode == 0o660, f"socket mode {mode:04o} under umask {umask:04o}"
        with connect(daemon.address) as client:
            assert ("base", "base") in client.resource_names()
    finally:
        daemon.close()
