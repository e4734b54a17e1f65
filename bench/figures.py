"""Small helpers every bench shares: percentiles and timed loops."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile (p99 of fewer than 100 samples is the max)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def per_call(body: Callable[[], None], loops: int, repeats: int = 7) -> float:
    """Median seconds per call of body over `repeats` timed runs."""
    runs = []
    for _ in range(repeats):
        began = time.perf_counter()
        for _ in range(loops):
            body()
        runs.append((time.perf_counter() - began) / loops)
    return statistics.median(runs)
