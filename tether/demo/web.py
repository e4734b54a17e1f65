"""`tether demo --web`: the simulated rover and its drive page, until Ctrl-C or SIGTERM."""

from __future__ import annotations

import asyncio
import sys
from typing import TextIO

from tether.errors import ConfigError
from tether.robot.presets import demo_config
from tether.server.daemon import Daemon


async def run_web_demo(
    *,
    hardware: str = "gpio",
    window: float = 0.5,
    host: str = "127.0.0.1",
    port: int = 8081,
    allow_shared_base: bool = False,
    handle_signals: bool = True,
    stop: asyncio.Event | None = None,
    out: TextIO | None = None,
) -> None:
    """Serve the sim rover's drive page and print its URL; every actuator stopped on the way out."""
    try:
        from tether.web.server import start_web
    except ImportError as exc:
        raise ConfigError(
            f"the drive page needs aiohttp ({exc}): pip install 'tether[web]'"
        ) from None
    out = out or sys.stdout
    daemon = Daemon(demo_config(hardware, window), sim=True, listen="127.0.0.1:0")
    bound = await daemon.start()
    web = None
    try:
        if handle_signals:
            daemon.install_signal_handlers()
        assert daemon.api is not None
        web = await start_web(daemon.api, host=host, port=port,
                              authenticator=daemon.authenticator,
                              allow_shared_base=allow_shared_base)
        print(f"tether: simulated {hardware} rover; gRPC on {bound}", file=out, flush=True)
        print(f"tether: open {web.url} to drive it (Ctrl-C to stop)", file=out, flush=True)
        waits: list[asyncio.Future[object]] = [asyncio.ensure_future(daemon.wait())]
        if stop is not None:
            waits.append(asyncio.ensure_future(stop.wait()))
        try:
            await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiting in waits:
                waiting.cancel()
    finally:
        if web is not None:
            await web.close()
        await daemon.stop()
        if daemon.hardware is not None:  # read from the simulated hardware, after the stop
            duties = ", ".join(f"{n}={d:g}" for n, d in daemon.hardware.client.duties().items())
            print(f"tether: duties at exit: {duties}", file=out, flush=True)
            daemon.hardware.wait(2.0)  # it ends by itself now that nobody reads it
        print("tether: stopped; every actuator stopped and released", file=out, flush=True)
