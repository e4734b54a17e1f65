"""The daemon's Unix socket: never take one another process listens on; set its mode ourselves.

A socket file left by a daemon that died is replaced; one that answers a connection belongs to a
live process and is refused. The new socket is bound, given SOCKET_MODE and only then listened
on, so no client ever connects through a mode the umask chose.
"""

from __future__ import annotations

import contextlib
import os
import socket
import stat

from tether.errors import ConfigError

#: Owner and group read/write (connecting needs write). The group is the daemon's (Group= in
#: examples/tether.service: gpio, whose members may drive the pins anyway); others: nothing.
SOCKET_MODE = 0o660


def bind_unix_socket(path: str, where: str) -> socket.socket:
    """A socket bound at path with SOCKET_MODE, not yet listening; ConfigError if path is live."""
    _remove_stale(path, where)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    bound = False
    try:
        sock.bind(path)
        bound = True
        os.chmod(path, SOCKET_MODE)
    except OSError as exc:
        sock.close()
        if bound:
            with contextlib.suppress(OSError):
                os.unlink(path)
        raise ConfigError(f"{where}: expected a path this daemon can bind and chmod "
                          f"({exc.strerror or exc})") from exc
    return sock


def _remove_stale(path: str, where: str) -> None:
    """Unlink a socket file nobody listens on; refuse one that accepts a connection."""
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return
    if not stat.S_ISSOCK(mode):
        raise ConfigError(f"{where}: {path} exists and is not a socket; expected a free path "
                          "(tether replaces only a socket left by a daemon that died)")
    if _answers(path):
        raise ConfigError(f"{where}: a live process is listening on {path} (or this user may "
                          "not connect to it); expected a free path: stop that process, or give "
                          "this daemon another path")
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


def _answers(path: str) -> bool:
    """True when something accepts (or queues) connections on the socket, or might (no access)."""
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    probe.settimeout(1.0)
    try:
        probe.connect(path)
    except (ConnectionRefusedError, FileNotFoundError):
        return False
    except OSError:
        return True  # a full backlog, no permission, a timeout: not ours to remove
    finally:
        probe.close()
    return True
