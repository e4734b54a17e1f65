"""A viam-sdk client, unchanged, over TLS with an API key: drive the base, print "driving", then
wait (hold) or keep driving every 0.1 s, printing "ok" or "error: ..." for each command (loop).

usage: viam_tls.py ADDRESS KEY_ID LINEAR [hold|loop]
The key's secret comes from the environment variable TETHER_TEST_API_SECRET (not argv, which
other processes can read). KEY_ID must be a UUID (the SDK checks). For 127.x addresses the SDK
uses an unverified TLS context, so the daemon's self-signed certificate is accepted.
"""

from __future__ import annotations

import asyncio
import os
import sys

from viam.components.base import Base
from viam.proto.common import Vector3
from viam.robot.client import RobotClient
from viam.rpc.dial import DialOptions

SECRET_VARIABLE = "TETHER_TEST_API_SECRET"


async def main(address: str, key_id: str, linear: float, mode: str) -> None:
    dial = DialOptions.with_api_key(api_key=os.environ[SECRET_VARIABLE], api_key_id=key_id)
    dial.insecure = False
    dial.disable_webrtc = True
    robot = await RobotClient.at_address(address, RobotClient.Options(dial_options=dial))
    base = Base.from_robot(robot, "base")
    await base.set_power(Vector3(x=0, y=linear, z=0), Vector3(x=0, y=0, z=0))
    print("driving", flush=True)
    while True:
        await asyncio.sleep(0.1 if mode == "loop" else 1)
        if mode == "loop":
            try:
                await base.set_power(Vector3(x=0, y=linear, z=0), Vector3(x=0, y=0, z=0))
                print("ok", flush=True)
            except Exception as exc:
                print(f"error: {type(exc).__name__}: {exc}", flush=True)


if __name__ == "__main__":
    mode = sys.argv[4] if len(sys.argv) > 4 else "hold"
    asyncio.run(main(sys.argv[1], sys.argv[2], float(sys.argv[3]), mode))
