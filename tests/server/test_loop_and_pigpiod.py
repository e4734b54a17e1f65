"""A command to GPIO motors on pigpio waits for pigpiod on a thread, never on the event loop.

Each gpiozero write through PiGPIOFactory is a round trip to the pigpiod process; the 10-minute
soak found the daemon's loop waiting in pigpio's recv (its pigpiod, the simulated-hardware
process, starved on a loaded host). While the loop waits nothing else is answered: heartbeats,
other clients, the session API. Here pigpiod stops answering (SIGSTOP of the sim process) while
a SetPower is in flight, and another call must still be answered at once.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import Iterator

import pytest

from tether.client.channel import open_channel
from tether.demo_configs import demo_config
from tether.server.background import BackgroundDaemon
from tether.wire.tether.v1 import control_grpc, control_pb2
from tether.wire.viam.common.v1 import common_pb2
from tether.wire.viam.component.base.v1 import base_grpc, base_pb2

#: How long pigpiod stays silent; a loop that waits for it can't answer within this.
PIGPIOD_SILENT = 1.0
#: Generous bound for "at once" (the target is a few ms; CI is a noisy 2-core box).
AT_ONCE = 0.3


@pytest.fixture
def daemon() -> Iterator[BackgroundDaemon]:
    running = BackgroundDaemon(demo_config("gpio", 5.0), sim=True, listen="127.0.0.1:0")
    yield running
    running.close()


def power(linear: float) -> base_pb2.SetPowerRequest:
    return base_pb2.SetPowerRequest(
        name="base", linear=common_pb2.Vector3(y=linear), angular=common_pb2.Vector3()
    )


def test_a_call_is_answered_while_a_gpio_command_waits_for_pigpiod(
    daemon: BackgroundDaemon,
) -> None:
    async def probe_while_pigpiod_is_silent() -> float:
        channel = open_channel(daemon.address)
        control = control_grpc.ControlServiceStub(channel)
        base = base_grpc.BaseServiceStub(channel)
        try:
            session = await control.StartSession(control_pb2.StartSessionRequest())
            metadata = {"viam-sid": session.id}
            await base.SetPower(power(0.5), metadata=metadata)
            os.kill(daemon.sim.pid, signal.SIGSTOP)  # pigpiod stops answering
            try:
                command = asyncio.ensure_future(base.SetPower(power(0.3), metadata=metadata))
                await asyncio.sleep(0.1)  # the command now waits for pigpiod
                asked = time.monotonic()
                try:
                    other = await asyncio.wait_for(
                        control.StartSession(control_pb2.StartSessionRequest()), PIGPIOD_SILENT
                    )
                    answered = time.monotonic() - asked
                except TimeoutError:
                    answered = float("inf")
            finally:
                os.kill(daemon.sim.pid, signal.SIGCONT)
            await asyncio.wait_for(command, 10)
            if answered != float("inf"):
                await control.EndSession(control_pb2.EndSessionRequest(id=other.id))
            await control.EndSession(control_pb2.EndSessionRequest(id=session.id))
            return answered
        finally:
            channel.close()

    answered = asyncio.run(probe_while_pigpiod_is_silent())
    took = "no answer" if answered == float("inf") else f"{answered * 1000:.0f} ms"
    print(f"\nStartSession while a SetPower waited for a silent pigpiod: {took}")
    assert answered < AT_ONCE, (
        f"StartSession took {took} (waited {PIGPIOD_SILENT} s) while a SetPower waited for "
        f"pigpiod; expected < {AT_ONCE * 1000:.0f} ms"
    )
    assert daemon.wait_until(lambda: not daemon.moving(), 5), "the session's end stopped it"
