"""What runs in each client process: a tether.client or a viam-sdk client that drives one base at
a time when the scheduler says so, one line a step on stdout ("ready", "driving ID", "ending T",
"idle HOW", "hwerror", "bye"), commands on stdin ("drive BASE POWER WINDOW", "end", "drop",
"close", "quit"). The scheduler also SIGKILLs, SIGSTOPs and SIGCONTs it."""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import logging
import os
import queue
import signal
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

PERIOD = 0.1  # seconds between a client's commands (each one is a heartbeat)
WORKER_LIFETIME = 3600.0  # a client process exits by itself after this


def say(text: str) -> None:
    """One line to the scheduler."""
    print(text, flush=True)


def die_with_parent(parent: int) -> None:
    """SIGKILL this process when the scheduler dies, even while stopped (Linux prctl)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    if os.getppid() != parent:
        os._exit(1)


def read_commands(commands: queue.Queue[str]) -> None:
    """Forward stdin lines; at EOF (the scheduler is gone) exit at once."""
    for line in sys.stdin:
        commands.put(line.strip())
    os._exit(0)


def next_command(commands: queue.Queue[str], timeout: float) -> str | None:
    """The next command, or None after timeout."""
    try:
        return commands.get(timeout=timeout)
    except queue.Empty:
        return None


# -- tether.client ----------------------------------------------------------------------------


def retry_first(call: Callable[[], None], hardware_error: type[Exception]) -> None:
    """The first command may meet a fault left on the hardware: retry it for up to 3 s."""
    until = time.monotonic() + 3.0
    while True:
        try:
            call()
            return
        except hardware_error:
            if time.monotonic() > until:
                raise
            time.sleep(PERIOD)


def tether_session(rover: Any, name: str, power: float, window: float,
                   commands: queue.Queue[str]) -> str:
    """Drive one base in one tether.client session until told to end; how it ended."""
    from tether.errors import HardwareError

    with rover.session(window) as session:
        base = rover.base(name)
        retry_first(lambda: base.set_power(power, 0.0), HardwareError)
        say(f"driving {session.id}")
        until = time.monotonic() + WORKER_LIFETIME
        while time.monotonic() < until:
            command = next_command(commands, PERIOD)
            if command in ("end", "drop"):
                say(f"ending {time.monotonic():.6f}")
                if command == "drop":
                    rover.reconnect()  # the session's connection closes with the session open
                return "dropped" if command == "drop" else "ended"
            try:
                base.set_power(power, 0.0)
            except HardwareError:
                say("hwerror")
    return "timeout"


def tether_drive(rover: Any, args: list[str], commands: queue.Queue[str]) -> str:
    """One session; a lapsed session or a lost connection ends it (and reconnects)."""
    from tether.errors import ConnectionLost, SessionExpired, TetherError

    try:
        return tether_session(rover, args[0], float(args[1]), float(args[2]), commands)
    except SessionExpired:
        return "expired"
    except ConnectionLost:
        rover.reconnect()
        return "lost"
    except TetherError as exc:
        return f"error {type(exc).__name__}"


def tether_worker(address: str, commands: queue.Queue[str]) -> None:
    """A tether.client (blocking API) process: one connection, sessions on demand."""
    from tether.client import connect

    with connect(address) as rover:
        say("ready")
        until = time.monotonic() + WORKER_LIFETIME
        while time.monotonic() < until:
            verb, *args = (next_command(commands, 1.0) or "wait").split()
            if verb == "quit":
                return
            if verb == "drive":
                say(f"idle {tether_drive(rover, args, commands)}")


# -- viam-sdk ---------------------------------------------------------------------------------


async def viam_poll(commands: queue.Queue[str], timeout: float) -> str | None:
    """The next command without blocking the loop (viam-sdk runs tasks on it)."""
    until = time.monotonic() + timeout
    while True:
        with contextlib.suppress(queue.Empty):
            return commands.get_nowait()
        if time.monotonic() >= until:
            return None
        await asyncio.sleep(min(0.02, timeout))


async def viam_first(call: Callable[[], Any]) -> None:
    """The first set_power, retried for up to 3 s while the daemon reports a hardware error."""
    until = time.monotonic() + 3.0
    while True:
        try:
            await call()
            return
        except Exception as exc:
            if "hardware error" not in str(exc) or time.monotonic() > until:
                raise
            await asyncio.sleep(PERIOD)


async def viam_loop(call: Callable[[], Any], commands: queue.Queue[str]) -> str:
    """Command at 10 Hz until told to end (closing the client ends the session)."""
    until = time.monotonic() + WORKER_LIFETIME
    while time.monotonic() < until:
        if await viam_poll(commands, PERIOD) == "close":
            say(f"ending {time.monotonic():.6f}")
            return "ended"
        try:
            await call()
        except Exception as exc:
            if "hardware error" not in str(exc):
                raise
            say("hwerror")
    return "timeout"


async def viam_drive(address: str, args: list[str], commands: queue.Queue[str]) -> str:
    """Connect with viam-sdk, drive one base until told to end, close; how it ended."""
    from viam.components.base import Base
    from viam.proto.common import Vector3
    from viam.robot.client import RobotClient
    from viam.rpc.dial import DialOptions

    options = RobotClient.Options(
        dial_options=DialOptions(insecure=True, disable_webrtc=True), log_level=logging.WARNING
    )
    try:
        robot = await asyncio.wait_for(RobotClient.at_address(address, options), 20)
    except Exception as exc:
        return f"error connect {type(exc).__name__}"
    try:
        base = Base.from_robot(robot, args[0])
        linear, still = Vector3(x=0, y=float(args[1]), z=0), Vector3(x=0, y=0, z=0)
        await viam_first(lambda: base.set_power(linear, still))
        say("driving -")
        return await viam_loop(lambda: base.set_power(linear, still), commands)
    except Exception as exc:
        return "expired" if "SESSION_EXPIRED" in str(exc) else f"error {type(exc).__name__}"
    finally:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(robot.close(), 5)  # type: ignore[no-untyped-call]


async def viam_worker(address: str, commands: queue.Queue[str]) -> None:
    """A viam-sdk process: a new RobotClient (a reconnect) for every session."""
    say("ready")
    until = time.monotonic() + WORKER_LIFETIME
    while time.monotonic() < until:
        verb, *args = (await viam_poll(commands, 1.0) or "wait").split()
        if verb == "quit":
            return
        if verb == "drive":
            say(f"idle {await viam_drive(address, args, commands)}")


def worker_main(kind: str, address: str, parent: int) -> None:
    """Entry point of a client process."""
    die_with_parent(parent)
    logging.basicConfig(level=logging.CRITICAL)
    commands: queue.Queue[str] = queue.Queue()
    threading.Thread(target=read_commands, args=(commands,), daemon=True).start()
    if kind == "tether":
        tether_worker(address, commands)
    else:
        asyncio.run(viam_worker(address, commands))
    say("bye")
