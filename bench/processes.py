"""Child processes as the benches watch them: output lines on a queue (so waiting for one has a
timeout), their CPU time and RSS from /proc, and a free loopback port to give them."""

from __future__ import annotations

import os
import queue
import re
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


class Child:
    """A subprocess whose output lines (stdout and stderr) arrive on a queue."""

    def __init__(self, argv: Sequence[str], *, stdin: int = subprocess.DEVNULL,
                 env: Mapping[str, str] | None = None, new_session: bool = False) -> None:
        self.process = subprocess.Popen(
            list(argv), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=stdin,
            text=True, cwd=ROOT, env=env, start_new_session=new_session,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._pump, name=f"pump-{self.process.pid}", daemon=True).start()

    def _pump(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line.rstrip("\n"))

    def wait_for(self, wanted: str | re.Pattern[str], timeout: float) -> str:
        """The first new output line starting with `wanted` (or in which the pattern is found);
        RuntimeError (with the output) if none comes in time."""
        until = time.monotonic() + timeout
        while (left := until - time.monotonic()) > 0:
            try:
                line = self.lines.get(timeout=min(left, 0.1))
            except queue.Empty:
                if self.process.poll() is not None and self.lines.empty():
                    break
                continue
            self.seen.append(line)
            found = line.startswith(wanted) if isinstance(wanted, str) else wanted.search(line)
            if found:
                return line
        shown = wanted if isinstance(wanted, str) else wanted.pattern
        raise RuntimeError(f"{self.process.args!r} never printed {shown!r}: {self.seen[-20:]}")

    def drain(self) -> list[str]:
        """Every output line not read yet."""
        lines = []
        while not self.lines.empty():
            lines.append(self.lines.get_nowait())
        self.seen.extend(lines)
        return lines

    def send(self, line: str) -> None:
        """One line to its stdin (made with stdin=subprocess.PIPE)."""
        assert self.process.stdin is not None
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()

    def close(self, signum: int = signal.SIGKILL, timeout: float = 10.0) -> int:
        """Send signum if it still runs, wait, SIGKILL on timeout; the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signum)
            if signum != signal.SIGKILL:
                self.process.send_signal(signal.SIGCONT)  # a stopped child must run to exit
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait(timeout)


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process, from /proc/<pid>/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mib(pid: int) -> float:
    """VmRSS of a process in MiB, from /proc/<pid>/status."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for pid {pid}")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
