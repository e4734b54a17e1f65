"""What a daemon process costs, read from /proc (no psutil): the rig, the tests and the bench
read it the same way."""

from __future__ import annotations

import os
import re
from pathlib import Path


def rss_mib(pid: int) -> float:
    """The process's resident memory now (VmRSS), MiB."""
    status = Path(f"/proc/{pid}/status").read_text()
    match = re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE)
    if match is None:
        raise ValueError(f"/proc/{pid}/status has no VmRSS line: {status[:200]!r}")
    return int(match.group(1)) / 1024


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used so far, s."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
