"""A closed client connection ends its sessions from the kernel's word, not the event loop's."""

from __future__ import annotations

import os
import select
import signal
import socket
import subprocess
import sys
import threading
import time
from typing import Any

from tests.server.harness import DaemonThread
from tether.server.hangups import HangupWatch


class SocketTransport:
    """The one thing HangupWatch asks of an asyncio transport."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock

    def get_extra_info(self, name: str) -> Any:
        return self.sock if name == "socket" else None


def hangups() -> tuple[HangupWatch, list[tuple[object, str]], threading.Event]:
    seen: list[tuple[object, str]] = []
    called = threading.Event()

    def on_hangup(key: object) -> None:
        seen.append((key, threading.current_thread().name))
        called.set()

    watch = HangupWatch(on_hangup)
    watch.start()
    return watch, seen, called


def test_a_peer_that_closes_is_reported_once_on_the_watch_thread() -> None:
    watch, seen, called = hangups()
    ours, peer = socket.socketpair()
    try:
        fd = watch.watch(SocketTransport(ours), "key-1")
        assert fd == ours.fileno() and watch.watched == 1
        peer.close()
        assert called.wait(5)
        time.sleep(0.05)
        assert seen == [("key-1", "tether-hangups")]
        watch.forget(fd)
        assert watch.watched == 0
    finally:
        watch.close()
        ours.close()


def test_a_forgotten_socket_is_never_reported_and_a_live_one_not_before_its_close() -> None:
    watch, seen, called = hangups()
    pairs = [socket.socketpair() for _ in range(2)]
    try:
        for index, (ours, _) in enumerate(pairs):
            watch.watch(SocketTransport(ours), index)
        pairs[0][1].sendall(b"data is no hangup")
        watch.forget(pairs[0][0].fileno())
        pairs[0][1].close()
        assert not called.wait(0.2)
        pairs[1][1].close()
        assert called.wait(5)
        assert seen == [(1, "tether-hangups")]
    finally:
        watch.close()
        for ours, peer in pairs:
            ours.close()
            peer.close()


def test_nothing_is_watched_before_start_and_close_ends_the_thread() -> None:
    unstarted = HangupWatch(lambda key: None)
    ours, peer = socket.socketpair()
    assert unstarted.watch(SocketTransport(ours), "k") == -1
    before = set(threading.enumerate())
    watch, _, _ = hangups()
    (thread,) = [t for t in set(threading.enumerate()) - before if t.name == "tether-hangups"]
    assert watch.watch(SocketTransport(ours), "k") >= 0
    watch.close()
    watch.close()
    assert not thread.is_alive()
    watch.start()  # after close: never a new thread, and nothing watched
    assert watch.watch(SocketTransport(ours), "k") == -1
    assert watch.watched == 0
    ours.close()
    peer.close()


CLIENT = """
import sys, time
from tether.client import connect
with connect(sys.argv[1]) as rover, rover.session(heartbeat_window=30.0):
    rover.base("base").set_power(0.5, 0.0)
    print("driving", flush=True)
    time.sleep(120)
"""


def busy(seconds: float) -> None:
    """Hold the event loop in Python code (a burst of requests on a slow CPU looks like this)."""
    until = time.monotonic() + seconds
    while time.monotonic() < until:
        pass


def test_a_killed_client_stops_the_rover_while_the_event_loop_is_busy(
    daemon: DaemonThread,
) -> None:
    """Its window is 30 s, so only its closed connection can stop the base; the loop is busy
    for 2 s from before the kill: the stop comes from the hangup thread."""
    client = subprocess.Popen(
        [sys.executable, "-c", CLIENT, daemon.address], stdout=subprocess.PIPE, text=True,
    )
    try:
        assert client.stdout is not None
        ready, _, _ = select.select([client.stdout], [], [], 30)
        assert ready and client.stdout.readline().strip() == "driving"
        assert daemon.wait_until(daemon.moving, 5)
        daemon.loop.call_soon_threadsafe(busy, 2.0)
        time.sleep(0.2)  # the loop is in busy() now
        killed = time.monotonic()
        os.kill(client.pid, signal.SIGKILL)
        assert daemon.wait_until(lambda: not daemon.moving(), 5)
        stopped = daemon.stopped_at()
        assert stopped is not None
        assert stopped - killed < 1.0, f"stopped {stopped - killed:.3f} s after SIGKILL"
    finally:
        client.kill()
        client.wait(10)
