"""bench/soak.py runs end to end: a few seconds of clients, faults and checks, exit 0."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SOAK = Path(__file__).resolve().parent.parent / "bench" / "soak.py"


def test_a_short_soak_passes() -> None:
    """A 3 s soak (plus setup and drain) misses no stop and leaks nothing."""
    done = subprocess.run(
        [sys.executable, str(SOAK), "--minutes", "0.05", "--seed", "2"],
        capture_output=True, text=True, timeout=110, check=False, stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "result: PASS" in done.stdout
    assert "1. missed stops: 0 of" in done.stdout
