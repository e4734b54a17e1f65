"""A command accepted before its session ended but run after the stop must not move anything."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator

import pytest

from tether.client.channel import open_channel
from tether.demo_configs import demo_config
from tether.server.background import BackgroundDaemon
from tether.wire.tether.v1 import control_grpc, control_pb2
from tether.wire.viam.common.v1 import common_pb2
from tether.wire.viam.component.base.v1 import base_grpc, base_pb2


@pytest.fixture
def daemon() -> Iterator[BackgroundDaemon]:
    running = BackgroundDaemon(demo_config("roboclaw", 0.5), sim=True, listen="127.0.0.1:0")
    yield running
    running.close()


def test_a_queued_command_never_runs_after_its_sessions_stop(daemon: BackgroundDaemon) -> None:
    api = daemon.daemon.api
    assert api is not None

    async def once() -> bool:
        channel = open_channel(daemon.address)
        control = control_grpc.ControlServiceStub(channel)
        base = base_grpc.BaseServiceStub(channel)
        session = await control.StartSession(control_pb2.StartSessionRequest())
        metadata = {"viam-sid": session.id}
        go = base_pb2.SetPowerRequest(
            name="base", linear=common_pb2.Vector3(y=0.5), angular=common_pb2.Vector3()
        )
        await base.SetPower(go, metadata=metadata)
        gate = threading.Event()  # every command thread busy, as on a starved host
        for _ in range(32):
            api._commands.submit(gate.wait, 5)
        queued = asyncio.ensure_future(base.SetPower(go, metadata=metadata))
        await asyncio.sleep(0.05)
        await control.EndSession(control_pb2.EndSessionRequest(id=session.id))
        assert not daemon.moving(), "EndSession stopped the base"
        gate.set()
        await asyncio.gather(queued, return_exceptions=True)
        await asyncio.sleep(0.2)
        channel.close()
        return daemon.moving()

    moved = [asyncio.run(once()) for _ in range(5)]
    assert moved == [False] * 5, "a stale command drove the base after its session's stop"
    assert api.sessions.owner_of("base") is None
