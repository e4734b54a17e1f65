"""An in-process daemon on its own event-loop thread, so tests can read the fake rover's duties."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tether.config import RobotConfig, load_config
from tether.robot import Robot
from tether.server.daemon import Daemon

EXAMPLES = Path(__file__).resolve().parent.parent.parent / "examples"


class DaemonThread:
    """Runs a Daemon (sim) on 127.0.0.1 with an ephemeral port or a Unix socket."""

    def __init__(self, config: RobotConfig | None = None, listen: str = "127.0.0.1:0") -> None:
        self.config = config or load_config(EXAMPLES / "rover.toml")
        self.daemon = Daemon(self.config, sim=True, listen=listen)
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()
        self.address = self.call(self.daemon.start())

    def call(self, coroutine: Any, timeout: float = 10.0) -> Any:
        """Run a coroutine on the daemon's loop and wait for its result."""
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    @property
    def robot(self) -> Robot:
        assert self.daemon.robot is not None
        return self.daemon.robot

    def duties(self) -> dict[str, float]:
        return {name: out.duty for name, out in self.robot.outputs.items()}

    def moving(self) -> bool:
        return any(d != 0.0 for d in self.duties().values())

    def wait_until(self, condition: Callable[[], bool], timeout: float = 5.0) -> float | None:
        """Poll every millisecond; the time it became true, or None."""
        until = time.monotonic() + timeout
        while time.monotonic() < until:
            if condition():
                return time.monotonic()
            time.sleep(0.001)
        return None

    def stopped_at(self) -> float | None:
        """When every output's duty last reached 0 (device-side timestamp), if all are 0."""
        times = [out.zero_since() for out in self.robot.outputs.values()]
        return None if any(t is None for t in times) else max(t for t in times if t is not None)

    def close(self) -> None:
        try:
            self.call(self.daemon.stop())
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(5)
            self.loop.close()
