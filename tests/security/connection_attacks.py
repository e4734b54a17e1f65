"""Connection-level attacks on a tether daemon, as functions a test or a bench can run.

Every attack comes from a loopback address of its own (127.0.0.2 by default: Linux routes all
of 127/8 to `lo`), so the daemon sees it as a different peer from the keyed client on 127.0.0.1
that a test or bench measures beside it. Nothing here sends traffic beyond 127.0.0.0/8.

`DaemonProcess` runs the real `tether serve CONFIG --sim` in a child process with its own fd
limit (RLIMIT_NOFILE), so fd exhaustion is reached with a few hundred sockets, not thousands,
and its CPU time, open fds and log bytes can be read while an attack runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import queue
import re
import subprocess
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.rovers import GPIO_ROVER
from tests.security.process_stats import cpu_seconds, rss_mib

ATTACKER = "127.0.0.2"
#: The key the rover written by write_rover_config() accepts.
KEY = ("laptop", "q8Vt3-Lm2Zr7Kx9Wp4NbY6")  # strong enough for the secret checks
#: The client connection preface and an empty SETTINGS frame: an HTTP/2 connection, idle.
H2_GREETING = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + b"\x00\x00\x00\x04\x00\x00\x00\x00\x00"
#: A request whose headers never end (no blank line): the slow-headers attack.
PARTIAL_HEADERS = b"GET / HTTP/1.1\r\nHost: rover\r\nX-Slow: "


Answer = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


@dataclass
class HeldConnections:
    """TCP connections an attack holds; `open_now()` counts those the daemon has not closed."""

    streams: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = field(default_factory=list)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    failed: int = 0

    def open_now(self) -> int:
        """Connections still open from the attacker's side (no EOF, no reset seen)."""
        return sum(1 for reader, _ in self.streams if not _ended(reader))

    async def settle(self, seconds: float) -> int:
        """Let the daemon act for `seconds`, then `open_now()`."""
        await asyncio.sleep(seconds)
        return self.open_now()

    async def all_closed_within(self, timeout: float) -> float | None:
        """Seconds until the daemon has closed every one of them; None if some outlive timeout."""
        began = time.monotonic()
        while self.open_now():
            if time.monotonic() - began > timeout:
                return None
            await asyncio.sleep(0.02)
        return time.monotonic() - began

    def close(self) -> None:
        """Drop every connection."""
        for task in self.tasks:
            task.cancel()
        for _, writer in self.streams:
            with contextlib.suppress(Exception):
                writer.close()
        self.streams.clear()


def _ended(reader: asyncio.StreamReader) -> bool:
    return reader.at_eof() or reader.exception() is not None


async def discard(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Read and drop whatever the daemon sends, so its EOF is seen (a silent peer)."""
    with contextlib.suppress(Exception):
        while await reader.read(4096):
            pass


async def answer_http2(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """An idle but live HTTP/2 peer: acknowledges SETTINGS and answers PINGs, asks nothing."""
    with contextlib.suppress(Exception):
        while True:
            header = await reader.readexactly(9)
            length, kind, flags = int.from_bytes(header[:3], "big"), header[3], header[4]
            payload = await reader.readexactly(length)
            if kind == 0x4 and not flags & 0x1:
                writer.write(b"\x00\x00\x00\x04\x01\x00\x00\x00\x00")
            elif kind == 0x6 and not flags & 0x1:
                writer.write(b"\x00\x00\x08\x06\x01\x00\x00\x00\x00" + payload)


async def hold_connections(
    host: str,
    port: int,
    count: int,
    *,
    greeting: bytes = b"",
    answer: Answer = discard,
    source: str = ATTACKER,
    connect_timeout: float = 2.0,
    parallel: int = 64,
) -> HeldConnections:
    """Open `count` connections from `source`, send `greeting`, then let `answer` run each."""
    held = HeldConnections()
    gate = asyncio.Semaphore(parallel)

    async def one() -> None:
        async with gate:
            try:
                reader, writer = await asyncio.wait_for(
                    asyncio.open_connection(host, port, local_addr=(source, 0)), connect_timeout
                )
            except (OSError, TimeoutError):
                held.failed += 1
                return
            held.streams.append((reader, writer))
            if greeting:
                with contextlib.suppress(OSError):
                    writer.write(greeting)
            held.tasks.append(asyncio.ensure_future(answer(reader, writer)))

    await asyncio.gather(*(one() for _ in range(count)))
    return held


async def idle_http2_connections(
    host: str, port: int, count: int, *, source: str = ATTACKER
) -> HeldConnections:
    """fd exhaustion on the gRPC port: live HTTP/2 connections (PINGs answered) that ask nothing."""
    return await hold_connections(
        host, port, count, greeting=H2_GREETING, answer=answer_http2, source=source
    )


async def idle_http2_from_many_addresses(
    host: str, port: int, count: int, *, per_address: int = 30
) -> HeldConnections:
    """The same, spread over 127.0.0.2, .3, ... at `per_address` each: past any per-address cap."""
    held = HeldConnections()
    for n in range(-(-count // per_address)):
        source = f"127.0.{n // 250}.{n % 250 + 2}"
        share = min(per_address, count - n * per_address)
        part = await idle_http2_connections(host, port, share, source=source)
        held.streams += part.streams
        held.tasks += part.tasks
        held.failed += part.failed
    return held


async def silent_connections(
    host: str, port: int, count: int, *, source: str = ATTACKER
) -> HeldConnections:
    """TCP connections that send nothing: against a TLS port, handshakes that never start."""
    return await hold_connections(host, port, count, source=source)


async def slow_headers(
    host: str, port: int, count: int, *, source: str = ATTACKER
) -> HeldConnections:
    """Slowloris on the web port: requests whose headers never finish."""
    return await hold_connections(host, port, count, greeting=PARTIAL_HEADERS, source=source)


@dataclass
class HeldTabs:
    """Drive sockets an attack holds open without a key (each answering the daemon's pings)."""

    http: Any
    sockets: list[Any] = field(default_factory=list)
    readers: list[asyncio.Task[None]] = field(default_factory=list)
    refused: list[int] = field(default_factory=list)

    def open_now(self) -> int:
        """Sockets the daemon has not closed."""
        return sum(1 for ws in self.sockets if not ws.closed)

    async def close(self) -> None:
        """Close every socket and the HTTP session."""
        for reader in self.readers:
            reader.cancel()
        for ws in self.sockets:
            with contextlib.suppress(Exception):
                await ws.close()
        await self.http.close()


async def unauthenticated_drive_sockets(
    ws_url: str, origin: str, count: int, *, source: str = ATTACKER
) -> HeldTabs:
    """Open `count` drive sockets that never send a key; refused ones keep their HTTP status."""
    import aiohttp

    connector = aiohttp.TCPConnector(local_addr=(source, 0), limit=0, force_close=True)
    held = HeldTabs(aiohttp.ClientSession(
        connector=connector, timeout=aiohttp.ClientTimeout(total=5)))
    for _ in range(count):
        try:
            ws = await held.http.ws_connect(ws_url, origin=origin, heartbeat=None)
        except aiohttp.WSServerHandshakeError as exc:
            held.refused.append(exc.status)
            continue
        held.sockets.append(ws)
        held.readers.append(asyncio.ensure_future(_read_until_closed(ws)))
    return held


async def _read_until_closed(ws: Any) -> None:
    """Receive (so pings are answered, as a real tab does) until the daemon closes the socket."""
    with contextlib.suppress(Exception):
        while not ws.closed:
            await ws.receive()


async def keyed_client_connect_time(
    address: str, api_key: tuple[str, str] | None, timeout: float = 5.0
) -> float | None:
    """Seconds for a new client to connect, authenticate and list resources; None if it can't."""
    from tether.client.aio import AsyncClient

    client = AsyncClient(address, api_key=api_key)
    began = time.monotonic()
    try:
        await asyncio.wait_for(client.open(), timeout)
    except Exception:
        return None
    finally:
        client.close()
    return time.monotonic() - began


async def drive_page_connect_time(
    ws_url: str, origin: str, api_key: tuple[str, str] | None, timeout: float = 5.0
) -> float | None:
    """Seconds for a new tab to open the drive socket and get a session; None if it can't."""
    import json

    import aiohttp

    began = time.monotonic()

    async def attempt() -> bool:
        async with aiohttp.ClientSession() as http, http.ws_connect(ws_url, origin=origin) as ws:
            if api_key is not None:
                await ws.send_json({"type": "auth", "key_id": api_key[0], "secret": api_key[1]})
            async for message in ws:
                if message.type is not aiohttp.WSMsgType.TEXT:
                    return False
                if json.loads(message.data).get("type") == "session":
                    return True
            return False

    try:
        granted = await asyncio.wait_for(attempt(), timeout)
    except Exception:
        return None
    return time.monotonic() - began if granted else None


# -- the daemon under attack, in a process of its own ------------------------------------------

ROVER = """
[server]
listen = "127.0.0.1:0"
{tls}
[[auth.keys]]
id = "{key_id}"
secret_file = "{secret}"

[web]
enabled = true
listen = "127.0.0.1:0"

"""


def write_rover_config(folder: Path, *, tls: tuple[Path, Path] | None = None) -> Path:
    """A two-wheel rover with KEY, its drive page on, both ports on 127.0.0.1 (ephemeral)."""
    secret = folder / "secret"
    secret.write_text(KEY[1] + "\n")
    secret.chmod(0o600)
    cert = f'tls_cert = "{tls[0]}"\ntls_key = "{tls[1]}"' if tls else ""
    config = folder / "rover.toml"
    config.write_text(ROVER.format(tls=cert, key_id=KEY[0], secret=secret) + GPIO_ROVER)
    return config



#: `tether` with its fd limit set first (soft and hard: the daemon cannot raise it back), in the
#: child itself rather than in a preexec_fn (unsafe beside threads).
_LIMITED_SERVE = """
import resource, sys
nofile = int(sys.argv[1])
if nofile:
    resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))
from tether.cli import main
sys.exit(main(sys.argv[2:]))
"""


class DaemonProcess:
    """`tether serve CONFIG --sim` with RLIMIT_NOFILE = `nofile`; stderr goes to `log_path`."""

    def __init__(self, config: Path, log_path: Path, *, nofile: int | None = None) -> None:
        self.log_path = log_path
        self.address = ""
        self.web_url = ""
        self._log = open(log_path, "wb")  # noqa: SIM115 - closed in close()
        self.process = subprocess.Popen(
            [sys.executable, "-c", _LIMITED_SERVE, str(nofile or 0), "serve", str(config), "--sim"],
            stdout=subprocess.PIPE, stderr=self._log, text=True,
        )
        self._lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read_stdout, daemon=True).start()

    def _read_stdout(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._lines.put(line)
        self._lines.put("")  # the daemon closed its stdout: it exited

    def wait_ready(self, timeout: float = 20.0) -> None:
        """Read the start-up lines: the gRPC address and the drive page's URL."""
        until = time.monotonic() + timeout
        while not (self.address and self.web_url):
            line = self._line(until - time.monotonic())
            served = re.search(r" on (\S+?)( \(|$)", line.strip())
            if line.startswith("tether: serving") and served:
                self.address = served.group(1)
            page = re.search(r"drive page at (\S+)", line)
            if page:
                self.web_url = page.group(1)

    def _line(self, timeout: float) -> str:
        try:
            line = self._lines.get(timeout=max(timeout, 0.0))
        except queue.Empty:
            line = ""
        if not line:
            self.process.poll()
            raise RuntimeError(
                f"daemon not ready (exit code {self.process.returncode}): "
                f"{self.log_path.read_text()[-2000:]}"
            )
        return line

    @property
    def web_host_port(self) -> tuple[str, int]:
        """The drive page's host and port."""
        host, _, port = self.web_url.split("//")[1].rstrip("/").rpartition(":")
        return host, int(port)

    @property
    def grpc_host_port(self) -> tuple[str, int]:
        """The gRPC port's host and port."""
        host, _, port = self.address.rpartition(":")
        return host, int(port)

    def cpu_seconds(self) -> float:
        """User + system CPU time the daemon has used."""
        return cpu_seconds(self.process.pid)

    def rss_mib(self) -> float:
        """The daemon's resident memory now, MiB."""
        return rss_mib(self.process.pid)

    def open_fds(self) -> int:
        """File descriptors the daemon holds now."""
        return len(os.listdir(f"/proc/{self.process.pid}/fd"))

    def log_bytes(self) -> int:
        """Bytes the daemon has written to stderr (its log)."""
        return self.log_path.stat().st_size

    def close(self) -> None:
        """SIGTERM, then SIGKILL if it lingers; always reaped."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self._log.close()


@dataclass
class AttackFigures:
    """What one attack did to the daemon, measured from outside."""

    attack: str
    held: int
    connect_time: float | None
    cpu_percent: float
    log_bytes_per_s: float

    def __str__(self) -> str:
        shown = "locked out" if self.connect_time is None else f"{self.connect_time * 1000:.0f} ms"
        return (f"{self.attack}: {self.held} held; a new keyed client: {shown}; daemon CPU "
                f"{self.cpu_percent:.0f} %; log {self.log_bytes_per_s / 1000:.1f} kB/s")


async def measure_during(
    daemon: DaemonProcess, seconds: float, probe: Callable[[], Awaitable[Any]]
) -> tuple[float, float, Any]:
    """Daemon CPU % and log bytes/s over `seconds` of attack, then `await probe()`'s result."""
    cpu, logged, began = daemon.cpu_seconds(), daemon.log_bytes(), time.monotonic()
    await asyncio.sleep(seconds)
    elapsed = time.monotonic() - began
    cpu_percent = 100 * (daemon.cpu_seconds() - cpu) / elapsed
    log_rate = (daemon.log_bytes() - logged) / elapsed
    return cpu_percent, log_rate, await probe()


async def run_attack(
    daemon: DaemonProcess, attack: str, count: int, seconds: float
) -> AttackFigures:
    """One named attack (ATTACKS) against a ready daemon: held, connect time, CPU, log rate."""
    host, port = daemon.web_host_port if attack in ("web-silent", "web-slow") else (
        daemon.grpc_host_port)
    ws_url = daemon.web_url.replace("http://", "ws://") + "ws"
    origin = daemon.web_url.rstrip("/")
    if attack == "keyless-tabs":
        tabs = await unauthenticated_drive_sockets(ws_url, origin, count)
        try:
            cpu, log_rate, connect = await measure_during(
                daemon, seconds, lambda: drive_page_connect_time(ws_url, origin, KEY))
            return AttackFigures(attack, tabs.open_now(), connect, cpu, log_rate)
        finally:
            await tabs.close()
    held = await ATTACKS[attack](host, port, count)
    try:
        cpu, log_rate, connect = await measure_during(
            daemon, seconds, lambda: keyed_client_connect_time(daemon.address, KEY))
        return AttackFigures(attack, held.open_now(), connect, cpu, log_rate)
    finally:
        held.close()


ATTACKS: dict[str, Callable[[str, int, int], Awaitable[HeldConnections]]] = {
    "grpc-idle-h2": idle_http2_connections,
    "grpc-idle-h2-many": idle_http2_from_many_addresses,
    "web-silent": silent_connections,
    "web-slow": slow_headers,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Each attack against a fresh `tether serve --sim` with RLIMIT_NOFILE = --nofile."""
    import argparse
    import tempfile

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--nofile", type=int, default=1024)
    parser.add_argument("--count", type=int, default=1100, help="connections per attack")
    parser.add_argument("--tabs", type=int, default=20, help="keyless drive sockets")
    parser.add_argument("--seconds", type=float, default=5.0)
    names = [*ATTACKS, "keyless-tabs"]
    parser.add_argument("attacks", nargs="*", help=f"of {', '.join(names)} (default: all)")
    args = parser.parse_args(argv)
    unknown = set(args.attacks) - set(names)
    if unknown:
        parser.error(f"attacks {sorted(unknown)}: expected some of {', '.join(names)}")
    for attack in args.attacks or names:
        with tempfile.TemporaryDirectory() as folder:
            daemon = DaemonProcess(write_rover_config(Path(folder)), Path(folder) / "log",
                                   nofile=args.nofile)
            try:
                daemon.wait_ready()
                count = args.tabs if attack == "keyless-tabs" else args.count
                print(asyncio.run(run_attack(daemon, attack, count, args.seconds)), flush=True)
            finally:
                daemon.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
