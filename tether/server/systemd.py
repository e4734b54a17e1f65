"""systemd's notify protocol (sd_notify(3)): tell the service manager the daemon is ready, alive
or stopping, in one datagram of newline-separated KEY=VALUE lines to the AF_UNIX socket named by
$NOTIFY_SOCKET (a leading '@' names Linux's abstract namespace). Without $NOTIFY_SOCKET (not
started by systemd, or not Type=notify) every call does nothing.

Written here, in a few lines, rather than depended on: python-systemd and cysystemd build against
libsystemd with a compiler on the Pi, sdnotify's last release is from 2017, and none is among the
decided dependencies; the protocol is one sendto().
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Mapping

log = logging.getLogger(__name__)


def notify(*assignments: str, environ: Mapping[str, str] | None = None) -> bool:
    """Send KEY=VALUE assignments in one datagram; False when there is no manager to tell or the
    send failed (logged: a lost notification must never stop the daemon)."""
    env = os.environ if environ is None else environ
    address = _address(env.get("NOTIFY_SOCKET", ""))
    if address is None:
        return False
    message = "\n".join(_one_line(a) for a in assignments).encode()
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as link:
            link.sendto(message, address)
    except OSError as exc:
        log.warning("sd_notify %s to NOTIFY_SOCKET=%s failed: %s",
                    ", ".join(a.partition("=")[0] for a in assignments), env["NOTIFY_SOCKET"], exc)
        return False
    return True


def ready(status: str, *, environ: Mapping[str, str] | None = None) -> bool:
    """READY=1: the daemon serves (Type=notify units count as started only now)."""
    return notify("READY=1", f"STATUS={status}", environ=environ)


def stopping(status: str, *, environ: Mapping[str, str] | None = None) -> bool:
    """STOPPING=1: the daemon is shutting down (stopping the motors, closing)."""
    return notify("STOPPING=1", f"STATUS={status}", environ=environ)


def watchdog(*, environ: Mapping[str, str] | None = None) -> bool:
    """WATCHDOG=1: still healthy; with WatchdogSec= systemd kills a unit that stops sending it."""
    return notify("WATCHDOG=1", environ=environ)


def watchdog_interval(environ: Mapping[str, str] | None = None,
                      pid: int | None = None) -> float | None:
    """Seconds within which systemd expects WATCHDOG=1 from this process, as
    sd_watchdog_enabled(3) reads it: $WATCHDOG_USEC, when $WATCHDOG_PID is unset or names this
    process; None otherwise. Send at half this interval."""
    env = os.environ if environ is None else environ
    try:
        usec = int(env.get("WATCHDOG_USEC", ""))
        owner = int(env["WATCHDOG_PID"]) if env.get("WATCHDOG_PID") else None
    except ValueError:
        return None
    if usec <= 0 or (owner is not None and owner != (os.getpid() if pid is None else pid)):
        return None
    return usec / 1_000_000


def _address(value: str) -> str | None:
    """The socket address of $NOTIFY_SOCKET: a path, or '\\0name' for '@name'."""
    if not value:
        return None
    if value.startswith("@"):
        return "\0" + value[1:]
    if value.startswith("/"):
        return value
    log.warning("NOTIFY_SOCKET=%r: expected an absolute path or an @abstract name; "
                "not notifying systemd", value)
    return None


def _one_line(assignment: str) -> str:
    """KEY=VALUE with the value on one line (a newline would start a new assignment)."""
    key, equals, value = assignment.partition("=")
    if not equals or not key or "\n" in key:
        raise ValueError(f"sd_notify assignment {assignment!r}: expected KEY=VALUE")
    return f"{key}={' '.join(value.splitlines())}"
