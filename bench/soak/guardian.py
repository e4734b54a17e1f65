"""The guardian's hang rule, counted beside the soak's in-process daemon: the daemon's event loop
and session watchdog beat on a pipe exactly as under `tether serve`, and a separate process
(python -m tether.guardian.observe) applies the guardian's rule without the kill. Every kill it
counts under the soak's load is a false kill the guardian would have made."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from typing import Any

from tether.guardian.pulse import Pulse

#: The guardian's default (tether.robot.config.GuardianConfig).
HANG_TIMEOUT = 0.2


class GuardianCount:
    """Beats from the daemon to the observer process; close() returns its report line."""

    def __init__(self, daemon: Any, hang_timeout: float = HANG_TIMEOUT) -> None:
        read, write = os.pipe()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tether.guardian.observe", "--hang-timeout",
             str(hang_timeout)], stdin=read, stdout=subprocess.PIPE, text=True)
        os.close(read)
        self._write = write
        self.pulse = Pulse(write, hang_timeout / 4, guardian_pid=0)
        daemon.loop.call_soon_threadsafe(self.pulse.beat_loop, daemon.loop)
        assert daemon.daemon.api is not None
        watchdog = daemon.daemon.api.sessions.watchdog
        if watchdog is not None:
            self.pulse.beat_watchdog(watchdog.beat_every)

    def close(self) -> str:
        """Stop beating; the observer's line."""
        self.pulse.close()
        with contextlib.suppress(OSError):
            os.close(self._write)
        out, _ = self.process.communicate(timeout=30)
        return out.strip()
