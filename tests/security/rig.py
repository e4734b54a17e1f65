"""A keyed `tether serve --sim` in its own process, as the attacks meet it, and what it costs.

The daemon listens on 127.0.0.1 (an ephemeral port); its log goes to a file the test reads.
Its memory is VmRSS from /proc (no psutil), its CPU time from /proc/<pid>/stat.
"""

from __future__ import annotations

import contextlib
import re
import secrets
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from tests.rovers import GPIO_ROVER
from tests.security.process_stats import cpu_seconds, rss_mib

ROVER = """\
[server]
listen = "127.0.0.1:0"
heartbeat_window = {window}

[[auth.keys]]
id = "{key_id}"
secret_file = "{secret_file}"
"""


@dataclass
class KeyedDaemon:
    """A running daemon process with one API key; close() ends it."""

    process: subprocess.Popen[str]
    address: str
    key_id: str
    secret: str
    log: Path

    def rss_mib(self) -> float:
        """The daemon's resident memory now, MiB."""
        return rss_mib(self.process.pid)

    def cpu_seconds(self) -> float:
        """User + system CPU the daemon has used so far."""
        return cpu_seconds(self.process.pid)

    def log_text(self) -> str:
        """Everything the daemon has logged so far."""
        return self.log.read_text(errors="replace")

    def alive(self) -> bool:
        """The process is still running."""
        return self.process.poll() is None

    def close(self) -> None:
        """SIGTERM, then SIGKILL if it is slow; reaped."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        if self.process.stdout is not None:
            self.process.stdout.close()


def start_keyed_daemon(folder: Path, *, window: float = 0.5) -> KeyedDaemon:
    """`tether -v serve rover.toml --sim` with one key (secret in a 0600 file) on 127.0.0.1."""
    key_id, secret = str(uuid.uuid4()), secrets.token_urlsafe(24)
    secret_file = folder / "driver.key"
    secret_file.write_text(secret + "\n")
    secret_file.chmod(0o600)
    config = folder / "rover.toml"
    config.write_text(ROVER.format(window=window, key_id=key_id, secret_file=secret_file)
                      + GPIO_ROVER)
    log = folder / "daemon.log"
    with open(log, "w") as err:
        process = subprocess.Popen(
            [sys.executable, "-m", "tether.cli", "-v", "serve", str(config), "--sim"],
            stdout=subprocess.PIPE, stderr=err, text=True,
        )
    assert process.stdout is not None
    banner = process.stdout.readline()
    match = re.search(r" on (127\.0\.0\.1:\d+)", banner)
    if match is None:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        raise AssertionError(f"daemon did not start: {banner!r} {log.read_text()}")
    return KeyedDaemon(process, match.group(1), key_id, secret, log)


def attack_process(name: str, address: str, seconds: float) -> subprocess.Popen[str]:
    """`python -m tests.security.attacks NAME ADDRESS` in its own process (own GIL)."""
    root = Path(__file__).resolve().parent.parent.parent
    return subprocess.Popen(
        [sys.executable, "-m", "tests.security.attacks", name, address, "--seconds", str(seconds)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=root,
    )


def settle(seconds: float = 0.5) -> None:
    """Let the daemon go quiet (its startup allocations done) before a memory reading."""
    time.sleep(seconds)
