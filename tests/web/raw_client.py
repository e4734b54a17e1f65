"""A raw aiohttp WebSocket client speaking the drive page's protocol (or breaking it on purpose)."""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp


class RawPage:
    """One drive socket, as the page would open it, with frame-level helpers."""

    def __init__(self, http: aiohttp.ClientSession, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.http = http
        self.ws = ws
        self.hello: dict[str, Any] = {}

    @classmethod
    @contextlib.asynccontextmanager
    async def open(cls, url: str, origin: str, **options: Any) -> AsyncIterator[RawPage]:
        """A connected page that has read its hello frame; closed on leaving."""
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as http:
            ws = await http.ws_connect(url, origin=origin, **options)
            page = cls(http, ws)
            try:
                page.hello = await page.next("hello")
                yield page
            finally:
                await ws.close()

    async def send(self, frame: dict[str, Any] | str | bytes) -> None:
        if isinstance(frame, bytes):
            await self.ws.send_bytes(frame)
        else:
            await self.ws.send_str(frame if isinstance(frame, str) else json.dumps(frame))

    async def drive(self, linear: float, angular: float = 0.0) -> None:
        await self.send({"type": "drive", "base": "base", "linear": linear, "angular": angular})

    async def status_where(
        self, condition: Callable[[dict[str, Any]], bool], timeout: float = 3.0
    ) -> dict[str, Any]:
        """The first status frame that satisfies condition (bounded)."""
        until = time.monotonic() + timeout
        while (left := until - time.monotonic()) > 0:
            status = await self.next("status", left)
            if condition(status):
                return status
        raise TimeoutError(f"no matching status frame within {timeout} s")

    async def next(self, kind: str, timeout: float = 3.0) -> dict[str, Any]:
        """The next frame of this type (skipping others); TimeoutError if none comes in time."""
        until = time.monotonic() + timeout
        while (left := until - time.monotonic()) > 0:
            message = await self.ws.receive(timeout=left)
            if message.type is not aiohttp.WSMsgType.TEXT:
                raise ConnectionError(f"socket ended ({message.type.name}) waiting for {kind!r}")
            frame: dict[str, Any] = json.loads(message.data)
            if frame["type"] == kind:
                return frame
        raise TimeoutError(f"no {kind!r} frame within {timeout} s")

    async def closed(self, timeout: float = 3.0) -> int | None:
        """Read until the daemon closes the socket; its close code."""
        until = time.monotonic() + timeout
        while (left := until - time.monotonic()) > 0:
            message = await self.ws.receive(timeout=left)
            if message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED,
                                aiohttp.WSMsgType.CLOSING, aiohttp.WSMsgType.ERROR):
                return self.ws.close_code
        raise TimeoutError(f"socket still open after {timeout} s")

    async def close(self) -> None:
        await self.ws.close()

