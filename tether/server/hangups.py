"""A thread that learns of a client's closed connection from the kernel, not from the event loop.

The loop hears of a closed connection only when it next polls: on a slow or throttled CPU,
tens of milliseconds into other clients' requests. The kernel knows at once. This thread sleeps
in an epoll of its own on every client socket (EPOLLRDHUP: the peer closed; a killed client's
sockets close with it) and ends the sessions that connection was the last one of right away;
the loop's connection_lost then finds nothing left to end. A peer that only half-closed can send
no heartbeat or command any more, so its sessions end too (as the loop would end them on EOF).
"""

from __future__ import annotations

import contextlib
import logging
import os
import select
import threading
from collections.abc import Callable
from typing import Any

log = logging.getLogger("tether.server")

#: The peer closed (or half-closed) or the socket failed; reported once per registration.
_EVENTS = select.EPOLLRDHUP | select.EPOLLHUP | select.EPOLLERR | select.EPOLLONESHOT


class HangupWatch:
    """Calls on_hangup(key) on its own thread when a watched socket's peer goes away."""

    def __init__(self, on_hangup: Callable[[Any], object]) -> None:
        self._on_hangup = on_hangup
        self._lock = threading.Lock()
        self._keys: dict[int, Any] = {}
        self._epoll: select.epoll | None = None
        self._wake_read, self._wake_write = -1, -1
        self._thread: threading.Thread | None = None
        self._closed = False

    def start(self) -> None:
        """Start the thread and open its epoll (with the server: a daemon at its thread or fd
        limit learns it at start, and its fd count stays flat); idempotent."""
        with self._lock:
            self._start_locked()

    def watch(self, transport: Any, key: Any) -> int:
        """Watch the transport's socket (if it has one) under key, once started. The socket's
        fd, for forget(); -1 when it is not watched."""
        sock = transport.get_extra_info("socket")
        fd = sock.fileno() if sock is not None else -1
        if fd < 0:
            return -1
        with self._lock:
            epoll = self._epoll
            if epoll is None:
                return -1
            try:
                epoll.register(fd, _EVENTS)
            except OSError as exc:  # the loop still ends its sessions on connection_lost
                log.warning("not watching connection fd %d for hangups: %s", fd, exc)
                return -1
            self._keys[fd] = key
        return fd

    def forget(self, fd: int) -> None:
        """Stop watching the fd watch() returned (from connection_lost): after this returns,
        on_hangup is never called for it."""
        if fd < 0:
            return
        with self._lock:
            if self._keys.pop(fd, None) is not None and self._epoll is not None:
                with contextlib.suppress(OSError):
                    self._epoll.unregister(fd)

    @property
    def watched(self) -> int:
        """Sockets watched now."""
        return len(self._keys)

    def close(self) -> None:
        """End the thread and release its epoll; idempotent."""
        with self._lock:
            self._closed = True
            epoll, self._epoll = self._epoll, None
            thread, self._thread = self._thread, None
            self._keys.clear()
            if epoll is None:
                return
            os.write(self._wake_write, b"x")
        if thread is not None and thread is not threading.current_thread():
            thread.join(2)
        epoll.close()
        for fd in (self._wake_read, self._wake_write):
            with contextlib.suppress(OSError):
                os.close(fd)

    def _start_locked(self) -> None:
        if self._epoll is not None or self._closed:
            return
        try:
            epoll = select.epoll()
            self._wake_read, self._wake_write = os.pipe()
            epoll.register(self._wake_read, select.EPOLLIN)
            thread = threading.Thread(
                target=self._run, args=(epoll,), name="tether-hangups", daemon=True
            )
            thread.start()
        except (OSError, RuntimeError) as exc:  # no thread or fd to be had: the loop still ends
            log.warning("no hangup watch thread (%s); closed connections end their sessions "
                        "when the event loop sees them", exc)
            return
        self._epoll, self._thread = epoll, thread

    def _run(self, epoll: select.epoll) -> None:
        while True:
            try:
                events = epoll.poll()
            except OSError:  # closed under us
                return
            for fd, _ in events:
                if fd == self._wake_read:
                    return
                self._hung_up(fd)

    def _hung_up(self, fd: int) -> None:
        """Under the lock, so that forget() (the loop's connection_lost) can't race it."""
        with self._lock:
            key = self._keys.pop(fd, None)
            if key is None:
                return
            try:
                self._on_hangup(key)
            except Exception:
                log.exception("ending the sessions of a closed connection failed; the event "
                              "loop ends them when it sees the close")
