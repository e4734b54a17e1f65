"""One client socket of the fake pigpiod: exact reads, and once it carries notifications, an
outbox drained by its own thread so a slow reader never stalls whoever changed a pin."""

from __future__ import annotations

import contextlib
import socket
import threading

#: Bytes of reports a notification socket may have waiting before new ones are dropped (and
#: counted): a million reports, about 4 minutes of a 4 kHz edge stream nobody reads.
MAX_OUTBOX = 12 * 1_000_000


class Connection:
    """A client's socket; `send` is for replies, `queue` for notification reports."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.peer = sock.getpeername()
        self.dropped = 0
        self._outbox = bytearray()
        self._wake = threading.Condition()
        self._sender: threading.Thread | None = None
        self._closed = False

    def receive(self, size: int) -> bytes | None:
        """Exactly `size` bytes, or None when the client has gone."""
        data = bytearray()
        while len(data) < size:
            chunk = self.sock.recv(size - len(data))
            if not chunk:
                return None
            data += chunk
        return bytes(data)

    def send(self, data: bytes) -> None:
        """A reply: written now, or after the reports already queued on a notification socket."""
        with self._wake:
            if self._sender is not None:
                self._outbox += data
                self._wake.notify()
                return
        self.sock.sendall(data)

    def stream(self) -> None:
        """From now on this socket carries reports (NOIB): start its sender, Nagle back on."""
        with self._wake:
            if self._sender is not None:
                return
            self._sender = threading.Thread(
                target=self._drain, name=f"fake-pigpiod-notify-{self.peer[1]}", daemon=True
            )
        with contextlib.suppress(OSError):  # pigpiod re-enables Nagle on notification sockets
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 0)
        self._sender.start()

    def queue(self, data: bytes) -> None:
        """Reports for the client; dropped (and counted) if it has stopped reading."""
        with self._wake:
            if self._closed:
                return
            if len(self._outbox) + len(data) > MAX_OUTBOX:
                self.dropped += len(data) // 12
                return
            self._outbox += data
            self._wake.notify()

    def close(self) -> None:
        """Stop the sender after what is queued, then close the socket; idempotent."""
        with self._wake:
            self._closed = True
            self._wake.notify()
            sender = self._sender
        if sender is not None and sender is not threading.current_thread():
            sender.join(2.0)
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()

    def _drain(self) -> None:
        while True:
            with self._wake:
                while not self._outbox and not self._closed:
                    self._wake.wait()
                if not self._outbox:
                    return
                data = bytes(self._outbox)
                self._outbox.clear()
            try:
                self.sock.sendall(data)
            except OSError:
                with self._wake:
                    self._closed = True
                    self._outbox.clear()
                return
