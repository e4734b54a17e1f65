"""The hang rule without the kill, as the soak counts false kills with it."""

from __future__ import annotations

import os
import threading
import time

from tether.guardian.observe import observe


def _beat(fd: int, pattern: list[tuple[bytes, float]]) -> None:
    for what, pause in pattern:
        os.write(fd, what)
        time.sleep(pause)
    os.close(fd)


def _observed(pattern: list[tuple[bytes, float]]) -> str:
    """What observe() reports (hang_timeout 0.2 s) of beats written in that pattern."""
    read, write = os.pipe()
    feeder = threading.Thread(target=_beat, args=(write, pattern))
    feeder.start()
    line = observe(read, 0.2)
    feeder.join()
    os.close(read)
    return line


def test_a_silence_past_the_hang_timeout_counts_one_kill_and_steady_beats_none() -> None:
    steady = [(b"LW", 0.02)] * 10
    line = _observed([*steady, (b"LW", 0.35), *steady])  # one silence of 350 ms
    assert "hang_timeout 200 ms): 1;" in line, line
    silence = float(line.split("event loop ")[1].split(" ms")[0])
    assert 340 <= silence < 600, line


def test_a_watchdog_that_stops_beating_alone_is_a_kill() -> None:
    # the loop goes on, the watchdog not
    line = _observed([(b"LW", 0.02)] * 5 + [(b"L", 0.02)] * 20)
    assert "hang_timeout 200 ms): 1;" in line, line


def test_steady_beats_are_no_kill() -> None:
    line = _observed([(b"LW", 0.03)] * 20)
    assert "hang_timeout 200 ms): 0;" in line, line
