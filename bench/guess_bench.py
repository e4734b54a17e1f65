"""Guessing API keys: how many wrong secrets a peer gets checked per second, and what it costs.

Run: python bench/guess_bench.py [--seconds 20] [--connections 4] [--workers 16]

`tether serve examples/rover.toml --sim` with one API key runs in its own process on 127.0.0.1.
An attacker on 127.0.0.1 sends wrong secrets to Authenticate as fast as it can (several
connections, many calls in flight); meanwhile the key's owner logs in from 127.0.0.2 (another
peer on the loopback network) every half second. Printed: guesses answered per second (and how
many had their secret checked), the owner's worst login time and failures, the daemon's CPU and
the lines it logged. Every socket is on loopback; every loop is bounded in count and time.
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

from grpclib.client import Channel
from grpclib.exceptions import GRPCError, StreamTerminatedError
from processes import cpu_seconds

from tether.wire.proto.rpc.v1 import auth_grpc, auth_pb2

ROOT = Path(__file__).resolve().parent.parent
ROVER = ROOT / "examples" / "rover.toml"
WRONG = "unknown API key id or wrong secret"
OWNER_EVERY = 0.5


class SourceChannel(Channel):
    """A plaintext channel whose connection leaves from `source` (e.g. 127.0.0.2): another peer."""

    def __init__(self, host: str, port: int, source: str) -> None:
        super().__init__(host, port)
        self._source = source

    async def _create_connection(self):  # type: ignore[no-untyped-def]
        _, protocol = await self._loop.create_connection(
            self._protocol_factory, self._host, self._port, local_addr=(self._source, 0))
        return protocol


def request(key_id: str, secret: str) -> auth_pb2.AuthenticateRequest:
    return auth_pb2.AuthenticateRequest(
        entity=key_id, credentials=auth_pb2.Credentials(type="api-key", payload=secret))


def start_daemon(folder: Path, key_id: str, secret: str, port: int) -> subprocess.Popen[str]:
    secret_file = folder / "owner.key"
    secret_file.write_text(secret + "\n")
    secret_file.chmod(0o600)
    config = folder / "rover.toml"
    text = ROVER.read_text().replace('listen = "127.0.0.1:8080"', f'listen = "127.0.0.1:{port}"')
    config.write_text(f'{text}\n[[auth.keys]]\nid = "{key_id}"\nsecret_file = "{secret_file}"\n')
    daemon = subprocess.Popen(
        [sys.executable, "-m", "tether.cli", "serve", str(config), "--sim"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    assert daemon.stdout is not None
    line = daemon.stdout.readline()
    if "serving" not in line:
        daemon.kill()
        errors = daemon.stderr.read() if daemon.stderr else ""
        raise SystemExit(f"daemon did not start: {line!r} {errors}")
    return daemon


async def guess_secrets(
    port: int, key_id: str, seconds: float, answers: Counter[str], *, connections: int = 4,
    workers: int = 16, source: str = "127.0.0.1",
) -> None:
    """Wrong secrets for key_id from `source` to 127.0.0.1:port until `seconds` pass, `workers`
    calls in flight on each of `connections`; each answer counted in `answers`."""
    until = time.monotonic() + seconds
    channels = [SourceChannel("127.0.0.1", port, source) for _ in range(connections)]

    async def guess(channel: Channel) -> None:
        stub = auth_grpc.AuthServiceStub(channel)
        while time.monotonic() < until:
            try:
                await stub.Authenticate(request(key_id, secrets.token_urlsafe(24)), timeout=5)
                answers["accepted"] += 1
            except GRPCError as error:
                answers["wrong secret (checked)" if error.message == WRONG
                        else f"refused: {error.status.name}"] += 1
            except (StreamTerminatedError, OSError, TimeoutError) as error:
                answers[f"connection: {type(error).__name__}"] += 1
                await asyncio.sleep(0.01)

    try:
        await asyncio.gather(*(guess(c) for c in channels for _ in range(workers)))
    finally:
        for channel in channels:
            channel.close()


async def owner(port: int, key_id: str, secret: str, seconds: float,
                logins: list[tuple[float, bool]]) -> None:
    """The key's owner logs in from 127.0.0.2 every OWNER_EVERY s on a new connection."""
    until = time.monotonic() + seconds
    while time.monotonic() < until:
        channel = SourceChannel("127.0.0.1", port, "127.0.0.2")
        started = time.monotonic()
        try:
            reply = await auth_grpc.AuthServiceStub(channel).Authenticate(
                request(key_id, secret), timeout=5)
            logins.append((time.monotonic() - started, bool(reply.access_token)))
        except (GRPCError, StreamTerminatedError, OSError, TimeoutError):
            logins.append((time.monotonic() - started, False))
        finally:
            channel.close()
        await asyncio.sleep(OWNER_EVERY)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--workers", type=int, default=16, help="calls in flight per connection")
    parser.add_argument("--port", type=int, default=18475)
    args = parser.parse_args()
    key_id, secret = str(uuid.uuid4()), secrets.token_urlsafe(24)
    with tempfile.TemporaryDirectory() as folder:
        daemon = start_daemon(Path(folder), key_id, secret, args.port)
        log_lines: list[str] = []
        assert daemon.stderr is not None
        stderr = daemon.stderr
        threading.Thread(target=lambda: log_lines.extend(stderr), daemon=True).start()
        try:
            answers: Counter[str] = Counter()
            logins: list[tuple[float, bool]] = []
            cpu = cpu_seconds(daemon.pid)

            async def run() -> None:
                await asyncio.gather(
                    guess_secrets(args.port, key_id, args.seconds, answers,
                                  connections=args.connections, workers=args.workers),
                    owner(args.port, key_id, secret, args.seconds, logins))

            started = time.monotonic()
            asyncio.run(run())
            elapsed = time.monotonic() - started
            cpu = cpu_seconds(daemon.pid) - cpu
        finally:
            daemon.terminate()
            daemon.wait(10)
    total = sum(answers.values())
    checked = answers["wrong secret (checked)"]
    print(f"attack: {args.seconds:g} s from 127.0.0.1, {args.connections} connections x "
          f"{args.workers} calls in flight")
    print(f"  answered {total} ({total / elapsed:,.0f}/s); secret checked {checked} "
          f"({checked / elapsed:,.1f}/s)")
    for kind, count in sorted(answers.items()):
        print(f"    {kind}: {count}")
    worst = max((t for t, _ in logins), default=float("nan"))
    failed = sum(1 for _, ok in logins if not ok)
    print(f"owner from 127.0.0.2: {len(logins)} logins, {failed} failed, "
          f"worst {worst * 1000:.0f} ms")
    print(f"daemon: CPU {cpu:.1f} s over {elapsed:.1f} s ({100 * cpu / elapsed:.0f} %); "
          f"{len(log_lines)} log lines")
    for line in log_lines[:5]:
        print(f"    {line.rstrip()}")


if __name__ == "__main__":
    main()
