"""A share of one core for a process, through the kernel's CPU controller (cgroup v1 `cpu` or v2
`cpu.max`, whichever the machine has), with a short period so a small share looks like a slow
core rather than a core that stops for tens of ms at a time. Made and removed by the bench.
"""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path

V1 = Path("/sys/fs/cgroup/cpu")
V2 = Path("/sys/fs/cgroup")
PERIOD_US = 10_000
#: The kernel's smallest quota per period (1 ms): a smaller share gets a longer period.
MIN_QUOTA_US = 1_000


def _own_cgroup(controller: str) -> str:
    """This process's cgroup path for the controller (v2: the '0::' line)."""
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        number, controllers, path = line.split(":", 2)
        if (controller and controller in controllers.split(",")) or (
                not controller and number == "0"):
            return path
    raise RuntimeError(f"no {controller or 'v2'} cgroup in /proc/self/cgroup")


def hierarchy() -> tuple[str, Path]:
    """('v1', the cpu controller's folder for this process) or ('v2', its unified folder)."""
    if (V1 / "cpu.cfs_quota_us").exists():
        return "v1", V1 / _own_cgroup("cpu").lstrip("/")
    if "cpu" in (V2 / "cgroup.controllers").read_text().split():
        return "v2", V2 / _own_cgroup("").lstrip("/")
    raise RuntimeError("no cgroup cpu controller here (neither v1 cpu nor v2 cpu.max)")


class CpuBudget:
    """One cgroup giving its processes `share` of one core (None: unlimited)."""

    def __init__(self, name: str, share: float | None, period_us: int = PERIOD_US) -> None:
        if share is not None and not 0.01 <= share <= 64:
            raise ValueError(f"CPU share {share!r}: expected 0.01-64 cores or None")
        self.kind, self.home = hierarchy()
        if share is not None and share * period_us < MIN_QUOTA_US:
            period_us = round(MIN_QUOTA_US / share)
        self.share, self.period_us = share, period_us
        self.path = self.home / name
        self.path.mkdir()
        quota = -1 if share is None else round(share * period_us)
        try:
            if self.kind == "v1":
                (self.path / "cpu.cfs_period_us").write_text(str(period_us))
                (self.path / "cpu.cfs_quota_us").write_text(str(quota))
            else:
                (self.path / "cpu.max").write_text(f"{'max' if quota < 0 else quota} {period_us}")
        except OSError:
            self.path.rmdir()
            raise

    def describe(self) -> str:
        """How the budget is made, for the bench's output."""
        if self.share is None:
            return f"unlimited ({self.kind} cgroup {self.path.name})"
        quota = round(self.share * self.period_us)
        knob = "cpu.cfs_quota_us/cpu.cfs_period_us" if self.kind == "v1" else "cpu.max"
        return f"{quota} us per {self.period_us} us ({self.kind} {knob})"

    @property
    def procs_file(self) -> Path:
        """Writing a pid here moves that process (all its threads) into the budget."""
        return self.path / "cgroup.procs"

    def add(self, pid: int) -> None:
        """Move process `pid` (every thread) into this budget."""
        self.procs_file.write_text(str(pid))

    def throttled(self) -> tuple[int, float]:
        """(periods throttled, seconds throttled) so far."""
        fields = dict(line.split() for line in (self.path / "cpu.stat").read_text().splitlines())
        if self.kind == "v1":
            return int(fields.get("nr_throttled", 0)), int(fields.get("throttled_time", 0)) / 1e9
        return int(fields.get("nr_throttled", 0)), int(fields.get("throttled_usec", 0)) / 1e6

    def close(self) -> None:
        """Move whatever still runs here back home and remove the cgroup; idempotent."""
        if not self.path.exists():
            return
        for _ in range(50):
            pids = (self.path / "cgroup.procs").read_text().split()
            for pid in pids:
                with contextlib.suppress(OSError):
                    (self.home / "cgroup.procs").write_text(pid)
            try:
                self.path.rmdir()
                return
            except OSError:
                time.sleep(0.02)
        raise RuntimeError(f"cgroup {self.path} would not go: {os.listdir(self.path)}")


def move_home(pid: int) -> None:
    """Put `pid` back in the bench's own cgroup (unconfined)."""
    _, home = hierarchy()
    (home / "cgroup.procs").write_text(str(pid))
