"""The fake serial device's cable: once unplug() returns, the port is gone for every writer."""

from __future__ import annotations

import os

from tests.load import busy_cpu
from tether.fakes.sabertooth import FakeSabertooth


def test_a_write_after_unplug_fails_even_when_the_reader_thread_runs_late() -> None:
    # A reader thread asleep in select() on the pty's master keeps it open after unplug()
    # closed it, so the port hung up only once that thread ran: a driver's write in between
    # went into the pty and the test of an unplugged controller saw nothing fail.
    written = 0
    with busy_cpu(2):
        for _ in range(40):
            written += _write_after_unplug()
    assert written == 0, f"{written} of 40 writes went through an unplugged port"


def _write_after_unplug() -> int:
    """1 if a write to the port went through after unplug() returned."""
    with FakeSabertooth(130) as device:
        fd = os.open(device.path, os.O_RDWR | os.O_NOCTTY)
        try:
            device.unplug()
            os.write(fd, b"\x00")
        except OSError:
            return 0
        finally:
            os.close(fd)
        return 1
