"""A client process for the fault matrix: drives one base (or motor), says what happens on stdout.

usage: fault_client.py ADDRESS KIND [--base NAME | --motor NAME] [--power P] [--rate HZ]
                       [--window S] [--keepalive] [--api-key ID:SECRET]
                       [--on-error continue|idle] [--start-tries N]

KIND is one of
  raw     grpclib stubs, as tether.demo_client: StartSession, then SetPower carrying viam-sid at
          --rate Hz (each one a heartbeat); with --api-key it authenticates first;
  tether  tether.client: a session bound to an Attach stream, set_power at --rate Hz (each a
          heartbeat too); --rate 0 sends one command and then only the opt-in --keepalive beats;
  viam    viam-sdk, unchanged: set_power at --rate Hz, or once with --rate 0 (its own thread
          heartbeats either way).

stdout: "driving <session id>" once the first command succeeded (raw and tether try it up to
--start-tries times, 0.1 s apart, for devices that answer slowly on a loaded machine);
"error <text>" for each failed command (with --on-error idle, none is sent after the first
failure); reading "end" on stdin ends gracefully: "ending <time.monotonic()>" just before,
"ended" after. viam only: reading "block S" blocks the client's event loop for S seconds (as
viam-sdk's own close() does for ~1 s), then sends a command at once and says "unblocked".
The process exits by itself after LIFETIME seconds, so a test that dies leaves no client
behind for long.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import select
import sys
import time
from typing import Any

LIFETIME = 120.0


def say(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


class StdinLines:
    """Lines from stdin without blocking: `wait(timeout)` returns a line or None."""

    def __init__(self) -> None:
        self._fd = sys.stdin.fileno()
        self._buffer = b""
        self._eof = False

    def wait(self, timeout: float | None) -> str | None:
        until = None if timeout is None else time.monotonic() + timeout
        while b"\n" not in self._buffer:
            left = None if until is None else max(0.0, until - time.monotonic())
            if self._eof:
                if left is not None:
                    time.sleep(left)
                return None
            ready, _, _ = select.select([self._fd], [], [], left)
            if not ready:
                return None
            chunk = os.read(self._fd, 1024)
            if not chunk:
                self._eof = True
            self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        return line.decode().strip()

    async def async_wait(self, timeout: float | None) -> str | None:
        """The same, for an asyncio client: waits in a thread so the loop keeps running."""
        return await asyncio.get_running_loop().run_in_executor(None, self.wait, timeout)


def pause(args: argparse.Namespace, sending: bool) -> float:
    """How long to wait for stdin before the next command (bounded even when idle)."""
    return 1.0 / args.rate if sending else 0.5


def expired(started: float) -> bool:
    return time.monotonic() - started > LIFETIME


# -- raw grpclib --------------------------------------------------------------------------------


async def run_raw(args: argparse.Namespace) -> None:
    from grpclib.exceptions import GRPCError, StreamTerminatedError

    from tether.client.channel import open_channel
    from tether.wire.proto.rpc.v1 import auth_grpc, auth_pb2
    from tether.wire.viam.common.v1 import common_pb2
    from tether.wire.viam.component.base.v1 import base_grpc, base_pb2
    from tether.wire.viam.component.motor.v1 import motor_grpc, motor_pb2
    from tether.wire.viam.robot.v1 import robot_grpc, robot_pb2

    started, lines = time.monotonic(), StdinLines()
    channel = open_channel(args.address)
    auth: dict[str, str] = {}
    if args.api_key:
        key_id, _, secret = args.api_key.partition(":")
        granted = await auth_grpc.AuthServiceStub(channel).Authenticate(
            auth_pb2.AuthenticateRequest(
                entity=key_id, credentials=auth_pb2.Credentials(type="api-key", payload=secret)
            )
        )
        auth = {"authorization": f"Bearer {granted.access_token}"}
    robot = robot_grpc.RobotServiceStub(channel)
    session = await robot.StartSession(robot_pb2.StartSessionRequest(), metadata=auth)
    metadata = {**auth, "viam-sid": session.id}
    if args.motor:
        motor = motor_grpc.MotorServiceStub(channel)
        motor_command = motor_pb2.SetPowerRequest(name=args.motor, power_pct=args.power)

        async def command() -> None:
            await motor.SetPower(motor_command, metadata=metadata)

    else:
        base = base_grpc.BaseServiceStub(channel)
        base_command = base_pb2.SetPowerRequest(
            name=args.base, linear=common_pb2.Vector3(y=args.power), angular=common_pb2.Vector3()
        )

        async def command() -> None:
            await base.SetPower(base_command, metadata=metadata)

    for attempt in range(args.start_tries):
        try:
            await command()
            break
        except GRPCError:
            if attempt + 1 == args.start_tries:
                raise
            await asyncio.sleep(0.1)
    say(f"driving {session.id}")
    failed = False
    while not expired(started):
        sending = args.rate > 0 and not failed
        line = await lines.async_wait(pause(args, sending))
        if line == "end":
            say(f"ending {time.monotonic()!r}")
            channel.close()  # the Viam API has no end: the connection closing ends the session
            say("ended")
            return
        if not sending or line is not None:
            continue
        try:
            await command()
        except (GRPCError, StreamTerminatedError, OSError) as exc:
            say(f"error {type(exc).__name__}: {exc}")
            failed = args.on_error == "idle"


# -- tether.client ------------------------------------------------------------------------------


def run_tether(args: argparse.Namespace) -> None:
    from tether.client import connect
    from tether.errors import TetherError

    started, lines = time.monotonic(), StdinLines()
    with connect(args.address, api_key=args.api_key) as rover:
        with rover.session(args.window, keepalive=args.keepalive) as session:
            if args.motor:
                motor = rover.motor(args.motor)

                def command() -> None:
                    motor.set_power(args.power)

            else:
                base = rover.base(args.base)

                def command() -> None:
                    base.set_power(args.power, 0.0)

            for attempt in range(args.start_tries):
                try:
                    command()
                    break
                except TetherError:
                    if attempt + 1 == args.start_tries:
                        raise
                    time.sleep(0.1)
            say(f"driving {session.id}")
            failed = False
            while not expired(started):
                sending = args.rate > 0 and not failed
                line = lines.wait(pause(args, sending))
                if line == "end":
                    say(f"ending {time.monotonic()!r}")
                    break
                if not sending or line is not None:
                    continue
                try:
                    command()
                except TetherError as exc:
                    say(f"error {type(exc).__name__}: {exc}")
                    failed = args.on_error == "idle"
        say("ended")


# -- viam-sdk -----------------------------------------------------------------------------------


async def run_viam(args: argparse.Namespace) -> None:
    from viam.components.base import Base
    from viam.proto.common import Vector3
    from viam.robot.client import RobotClient
    from viam.rpc.dial import DialOptions

    started, lines = time.monotonic(), StdinLines()
    options = RobotClient.Options(dial_options=DialOptions(insecure=True, disable_webrtc=True))
    robot: Any = await RobotClient.at_address(args.address, options)
    base: Any = Base.from_robot(robot, args.base)
    linear, angular = Vector3(x=0, y=args.power, z=0), Vector3(x=0, y=0, z=0)
    await base.set_power(linear, angular)
    say("driving viam")
    failed = False
    while not expired(started):
        sending = args.rate > 0 and not failed
        line = await lines.async_wait(pause(args, sending))
        if line == "end":
            say(f"ending {time.monotonic()!r}")
            await robot.close()
            say("ended")
            return
        if line is not None and line.startswith("block "):
            time.sleep(float(line.split()[1]))  # blocking the loop is the fault
        elif not sending or line is not None:
            continue
        try:
            await base.set_power(linear, angular)
        except Exception as exc:
            say(f"error {type(exc).__name__}: {exc}")
            failed = args.on_error == "idle"
        if line is not None:
            say("unblocked")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("address")
    parser.add_argument("kind", choices=("raw", "tether", "viam"))
    parser.add_argument("--base", default="base")
    parser.add_argument("--motor", default=None, help="drive this motor instead (raw, tether)")
    parser.add_argument("--power", type=float, default=0.5)
    parser.add_argument("--rate", type=float, default=20.0)
    parser.add_argument("--window", type=float, default=None)
    parser.add_argument("--keepalive", action="store_true")
    parser.add_argument("--api-key", default=None)
    parser.add_argument("--on-error", choices=("continue", "idle"), default="continue")
    parser.add_argument("--start-tries", type=int, default=1)
    args = parser.parse_args()
    if args.kind == "raw":
        asyncio.run(run_raw(args))
    elif args.kind == "tether":
        run_tether(args)
    else:
        asyncio.run(run_viam(args))


if __name__ == "__main__":
    main()
