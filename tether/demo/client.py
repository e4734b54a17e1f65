"""The demo's client process: drives the base through the daemon, heartbeating from its own loop.

python -m tether.demo.client ADDRESS [LINEAR]   (prints "driving <session id>" once moving)
"""

from __future__ import annotations

import asyncio
import sys

from tether.client.channel import open_channel
from tether.wire.viam.common.v1 import common_pb2
from tether.wire.viam.component.base.v1 import base_grpc, base_pb2
from tether.wire.viam.robot.v1 import robot_grpc, robot_pb2


async def drive(address: str, linear: float) -> None:
    """Start a session, then send the command at 20 Hz with the session id (each a heartbeat)."""
    channel = open_channel(address)
    robot = robot_grpc.RobotServiceStub(channel)
    base = base_grpc.BaseServiceStub(channel)
    session = await robot.StartSession(robot_pb2.StartSessionRequest())
    command = base_pb2.SetPowerRequest(
        name="base", linear=common_pb2.Vector3(y=linear), angular=common_pb2.Vector3()
    )
    metadata = {"viam-sid": session.id}
    await base.SetPower(command, metadata=metadata)
    print(f"driving {session.id}", flush=True)
    while True:
        await asyncio.sleep(0.05)
        await base.SetPower(command, metadata=metadata)


def main(argv: list[str]) -> None:
    """ADDRESS [LINEAR]: drive until killed."""
    asyncio.run(drive(argv[0], float(argv[1]) if len(argv) > 1 else 0.6))


if __name__ == "__main__":
    main(sys.argv[1:])
