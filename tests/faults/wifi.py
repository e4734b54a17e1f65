"""A userspace TCP proxy on 127.0.0.1 that makes a loopback link behave like a poor Wi-Fi link.

This machine's kernel has no netem qdisc, so delay, jitter and loss are made here, per chunk of
bytes: each chunk is held `delay +- jitter` (uniform) in its direction, order kept, as TCP
delivers; every so often a loss burst holds both directions for `burst` seconds, which is what
a burst of lost segments looks like to the application once TCP has retransmitted them. No byte
is dropped (that would corrupt the TCP stream), and nothing goes anywhere but 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import threading
from dataclasses import dataclass, field


@dataclass(frozen=True)
class WifiProfile:
    """One-way delay and jitter per chunk, and loss bursts (seconds)."""

    delay: float = 0.050
    jitter: float = 0.030
    burst: float = 0.150
    burst_gap: tuple[float, float] = (1.5, 3.0)
    seed: int = 9


@dataclass
class WifiStats:
    """What the proxy did."""

    chunks: int = 0
    max_hold: float = 0.0
    bursts: list[tuple[float, float]] = field(default_factory=list)


class WifiProxy:
    """127.0.0.1:<port> -> target, through the profile; runs its own loop on a thread."""

    def __init__(self, target: str, profile: WifiProfile | None = None) -> None:
        host, _, port = target.rpartition(":")
        self._target = (host, int(port))
        self.profile = profile or WifiProfile()
        self.stats = WifiStats()
        self._random = random.Random(self.profile.seed)
        self._burst_until = 0.0
        self._writers: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="wifi-proxy",
                                        daemon=True)
        self._thread.start()
        self._server = asyncio.run_coroutine_threadsafe(self._start(), self.loop).result(10)
        port_bound = self._server.sockets[0].getsockname()[1]
        self.address = f"127.0.0.1:{port_bound}"

    async def _start(self) -> asyncio.Server:
        self._spawn(self._bursts())
        return await asyncio.start_server(self._accept, "127.0.0.1", 0)

    def _spawn(self, coroutine: object) -> None:
        task: asyncio.Task[None] = self.loop.create_task(coroutine)  # type: ignore[arg-type]
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _bursts(self) -> None:
        while True:
            await asyncio.sleep(self._random.uniform(*self.profile.burst_gap))
            now = self.loop.time()
            self._burst_until = now + self.profile.burst
            self.stats.bursts.append((now, self._burst_until))

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        me = asyncio.current_task()
        if me is not None:
            self._tasks.add(me)
            me.add_done_callback(self._tasks.discard)
        try:
            up_reader, up_writer = await asyncio.open_connection(*self._target)
        except OSError:
            writer.close()
            return
        self._writers |= {writer, up_writer}
        try:
            await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))
        except (OSError, asyncio.IncompleteReadError):
            pass
        finally:
            for end in (writer, up_writer):
                end.close()
                self._writers.discard(end)

    async def _pipe(self, source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        """Read chunks as they come; deliver each at its due time, in order, after any burst."""
        due_queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

        async def deliver() -> None:
            while True:
                due, data = await due_queue.get()
                while True:  # held until due, and past any loss burst in progress
                    wait = max(due, self._burst_until) - self.loop.time()
                    if wait <= 0:
                        break
                    await asyncio.sleep(wait)
                if not data:
                    with contextlib.suppress(OSError):
                        sink.write_eof()
                    return
                sink.write(data)
                await sink.drain()

        delivery = asyncio.ensure_future(deliver())
        last_due = 0.0
        try:
            while True:
                data = await source.read(65536)
                now = self.loop.time()
                hold = self._random.uniform(self.profile.delay - self.profile.jitter,
                                            self.profile.delay + self.profile.jitter)
                last_due = max(last_due, now + hold)
                self.stats.chunks += 1
                self.stats.max_hold = max(self.stats.max_hold, last_due - now)
                due_queue.put_nowait((last_due, data))
                if not data:
                    break
            await delivery
        finally:
            delivery.cancel()

    def close(self) -> None:
        """Stop listening, drop every connection, stop the loop; idempotent."""
        if self.loop.is_closed():
            return

        async def shut() -> None:
            self._server.close()
            for writer in list(self._writers):
                writer.close()
            tasks = [t for t in self._tasks if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(shut(), self.loop).result(5)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(5)
        self.loop.close()
