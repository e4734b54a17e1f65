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
from tether.sim.client import SimClient

#: Seconds close() waits for the simulated hardware to end once nobody reads it.
SIM_EXIT_TIMEOUT = 5.0


class BackgroundDaemon:
    """Runs a Daemon on a private loop thread. In sim, its hardware runs in a process of its
    own (tether.sim) and `sim` reads it: duties, history, rovers, fault switches."""

    def __init__(self, config: RobotConfig, *, sim: bool = True, listen: str | None = None) -> None:
        self.daemon = Daemon(config, sim=sim, listen=listen)
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self.loop.run_forever, name="tether-daemon", daemon=True
        )
        self._thread.start()
        self._sim: SimClient | None = None
        try:
            self.address: str = self.call(self.daemon.start())
            if self.daemon.hardware is not None:
                self._sim = SimClient(self.daemon.hardware.addresses.inspect)
        except BaseException:
            self.close()
            raise

    def call(self, coroutine: Any, timeout: float = 10.0) -> Any:
        """Run a coroutine on the daemon's loop and wait for its result."""
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    @property
    def robot(self) -> Robot:
        """The daemon's robot: its drivers (the fakes are in the sim process: see `sim`)."""
        assert self.daemon.robot is not None
        return self.daemon.robot

    @property
    def sim(self) -> SimClient:
        """The simulated hardware, read from its own process (after close(): its last readings)."""
        if self._sim is None:
            raise RuntimeError("this daemon drives real hardware: there is no simulated "
                               "hardware to read")
        return self._sim

    def duties(self) -> dict[str, float]:
        """Signed duty at every motor output now (sim)."""
        return self.sim.duties()

    def moving(self) -> bool:
        """Any output with duty."""
        return self.sim.moving()

    def stopped_at(self) -> float | None:
        """When every output's duty last reached 0 (device-side time), if all are 0."""
        return self.sim.zero_since()

    def wait_until(self, condition: Callable[[], bool], timeout: float = 5.0) -> float | None:
        """Poll every millisecond; the time it became true, or None on timeout."""
        until = time.monotonic() + timeout
        while time.monotonic() < until:
            if condition():
                return time.monotonic()
            time.sleep(0.001)
        return None

    def close(self) -> None:
        """Stop the daemon (every actuator stopped and released) and its loop, then let the
        simulated hardware end (its last readings stay in `sim`); idempotent."""
        if self.loop.is_closed():
            return
        try:
            self.call(self.daemon.stop())
        finally:
            self._stop_loop()
            if self._sim is not None:
                self._sim.close()
            hardware = self.daemon.hardware
            if hardware is not None and not hardware.wait(SIM_EXIT_TIMEOUT):
                hardware.end()

    def _stop_loop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(5)
        self.loop.close()
