"""A viam-sdk client, unchanged, as a user would write it: drive the base, then wait or loop.

usage: viam_drive.py ADDRESS LINEAR [hold|loop|motor]
(motor: drive motor 'left' at power LINEAR instead of the base)
"""

from __future__ import annotations

import asyncio
import sys

from viam.components.base import Base
from viam.components.motor import Motor
from viam.proto.common import Vector3
from viam.robot.client import RobotClient
from viam.rpc.dial import DialOptions


async def main(address: str, linear: float, mode: str) -> None:
    options = RobotClient.Options(dial_options=DialOptions(insecure=True, disable_webrtc=True))
    robot = await RobotClient.at_address(address, options)
    base = Base.from_robot(robot, "base")
    if mode == "motor":
        await Motor.from_robot(robot, "left").set_power(linear)
    else:
        await base.set_power(Vector3(x=0, y=linear, z=0), Vector3(x=0, y=0, z=0))
    print("driving", flush=True)
    while True:
        await asyncio.sleep(0.1)
        if mode == "loop":
            try:
                await base.set_power(Vector3(x=0, y=linear, z=0), Vector3(x=0, y=0, z=0))
                print("ok", flush=True)
            except Exception as exc:
                print(f"error: {exc}", flush=True)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], float(sys.argv[2]), sys.argv[3] if len(sys.argv) > 3 else "hold"))
