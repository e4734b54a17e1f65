"""The sim rover with its drive page on the daemon's loop, and (when present) a real chromium."""

from __future__ import annotations

import asyncio
import concurrent.futures
import shutil
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import pytest

from tether.config import ApiKey
from tether.demo_configs import demo_config
from tether.server.auth import Authenticator
from tether.server.background import BackgroundDaemon

if TYPE_CHECKING:
    from tether.web.server import WebServer

NEEDS_AIOHTTP = "the drive page needs aiohttp (pip install 'tether[web]')"

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
KEY = ApiKey("laptop", "correct-horse-battery-staple")
T = TypeVar("T")


@dataclass
class Rover:
    """A sim daemon and its drive page; the test thread reads the wheels from the daemon's
    simulated-hardware process."""

    daemon: BackgroundDaemon
    web: WebServer

    @property
    def url(self) -> str:
        return self.web.url

    @property
    def ws_url(self) -> str:
        return self.web.url.replace("http://", "ws://") + "ws"

    @property
    def origin(self) -> str:
        return self.web.url.rstrip("/")

    def duties(self) -> dict[str, float]:
        return self.daemon.duties()

    def moving(self) -> bool:
        return self.daemon.moving()

    def forward(self) -> bool:
        """Both wheels driving forward."""
        return all(d > 0 for d in self.duties().values())

    def backward(self) -> bool:
        """Both wheels driving backward."""
        return all(d < 0 for d in self.duties().values())

    def wait_until(self, condition: Callable[[], bool], timeout: float = 5.0) -> float | None:
        return self.daemon.wait_until(condition, timeout)

    def still_for(self, seconds: float) -> bool:
        """True if no output had duty at any poll for `seconds` (nothing moved)."""
        return self.daemon.wait_until(self.moving, seconds) is None

    def owner_of_base(self) -> str | None:
        api = self.daemon.daemon.api
        assert api is not None
        holder = api.sessions.owner_of("base")
        return None if holder is None else holder.id

    def close(self) -> None:
        try:
            self.daemon.call(self.web.close())
        finally:
            self.daemon.close()


RoverFactory = Callable[..., Rover]


@pytest.fixture
def start_rover() -> Iterator[RoverFactory]:
    """start_rover(window=2.0, keys=False, ...) -> Rover, closed after.

    The 2 s default keeps a busy CI machine from expiring sessions by accident; tests of
    expiry itself pass a short window.
    """
    from tether.web.server import start_web

    started: list[Rover] = []

    def start(*, window: float = 2.0, keys: bool = False, allow_shared_base: bool = False,
              allowed_origins: tuple[str, ...] = (), max_sessions: int = 10_000) -> Rover:
        config = demo_config("gpio", window)
        config = replace(config, server=replace(config.server, max_sessions=max_sessions))
        daemon = BackgroundDaemon(config, sim=True, listen="127.0.0.1:0")
        try:
            assert daemon.daemon.api is not None
            web = daemon.call(start_web(
                daemon.daemon.api, host="127.0.0.1", port=0,
                authenticator=Authenticator((KEY,)) if keys else None,
                allow_shared_base=allow_shared_base, allowed_origins=allowed_origins,
            ))
        except BaseException:
            daemon.close()
            raise
        rover = Rover(daemon, web)
        started.append(rover)
        return rover

    yield start
    for rover in started:
        rover.close()
        assert not rover.moving(), "closing the daemon left an output with duty"


def run_async(coroutine: Coroutine[Any, Any, T], timeout: float = 20.0) -> T:
    """Run a raw client coroutine on a fresh loop in its own thread (bounded)."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result(timeout)


def browser_missing() -> str | None:
    """Why the browser tests cannot run here, or None."""
    if not CHROMIUM.exists() and shutil.which("chromium") is None:
        return f"{CHROMIUM} not installed (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright not installed (pip install playwright; no browser download needed)"
    return None
