"""Stops asked for on the event loop run on standing worker threads: never one new thread each.

A process at its thread or memory limit must still stop its motors, so the workers start with
the daemon, and a stop that finds none free and can start none runs on the loop's own thread
(tether.session.pool.StopPool): the loop waits, the wheels do not.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import Callable
from typing import TypeVar

from tether.session.pool import StopPool

T = TypeVar("T")


class StopWorkers:
    """The daemon's stop threads: Stop RPCs, session ends, shutdown."""

    def __init__(self, workers: int = 4) -> None:
        self._pool = StopPool(keep_idle=workers)

    async def run(self, call: Callable[[], T]) -> T:
        """Run call on a stop worker and await its result (or its exception)."""
        loop = asyncio.get_running_loop()
        result: asyncio.Future[T] = loop.create_future()
        self._pool.submit(functools.partial(_settle, loop, result, call))
        return await result

    def close(self) -> None:
        """Let the idle workers go."""
        self._pool.close()


def _settle(loop: asyncio.AbstractEventLoop, result: asyncio.Future[T],
            call: Callable[[], T]) -> None:
    """Run call (on a worker, or inline on the loop) and hand its outcome to the loop."""
    try:
        value = call()
    except Exception as exc:
        _hand_over(loop, functools.partial(_fail, result, exc))
    else:
        _hand_over(loop, functools.partial(_succeed, result, value))


def _hand_over(loop: asyncio.AbstractEventLoop, callback: Callable[[], None]) -> None:
    """Schedule callback on the loop; a loop already closed has nobody left waiting."""
    with contextlib.suppress(RuntimeError):
        loop.call_soon_threadsafe(callback)


def _succeed(result: asyncio.Future[T], value: T) -> None:
    if not result.done():
        result.set_result(value)


def _fail(result: asyncio.Future[T], exc: Exception) -> None:
    if not result.done():
        result.set_exception(exc)
