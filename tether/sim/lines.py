"""JSON lines over a local socket: the simulated-hardware process's own small protocol.

One request per line (``{"op": NAME, ...}``), one answer per line: ``{"ok": VALUE}`` or
``{"error": MESSAGE, "kind": "KeyError" | "ValueError" | "OSError", "errno": N}``. The I2C bus
and the inspection API both speak it; each socket gets its own thread, as the fake pigpiod's do.
"""

from __future__ import annotations

import contextlib
import json
import logging
import socket
import threading
from collections.abc import Callable
from typing import Any

from tether.sim.addresses import bound, connect, listen

log = logging.getLogger("tether.sim")

#: op name -> what answers it, given the request's other fields.
Handler = Callable[[dict[str, Any]], Any]
#: Errors a handler may raise that go back to the caller as such (anything else is a bug).
ANSWERED = (KeyError, ValueError, OSError)
#: Longest request line accepted (bytes): a block write is a few hundred.
MAX_LINE = 1 << 20


class LineServer:
    """Serves `handlers` by op name on one listening socket; counts who is connected."""

    def __init__(self, address: str, where: str, handlers: dict[str, Handler]) -> None:
        self.handlers = handlers
        self._listener = listen(address, where)
        self.address = bound(self._listener)
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()
        self._thread = threading.Thread(target=self._accept, name=f"tether-sim-{where}",
                                        daemon=True)
        self._thread.start()

    def clients(self) -> int:
        """Connections open now."""
        with self._lock:
            return len(self._open)

    def close(self) -> None:
        """Stop accepting and hang up on everyone; idempotent."""
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)
        self._listener.close()
        with self._lock:
            connections = list(self._open)
        for sock in connections:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def _accept(self) -> None:
        while True:
            try:
                sock, _peer = self._listener.accept()
            except OSError:
                return
            with self._lock:
                self._open.add(sock)
            threading.Thread(target=self._serve, args=(sock,), name="tether-sim-client",
                             daemon=True).start()

    def _serve(self, sock: socket.socket) -> None:
        try:
            with sock, sock.makefile("rb") as reader:
                for line in iter(lambda: reader.readline(MAX_LINE), b""):
                    sock.sendall(self.answer(line) + b"\n")
        except OSError as error:
            log.debug("simulated hardware: a client went: %s", error)
        finally:
            with self._lock:
                self._open.discard(sock)

    def answer(self, line: bytes) -> bytes:
        """The answer line to one request line."""
        try:
            request = json.loads(line)
            handler = self.handlers[request.pop("op")]
        except (ValueError, KeyError, TypeError, AttributeError):
            return _error(ValueError(f"{line[:80]!r}: expected a JSON object with an op of "
                                     f"{', '.join(sorted(self.handlers))}"))
        try:
            return json.dumps({"ok": handler(request)}).encode()
        except ANSWERED as error:
            return _error(error)


def _error(error: BaseException) -> bytes:
    kind = "OSError" if isinstance(error, OSError) else type(error).__name__
    message = error.args[0] if isinstance(error, KeyError) and error.args else str(error)
    answer: dict[str, Any] = {"error": str(message), "kind": kind}
    if isinstance(error, OSError):
        answer["errno"] = error.errno
        answer["error"] = error.strerror or str(error)
    return json.dumps(answer).encode()


class LineConnection:
    """The caller's side: one request at a time (a lock), errors raised as their kind."""

    def __init__(self, address: str, timeout: float = 10.0) -> None:
        self.address = address
        self._sock = connect(address, timeout)
        self._reader = self._sock.makefile("rb")
        self._lock = threading.Lock()
        self.closed = False

    def call(self, op: str, **fields: Any) -> Any:
        """Send one request and return its answer's value (or raise its error)."""
        request = json.dumps({"op": op, **fields}).encode() + b"\n"
        with self._lock:
            if self.closed:
                raise ConnectionError(f"{self.address}: this connection is closed")
            self._sock.sendall(request)
            line = self._reader.readline(MAX_LINE)
        if not line:
            raise ConnectionError(f"{self.address}: the simulated hardware process has gone")
        answer = json.loads(line)
        if "ok" in answer:
            return answer["ok"]
        kind, message = answer.get("kind"), answer.get("error", "")
        if kind == "OSError":
            raise OSError(answer.get("errno"), message)
        raise {"KeyError": KeyError, "ValueError": ValueError}.get(kind, RuntimeError)(message)

    def close(self) -> None:
        """Hang up; idempotent."""
        with self._lock:
            if self.closed:
                return
            self.closed = True
            with contextlib.suppress(OSError):
                self._sock.shutdown(socket.SHUT_RDWR)
            self._reader.close()
            self._sock.close()
