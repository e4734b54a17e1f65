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


def test_a_silence_past_the_hang_timeout_counts_one_kill_and_steady_beats_none() -> None:
    read, write = os.pipe()
    steady = [(b"LW", 0.02)] * 10
    pattern = [*steady, (b"LW", 0.35), *steady]  # one silence of 350 ms
    feeder = threading.Thread(target=_beat, args=(write, pattern))
    feeder.start()
    line = observe(read, 0.2)
    feeder.join()
    os.close(read)
    assert "hang_timeout 200 ms): 1;" in line, line
    silence = float(line.split("event loop ")[1].split(" ms")[0])
    assert 340 <= silence < 600, line


def test_a_watchdog_that_stops_beating_alone_is_a_kill() -> None:
    read, write = os.pipe()
    pattern = [(b"LW", 0.02)] * 5 + [(b"L", 0.02)] * 20  # the loop goes on, the watchdog not
    feeder = threading.Thread(target=_beat, args=(write, pattern))
    feeder.start()
    line = observe(read, 0.2)
    feeder.join()
    os.close(read)
    assert "hang_timeout 200 ms): 1;" in line, line


def test_steady_beats_are_no_kill() -> None:
    read, write = os.pipe()
    feeder = threading.Thread(target=_beat, args=(write, [(b"LW", 0.03)] * 20))
    feeder.start()
    line = observe(read, 0.2)
    feeder.join()
    os.close(read)
    assert "hang_timeout 200 ms): 0;" in line, line
