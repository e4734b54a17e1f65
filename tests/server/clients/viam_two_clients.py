"""Two viam-sdk RobotClients, unchanged, in one process: one closes while the other keeps calling.

usage: viam_two_clients.py ADDRESS
Client A drives the base (a session, so its heartbeat thread runs); client B calls IsMoving
back to back, one call always in flight. A's `close()` joins its heartbeat thread for about
1 s with the loop blocked, so nothing in this process reads its sockets meanwhile. Afterwards
B drives the base itself. Prints one JSON line: how long close() held the loop, B's calls that
succeeded before/after, and every error B saw.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from typing import Any

from viam.components.base import Base
from viam.proto.common import Vector3
from viam.robot.client import RobotClient
from viam.rpc.dial import DialOptions


def options() -> RobotClient.Options:
    return RobotClient.Options(dial_options=DialOptions(insecure=True, disable_webrtc=True))


async def main(address: str) -> None:
    a: Any = await RobotClient.at_address(address, options())
    b: Any = await RobotClient.at_address(address, options())
    await Base.from_robot(a, "base").set_power(Vector3(y=0.3), Vector3())
    b_base = Base.from_robot(b, "base")
    calls, errors = 0, []
    closing = asyncio.Event()

    async def keep_calling() -> None:
        nonlocal calls
        until = None
        while until is None or time.monotonic() < until:
            try:
                await b_base.is_moving()
                calls += 1
            except Exception as exc:
                errors.append(f"{type(exc).__name__}: {exc}")
            if closing.is_set() and until is None:
                until = time.monotonic() + 1.0  # keep calling 1 s after A's close returned

    caller = asyncio.create_task(keep_calling())
    await asyncio.sleep(1.0)  # past the daemon's first keepalive pings of every connection
    before = calls
    started = time.monotonic()
    await a.close()
    blocked = time.monotonic() - started
    closing.set()
    await caller
    try:
        await b_base.set_power(Vector3(y=0.4), Vector3())
        drove = True
    except Exception as exc:
        errors.append(f"set_power: {type(exc).__name__}: {exc}")
        drove = False
    print(json.dumps({"close_s": blocked, "calls_before": before, "calls_after": calls - before,
                      "errors": errors, "b_drove": drove}), flush=True)
    await b.close()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
