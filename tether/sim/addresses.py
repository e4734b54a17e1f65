"""Where the simulated-hardware process is reached: its one ready line, written and read, and
the sockets behind it (``HOST:PORT`` for TCP, ``unix:PATH`` for a Unix socket).

The line names each seam the daemon opens (the fake pigpiod, the fake I2C bus, each serial
port's pty), the inspection socket tests and the demo read the hardware through, and the pid::

    tether sim: pid=4242 inspect=unix:/tmp/tether-sim-x/inspect.sock pigpio=127.0.0.1:8888
        i2c=unix:/tmp/tether-sim-x/i2c.sock serial.saber=/tmp/tether-pty-y/tty

(on one line). Values are shell-quoted, so a path with a space survives the round trip.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import socket
from dataclasses import dataclass, field

from tether.contract.address import parse_listen
from tether.errors import ConfigError

PREFIX = "tether sim: "


@dataclass(frozen=True)
class SimAddresses:
    """The simulated hardware's sockets and ptys, by what reaches them."""

    pid: int
    #: The inspection API (JSON lines): what tests and the demo read and inject through.
    inspect: str
    #: The fake pigpiod (HOST:PORT), if any motor is on GPIO.
    pigpio: str | None = None
    #: The fake I2C bus server, if any motor is on a PCA9685.
    i2c: str | None = None
    #: Each [[serial]] port's pty, by the port's name.
    serial: dict[str, str] = field(default_factory=dict)

    def line(self) -> str:
        """The ready line the process prints once every seam is open."""
        pairs = [("pid", str(self.pid)), ("inspect", self.inspect)]
        pairs += [(k, v) for k, v in (("pigpio", self.pigpio), ("i2c", self.i2c)) if v]
        pairs += [(f"serial.{name}", path) for name, path in self.serial.items()]
        return PREFIX + " ".join(f"{key}={shlex.quote(value)}" for key, value in pairs)

    @classmethod
    def parse(cls, line: str) -> SimAddresses:
        """The addresses a ready line names; ValueError naming the line if it is not one."""
        if not line.startswith(PREFIX):
            raise ValueError(f"{line!r}: expected a line starting {PREFIX!r}")
        found = dict(word.partition("=")[::2] for word in shlex.split(line[len(PREFIX):]))
        if not found.get("pid", "").isdigit() or "inspect" not in found:
            raise ValueError(f"{line!r}: expected pid=N and inspect=ADDRESS")
        serial = {k.removeprefix("serial."): v for k, v in found.items()
                  if k.startswith("serial.")}
        return cls(int(found["pid"]), found["inspect"], found.get("pigpio"), found.get("i2c"),
                   serial)


def listen(address: str, where: str) -> socket.socket:
    """A listening socket at HOST:PORT (port 0: a free one) or unix:PATH (made private)."""
    parsed = parse_listen(address, where)
    if isinstance(parsed, str):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(parsed)
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            server.bind(parsed)
            os.chmod(parsed, 0o600)
            server.listen(64)
        except OSError:
            server.close()
            raise
        return server
    return socket.create_server(parsed, backlog=64)


def bound(server: socket.socket) -> str:
    """The address a listening socket from listen() has, as connect() takes it."""
    if server.family == socket.AF_UNIX:
        return f"unix:{server.getsockname()}"
    host, port = server.getsockname()[:2]
    return f"{host}:{port}"


def connect(address: str, timeout: float) -> socket.socket:
    """A connected socket to HOST:PORT or unix:PATH (ConfigError if it is neither)."""
    parsed = parse_listen(address, "simulated hardware address")
    if isinstance(parsed, str):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.settimeout(timeout)
            sock.connect(parsed)
        except OSError:
            sock.close()
            raise
        return sock
    sock = socket.create_connection(parsed, timeout)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def host_port(address: str) -> tuple[str, int]:
    """(host, port) of a HOST:PORT address (the fake pigpiod's, for pigpio.pi)."""
    parsed = parse_listen(address, "[sim].pigpio")
    if isinstance(parsed, str):
        raise ConfigError(f"[sim].pigpio = {address!r}: expected HOST:PORT (pigpio speaks TCP)")
    return parsed
