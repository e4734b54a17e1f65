"""The gRPC API at the wire: sessions as the facts say, bad input refused, nothing moves."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import pytest
from grpclib.const import Status
from grpclib.exceptions import GRPCError

from tests.server.harness import DaemonThread
from tether.client.channel import open_channel
from tether.wire.tether.v1 import control_grpc, control_pb2
from tether.wire.viam.common.v1 import common_pb2
from tether.wire.viam.component.base.v1 import base_grpc, base_pb2
from tether.wire.viam.component.motor.v1 import motor_grpc, motor_pb2
from tether.wire.viam.robot.v1 import robot_grpc, robot_pb2

T = TypeVar("T")


class Wire:
    """Raw stubs on one channel, run from the test thread."""

    def __init__(self, daemon: DaemonThread) -> None:
        self.daemon = daemon
        self.loop = asyncio.new_event_loop()

        async def connect() -> Any:
            return open_channel(daemon.address)

        self.channel = self.loop.run_until_complete(connect())
        self.robot = robot_grpc.RobotServiceStub(self.channel)
        self.base = base_grpc.BaseServiceStub(self.channel)
        self.motor = motor_grpc.MotorServiceStub(self.channel)
        self.control = control_grpc.ControlServiceStub(self.channel)

    def run(self, call: Callable[[], Awaitable[T]]) -> T:
        return self.loop.run_until_complete(asyncio.wait_for(call(), 5))

    def start_session(self, resume: str = "") -> robot_pb2.StartSessionResponse:
        request = robot_pb2.StartSessionRequest(resume=resume)
        return self.run(lambda: self.robot.StartSession(request))

    def set_power(self, linear: float, angular: float = 0.0, sid: str | None = None,
                  name: str = "base") -> Any:
        request = base_pb2.SetPowerRequest(
            name=name, linear=common_pb2.Vector3(y=linear), angular=common_pb2.Vector3(z=angular)
        )
        metadata = {"viam-sid": sid} if sid else None

        async def call() -> Any:
            async with self.base.SetPower.open(metadata=metadata) as stream:
                await stream.send_message(request, end=True)
                await stream.recv_initial_metadata()
                headers = dict(stream.initial_metadata or {})
                await stream.recv_message()
                await stream.recv_trailing_metadata()
                return headers

        return self.run(call)

    def close(self) -> None:
        self.channel.close()
        self.loop.close()


@pytest.fixture
def wire(daemon: DaemonThread) -> Any:
    client = Wire(daemon)
    yield client
    client.close()


def test_resource_names_lists_base_and_motors(wire: Wire) -> None:
    response = wire.run(lambda: wire.robot.ResourceNames(robot_pb2.ResourceNamesRequest()))
    assert {(r.namespace, r.type, r.subtype, r.name) for r in response.resources} == {
        ("rdk", "component", "base", "base"),
        ("rdk", "component", "motor", "left"),
        ("rdk", "component", "motor", "right"),
    }


def test_start_session_gives_id_and_window_and_resume_keeps_it(wire: Wire) -> None:
    session = wire.start_session()
    assert session.heartbeat_window.ToMilliseconds() == 500
    assert wire.start_session(resume=session.id).id == session.id
    assert wire.start_session(resume="not-a-session").id != session.id


def test_monitored_call_takes_ownership_and_names_it_in_viam_smrn(
    wire: Wire, daemon: DaemonThread
) -> None:
    session = wire.start_session()
    headers = wire.set_power(0.5, sid=session.id)
    assert headers.get("viam-smrn") == "rdk:component:base/base"
    assert daemon.robot.bases["base"].is_moving()
    owner = daemon.daemon.api.sessions.owner_of("base")  # type: ignore[union-attr]
    assert owner is not None and owner.id == session.id


def test_unknown_session_id_is_invalid_argument_session_expired_and_nothing_moves(
    wire: Wire, daemon: DaemonThread
) -> None:
    with pytest.raises(GRPCError) as error:
        wire.set_power(0.5, sid="00000000-0000-4000-8000-000000000000")
    assert (error.value.status, error.value.message) == (Status.INVALID_ARGUMENT, "SESSION_EXPIRED")
    assert not daemon.moving()
    with pytest.raises(GRPCError) as heartbeat:
        wire.run(lambda: wire.robot.SendSessionHeartbeat(
            robot_pb2.SendSessionHeartbeatRequest(id="nope")))
    assert heartbeat.value.message == "SESSION_EXPIRED"


def test_sessionless_call_releases_ownership_so_old_session_expiry_stops_nothing(
    wire: Wire, daemon: DaemonThread
) -> None:
    session = wire.start_session()
    wire.set_power(0.3, sid=session.id)
    wire.set_power(0.4)  # no session: releases the base
    assert daemon.daemon.api.sessions.owner_of("base") is None  # type: ignore[union-attr]
    assert daemon.wait_until(lambda: not daemon.daemon.api.sessions.sessions(), 2.0)  # type: ignore[union-attr]
    assert daemon.moving(), "the expired session no longer owned the base"


def test_silent_session_stops_the_base_at_the_window(wire: Wire, daemon: DaemonThread) -> None:
    session = wire.start_session()
    wire.set_power(0.5, sid=session.id)
    assert daemon.wait_until(lambda: not daemon.moving(), 2.0) is not None
    stopped = daemon.stopped_at()
    assert stopped is not None


@pytest.mark.parametrize(
    ("linear", "angular", "field"),
    [(math.nan, 0, "linear.y=nan"), (math.inf, 0, "linear.y=inf"), (1.5, 0, "linear.y=1.5"),
     (0, -1.01, "angular.z=-1.01"), (0, -math.inf, "angular.z=-inf")],
)
def test_bad_values_are_invalid_argument_naming_the_field(
    wire: Wire, daemon: DaemonThread, linear: float, angular: float, field: str
) -> None:
    session = wire.start_session()
    with pytest.raises(GRPCError) as error:
        wire.set_power(linear, angular, sid=session.id)
    assert error.value.status == Status.INVALID_ARGUMENT
    assert field in (error.value.message or "")
    assert not daemon.moving()
    assert daemon.daemon.api.sessions.owner_of("base") is None, "a failed call takes nothing"  # type: ignore[union-attr]
    wire.set_power(0.1, sid=session.id)
    assert daemon.moving(), "the daemon still serves"


def test_unknown_resource_is_not_found(wire: Wire) -> None:
    with pytest.raises(GRPCError) as error:
        wire.set_power(0.2, name="turret")
    assert (error.value.status, error.value.message) == (Status.NOT_FOUND, "no base named 'turret'")
    with pytest.raises(GRPCError) as motor:
        wire.run(lambda: wire.motor.SetPower(motor_pb2.SetPowerRequest(name="base", power_pct=0.1)))
    assert motor.value.status == Status.NOT_FOUND


def test_oversized_request_is_resource_exhausted_and_the_daemon_stays_up(
    wire: Wire, daemon: DaemonThread
) -> None:
    huge = base_pb2.StopRequest(name="x" * 100_000)
    with pytest.raises(GRPCError) as error:
        wire.run(lambda: wire.base.Stop(huge))
    assert error.value.status == Status.RESOURCE_EXHAUSTED
    wire.set_power(0.2)
    assert daemon.moving()


def test_motor_methods(wire: Wire, daemon: DaemonThread) -> None:
    session = wire.start_session()

    async def drive() -> Any:
        await wire.motor.SetPower(motor_pb2.SetPowerRequest(name="left", power_pct=-0.25),
                                  metadata={"viam-sid": session.id})
        return await wire.motor.IsPowered(motor_pb2.IsPoweredRequest(name="left"))

    powered = wire.run(drive)
    assert (powered.is_on, powered.power_pct) == (True, -0.25)
    assert daemon.duties()["left"] == pytest.approx(-0.25)
    wire.run(lambda: wire.motor.GoFor(motor_pb2.GoForRequest(name="left", rpm=150, revolutions=0.2),
                                      metadata={"viam-sid": session.id}))
    assert daemon.duties()["left"] == 0.0
    with pytest.raises(GRPCError) as error:
        wire.run(lambda: wire.motor.GetPosition(motor_pb2.GetPositionRequest(name="left")))
    assert error.value.status == Status.UNIMPLEMENTED


def test_unserved_methods_answer_unimplemented(wire: Wire) -> None:
    from grpclib.const import Cardinality

    async def call() -> None:
        method = wire.channel.request(
            "/viam.robot.v1.RobotService/GetVersion", Cardinality.UNARY_UNARY,
            robot_pb2.ResourceNamesRequest, robot_pb2.ResourceNamesResponse,
        )
        async with method as stream:
            await stream.send_message(robot_pb2.ResourceNamesRequest(), end=True)
            await stream.recv_message()

    with pytest.raises(GRPCError) as error:
        wire.run(call)
    assert error.value.status == Status.UNIMPLEMENTED
    assert "GetVersion is not served by tether" in (error.value.message or "")


def test_stop_all_and_status(wire: Wire, daemon: DaemonThread) -> None:
    session = wire.start_session()
    wire.set_power(0.6, sid=session.id)
    wire.run(lambda: wire.robot.StopAll(robot_pb2.StopAllRequest()))
    assert not daemon.moving()
    status = wire.run(lambda: wire.control.Status(control_pb2.StatusRequest()))
    assert [s.id for s in status.sessions] == [session.id]
    assert list(status.sessions[0].owns) == ["base"]
    assert status.sessions[0].connections == 1


def test_old_session_id_after_a_daemon_restart_is_session_expired_then_a_fresh_one_works() -> None:
    first = DaemonThread()
    port = first.address.rsplit(":", 1)[1]
    wire = Wire(first)
    old = wire.start_session()
    wire.set_power(0.4, sid=old.id)
    wire.close()
    first.close()
    second = DaemonThread(listen=f"127.0.0.1:{port}")
    wire = Wire(second)
    try:
        with pytest.raises(GRPCError) as error:
            wire.set_power(0.4, sid=old.id)
        assert error.value.message == "SESSION_EXPIRED"
        assert not second.moving()
        fresh = wire.start_session(resume=old.id)
        assert fresh.id != old.id
        wire.set_power(0.4, sid=fresh.id)
        assert second.moving()
    finally:
        wire.close()
        second.close()


def _start_long_move(wire: Wire) -> asyncio.Task[Any]:
    request = base_pb2.MoveStraightRequest(name="base", distance_mm=2000, mm_per_sec=200)
    return wire.loop.create_task(wire.base.MoveStraight(request))


def test_cancelled_move_straight_rpc_stops_the_base(wire: Wire, daemon: DaemonThread) -> None:
    task = _start_long_move(wire)
    wire.loop.run_until_complete(asyncio.sleep(0.2))
    assert daemon.moving()
    task.cancel()
    wire.loop.run_until_complete(asyncio.gather(task, return_exceptions=True))
    assert daemon.wait_until(lambda: not daemon.moving(), 2.0), "the cancelled move stopped"


def test_move_stops_when_the_callers_connection_drops(wire: Wire, daemon: DaemonThread) -> None:
    task = _start_long_move(wire)
    wire.loop.run_until_complete(asyncio.sleep(0.2))
    assert daemon.moving()
    wire.channel.close()
    wire.loop.run_until_complete(asyncio.gather(task, return_exceptions=True))
    assert daemon.wait_until(lambda: not daemon.moving(), 2.0), "the abandoned move stopped"


def test_too_many_calls_on_one_connection_are_refused_and_others_are_untouched() -> None:
    import dataclasses

    from tests.server.harness import EXAMPLES
    from tether.config import load_config

    base_config = load_config(EXAMPLES / "rover.toml")
    config = dataclasses.replace(
        base_config, server=dataclasses.replace(base_config.server, max_streams_per_connection=3)
    )
    daemon = DaemonThread(config)
    greedy, polite = Wire(daemon), Wire(daemon)

    async def attach(session_id: str) -> None:
        async with greedy.control.Attach.open() as stream:
            await stream.send_message(control_pb2.AttachRequest(session_id=session_id))
            await stream.recv_message()
            await asyncio.sleep(30)

    try:
        sessions = [greedy.start_session().id for _ in range(3)]
        moves = [greedy.loop.create_task(attach(s)) for s in sessions]
        greedy.loop.run_until_complete(asyncio.sleep(0.2))
        polite.set_power(0.2)
        with pytest.raises(GRPCError) as error:
            greedy.run(lambda: greedy.base.IsMoving(base_pb2.IsMovingRequest(name="base")))
        assert error.value.status == Status.RESOURCE_EXHAUSTED
        assert "3 already running" in (error.value.message or "")
        answer = polite.run(lambda: polite.base.IsMoving(base_pb2.IsMovingRequest(name="base")))
        assert answer.is_moving, "another client is served as usual"
        for move in moves:
            move.cancel()
        greedy.loop.run_until_complete(asyncio.gather(*moves, return_exceptions=True))
        greedy.loop.run_until_complete(asyncio.sleep(0.1))
        assert greedy.run(
            lambda: greedy.base.IsMoving(base_pb2.IsMovingRequest(name="base"))
        ).is_moving, "served again once its calls finished"
    finally:
        greedy.close()
        polite.close()
        daemon.close()


def test_session_cap_gives_resource_exhausted_and_existing_sessions_drive_on() -> None:
    import dataclasses

    from tests.server.harness import EXAMPLES
    from tether.config import load_config

    base_config = load_config(EXAMPLES / "rover.toml")
    config = dataclasses.replace(
        base_config, server=dataclasses.replace(base_config.server, max_sessions=2)
    )
    daemon = DaemonThread(config)
    wire = Wire(daemon)
    try:
        first, _second = wire.start_session(), wire.start_session()
        with pytest.raises(GRPCError) as error:
            wire.start_session()
        assert error.value.status == Status.RESOURCE_EXHAUSTED
        assert "max_sessions=2" in (error.value.message or "")
        wire.set_power(0.3, sid=first.id)
        assert daemon.moving()
    finally:
        wire.close()
        daemon.close()
