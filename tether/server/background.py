"""A daemon on its own event-loop thread: for `tether demo`, tests and benchmarks in one process."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from typing import Any

from tether.config import RobotConfig
from tether.robot import Robot
from tether.server.daemon import Daemon


class BackgroundDaemon:
    """Runs a Daemon on a private loop thread; the caller reads the (sim) robot directly."""

    def __init__(self, config: RobotConfig, *, sim: bool = True, listen: str | None = None) -> None:
        self.daemon = Daemon(config, sim=sim, listen=listen)
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self.loop.run_forever, name="tether-daemon", daemon=True
        )
        self._thread.start()
        try:
            self.address: str = self.call(self.daemon.start())
        except BaseException:
            self._stop_loop()
            raise

    def call(self, coroutine: Any, timeout: float = 10.0) -> Any:
        """Run a coroutine on the daemon's loop and wait for its result."""
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    @property
    def robot(self) -> Robot:
        """The daemon's robot (its fakes, in sim)."""
        assert self.daemon.robot is not None
        return self.daemon.robot

    def duties(self) -> dict[str, float]:
        """Signed duty at every motor output now (sim)."""
        return {name: out.duty for name, out in self.robot.outputs.items()}

    def moving(self) -> bool:
        """Any output with duty."""
        return any(d != 0.0 for d in self.duties().values())

    def stopped_at(self) -> float | None:
        """When every output's duty last reached 0 (device-side time), if all are 0."""
        times = [out.zero_since() for out in self.robot.outputs.values()]
        return None if any(t is None for t in times) else max(t for t in times if t is not None)

    def wait_until(self, condition: Callable[[], bool], timeout: float = 5.0) -> float | None:
        """Poll every millisecond; the time it became true, or None on timeout."""
        until = time.monotonic() + timeout
        while time.monotonic() < until:
            if condition():
                return time.monotonic()
            time.sleep(0.001)
        return None

    def close(self) -> None:
        """Stop the daemon (every actuator stopped and released) and its loop; idempotent."""
        if self.loop.is_closed():
            return
        try:
            self.call(self.daemon.stop())
        finally:
            self._stop_loop()

    def _stop_loop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(5)
        self.loop.close()
