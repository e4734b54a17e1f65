"""The same gamepad teleop through the unchanged Viam SDK (viam-sdk's Base, tether's Teleop).

  python examples/viam_sdk_drive.py 127.0.0.1:8080                 # a real pad (evdev)
  python examples/viam_sdk_drive.py 127.0.0.1:8080 --replay examples/recordings/demo_drive.txt

viam-sdk heartbeats its session from a background task, so a hung script keeps it alive: here
the teleop's own stops (deadman, a pad that is unplugged or dropped) are what stop the rover.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Coroutine
from typing import Any

from viam.components.base import Base  # import components before connecting
from viam.proto.common import Vector3
from viam.robot.client import RobotClient
from viam.rpc.dial import DialOptions

from tether.input import EvdevGamepad, FakeGamepad, PadSource, load_recording
from tether.teleop import Teleop, TeleopSettings


class ViamDrive:
    """The teleop's set_power / stop / heartbeat on viam-sdk's asyncio Base."""

    def __init__(self, base: Any, loop: asyncio.AbstractEventLoop) -> None:
        self.base, self.loop = base, loop

    def _run(self, call: Coroutine[Any, Any, Any]) -> None:
        asyncio.run_coroutine_threadsafe(call, self.loop).result(timeout=2.0)

    def set_power(self, linear: float, angular: float) -> None:
        """Base.SetPower: +linear forward (y), +angular turns left (z)."""
        self._run(self.base.set_power(Vector3(x=0, y=linear, z=0), Vector3(x=0, y=0, z=angular)))

    def stop(self) -> None:
        """Base.Stop."""
        self._run(self.base.stop())

    def heartbeat(self) -> None:
        """Nothing to do: viam-sdk heartbeats the session itself."""


async def main(address: str, replay: str | None) -> None:
    pad: PadSource = FakeGamepad.replay(replay) if replay else EvdevGamepad()
    seconds = load_recording(replay).duration + 0.5 if replay else None
    options = RobotClient.Options(dial_options=DialOptions(insecure=True, disable_webrtc=True))
    robot: Any = await RobotClient.at_address(address, options)
    try:
        drive = ViamDrive(Base.from_robot(robot, "base"), asyncio.get_running_loop())
        teleop = Teleop(pad, drive, TeleopSettings(max_linear=0.5, deadman="lb", turbo="rb"))
        await asyncio.to_thread(teleop.run, seconds)  # the loop blocks: keep it off asyncio
        print("\n".join(f"{note.time:.3f} {note.what}" for note in teleop.notes))
    finally:
        await robot.close()  # its connections close: the daemon stops the rover


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("address", help="the tether daemon (HOST:PORT or a Unix socket path)")
    parser.add_argument("--replay", help="a recorded drive instead of a real pad")
    args = parser.parse_args()
    asyncio.run(main(args.address, args.replay))
