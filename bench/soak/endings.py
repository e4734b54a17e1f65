"""What happened: each session end as checked (Ending), counts of everything else (Tally), and
the two readings an end is checked with (when its stop began, when an output reached duty 0)."""

from __future__ import annotations

import bisect
import logging
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

BOUND = 5.0  # a session end not followed by a stop within this is a missed stop


@dataclass(slots=True)
class Ending:
    """One session end and its stop, as checked."""

    cause: str
    kind: str
    base: str
    fault: str
    delay: float | None  # every output at duty 0, minus the cause (None: already at 0)
    verdict: str  # stopped, controller, or "missed: why"
    reason: str = ""  # the stop record's reason: expired, ended


@dataclass
class Tally:
    """Counts of everything the soak did and saw."""

    spawned: Counter[str] = field(default_factory=Counter)
    sessions: Counter[str] = field(default_factory=Counter)
    actions: Counter[str] = field(default_factory=Counter)
    endings: list[Ending] = field(default_factory=list)
    events: Counter[str] = field(default_factory=Counter)
    logs: Counter[str] = field(default_factory=Counter)
    log_samples: list[str] = field(default_factory=list)


class LogCount(logging.Handler):
    """Counts the daemon's warnings and errors instead of printing them."""

    def __init__(self, tally: Tally) -> None:
        super().__init__(logging.WARNING)
        self.tally = tally

    def emit(self, record: logging.LogRecord) -> None:
        self.tally.logs[record.levelname] += 1
        if record.levelno >= logging.ERROR and len(self.tally.log_samples) < 5:
            self.tally.log_samples.append(record.getMessage()[:200])


def stop_began(event: Any) -> float:
    """When the stop was entered (or, if never, the session's end), less a millisecond."""
    return float(event.entered if event.entered is not None else event.deadline) - 0.001


def zero_time(output: Any, since: float) -> float | None:
    """When the output reached duty 0 at or after `since` (or since when it had been at 0 then),
    from its duty history; None if it has not."""
    history = list(output.history)
    index = bisect.bisect_right(history, since, key=lambda sample: sample.time)
    if index > 0 and history[index - 1].duty == 0.0:
        return float(history[index - 1].time)
    return next((float(s.time) for s in history[index:] if s.duty == 0.0), None)
