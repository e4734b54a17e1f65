"""`tether demo --web` (run_web_demo): prints a URL that drives the rover; SIGTERM stops it all."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.web.conftest import NEEDS_AIOHTTP, run_async

pytest.importorskip("aiohttp", reason=NEEDS_AIOHTTP)

from tests.web.raw_client import RawPage

ROOT = Path(__file__).resolve().parent.parent.parent
DEMO = """
import asyncio
from tether.web.demo import run_web_demo
asyncio.run(run_web_demo(port=0))
"""


def test_web_demo_prints_a_url_that_drives_and_sigterm_stops_everything() -> None:
    demo = subprocess.Popen(
        [sys.executable, "-c", DEMO], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True,
    )
    try:
        url = ""
        until = time.monotonic() + 20
        while not url and time.monotonic() < until:
            line = demo.stdout.readline() if demo.stdout else ""
            if not line:
                break
            if line.startswith("tether: open "):
                url = line.split()[2]
        assert url.startswith("http://127.0.0.1:"), "the demo printed no URL"

        async def drive() -> dict[str, float]:
            ws_url = url.replace("http://", "ws://") + "ws"
            async with RawPage.open(ws_url, url.rstrip("/")) as page:
                await page.next("session")
                await page.drive(0.5)
                status = await page.status_where(lambda s: s["duties"]["left"] > 0)
                os.kill(demo.pid, signal.SIGTERM)  # mid-drive, socket still open
                await page.closed(timeout=5)
                duties: dict[str, float] = status["duties"]
                return duties

        assert run_async(drive())["left"] == 0.5
        out, err = demo.communicate(timeout=15)
    finally:
        if demo.poll() is None:
            demo.kill()
            demo.wait(5)
    assert demo.returncode == 0, err
    assert "duties at exit: left=0, right=0" in out
    assert "every actuator stopped and released" in out
