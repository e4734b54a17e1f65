"""The gRPC services: Viam's RobotService/BaseService/MotorService subset and tether.v1.

Method names are the RPC names (CamelCase), as grpclib's generated bases require.
"""
# ruff: noqa: N802

from __future__ import annotations

import asyncio
import logging
import os
import time
from typing import Any

from google.protobuf.empty_pb2 import Empty
from grpclib.const import Cardinality, Handler, Status
from grpclib.exceptions import GRPCError, StreamTerminatedError

from tether import __version__
from tether.control.stall import FaultStop
from tether.drivers.encoded_motor import EncodedMotor
from tether.drivers.validate import check_finite, check_number
from tether.errors import SessionExpired
from tether.server.api import Api, clip, grpc_errors
from tether.server.auth import Authenticator
from tether.server.connections import connection_key
from tether.server.guesses import peer_name
from tether.wire.proto.rpc.v1 import auth_grpc, auth_pb2
from tether.wire.tether.v1 import control_grpc, control_pb2
from tether.wire.viam.common.v1 import common_pb2
from tether.wire.viam.component.base.v1 import base_grpc, base_pb2
from tether.wire.viam.component.motor.v1 import motor_grpc, motor_pb2
from tether.wire.viam.robot.v1 import robot_grpc, robot_pb2

Stream = Any
#: What Status shows instead of another API key's id (its session ids are hidden too).
HIDDEN_OWNER = "(another key)"
log = logging.getLogger("tether.server")


async def _request(stream: Stream) -> Any:
    message = await stream.recv_message()
    if message is None:
        raise GRPCError(Status.INVALID_ARGUMENT, "empty request")
    return message


class RobotService(robot_grpc.RobotServiceBase):
    """ResourceNames, sessions and StopAll; every other robot method is UNIMPLEMENTED."""

    def __init__(self, api: Api) -> None:
        self.api = api

    async def ResourceNames(self, stream: Stream) -> None:
        await _request(stream)
        robot = self.api.robot
        names = [
            common_pb2.ResourceName(namespace="rdk", type="component", subtype=kind, name=name)
            for kind, group in (("base", robot.bases), ("motor", robot.motors),
                                ("encoder", robot.encoders), ("movement_sensor", robot.sensors))
            for name in group
        ]
        await stream.send_message(robot_pb2.ResourceNamesResponse(resources=names))

    async def StartSession(self, stream: Stream) -> None:
        request = await _request(stream)
        with grpc_errors():
            self.api.refuse_if_stopping()
            session = self.api.sessions.start(
                owner=self.api.owner(stream), resume=request.resume or None
            )
        self.api.tracker.carried(connection_key(stream), session.id)
        response = robot_pb2.StartSessionResponse(id=session.id)
        response.heartbeat_window.FromNanoseconds(round(session.heartbeat_window * 1e9))
        await stream.send_message(response)

    async def SendSessionHeartbeat(self, stream: Stream) -> None:
        request = await _request(stream)
        with grpc_errors():
            self.api.sessions.heartbeat(request.id, owner=self.api.owner(stream))
        self.api.tracker.carried(connection_key(stream), request.id)
        await stream.send_message(robot_pb2.SendSessionHeartbeatResponse())

    async def StopAll(self, stream: Stream) -> None:
        await _request(stream)
        errors = await self.api.run_stop(self.api.robot.stop_all)
        if errors:
            raise GRPCError(Status.UNAVAILABLE, "stop failed for " + "; ".join(errors))
        await stream.send_message(robot_pb2.StopAllResponse())


class BaseService(base_grpc.BaseServiceBase):
    """Differential bases; SetPower/SetVelocity/MoveStraight/Spin are safety-monitored."""

    def __init__(self, api: Api) -> None:
        self.api = api

    async def SetPower(self, stream: Stream) -> None:
        request = await _request(stream)
        with grpc_errors():
            base = self.api.base(request.name)
            linear = check_number(request.linear.y, "set_power linear.y", -1, 1)
            angular = check_number(request.angular.z, "set_power angular.z", -1, 1)
            self.api.refuse_if_stopping()
            command = await self.api.monitor(
                stream, "base", request.name, base, lambda: base.set_power(linear, angular)
            )
            await self.api.run(command, base)
        await stream.send_message(base_pb2.SetPowerResponse())

    async def SetVelocity(self, stream: Stream) -> None:
        request = await _request(stream)
        with grpc_errors():
            base = self.api.base(request.name)
            speed, spin = base.check_velocity(request.linear.y, request.angular.z)
            self.api.refuse_if_stopping()
            command = await self.api.monitor(
                stream, "base", request.name, base, lambda: base.set_velocity(speed, spin)
            )
            await self.api.run(command, base)
        await stream.send_message(base_pb2.SetVelocityResponse())

    async def MoveStraight(self, stream: Stream) -> None:
        request = await _request(stream)
        with grpc_errors():
            base = self.api.base(request.name)
            plan = base.plan_straight(request.distance_mm, request.mm_per_sec)
            self.api.refuse_if_stopping()
            move = await self.api.monitor(
                stream, "base", request.name, base, lambda: base.perform(plan), move=True
            )
            await self.api.run_move(move, base.stop)
        await stream.send_message(base_pb2.MoveStraightResponse())

    async def Spin(self, stream: Stream) -> None:
        request = await _request(stream)
        with grpc_errors():
            base = self.api.base(request.name)
            plan = base.plan_spin(request.angle_deg, request.degs_per_sec)
            self.api.refuse_if_stopping()
            move = await self.api.monitor(
                stream, "base", request.name, base, lambda: base.perform(plan), move=True
            )
            await self.api.run_move(move, base.stop)
        await stream.send_message(base_pb2.SpinResponse())

    async def Stop(self, stream: Stream) -> None:
        request = await _request(stream)
        with grpc_errors():
            base = self.api.base(request.name)
            await self.api.run_stop(base.stop)
        await stream.send_message(base_pb2.StopResponse())

    async def IsMoving(self, stream: Stream) -> None:
        request = await _request(stream)
        base = self.api.base(request.name)
        await stream.send_message(base_pb2.IsMovingResponse(is_moving=base.is_moving()))

    async def GetProperties(self, stream: Stream) -> None:
        request = await _request(stream)
        properties = self.api.base(request.name).properties()
        await stream.send_message(
            base_pb2.GetPropertiesResponse(
                width_meters=properties.width_meters,
                turning_radius_meters=properties.turning_radius_meters,
                wheel_circumference_meters=properties.wheel_circumference_meters,
            )
        )


class MotorService(motor_grpc.MotorServiceBase):
    """Single motors; SetPower/GoFor/SetRPM are safety-monitored."""

    def __init__(self, api: Api) -> None:
        self.api = api

    async def SetPower(self, stream: Stream) -> None:
        request = await _request(stream)
        with grpc_errors():
            motor = self.api.motor(request.name)
            power = check_number(request.power_pct, "set_power power_pct", -1, 1)
            self.api.refuse_if_stopping()
            command = await self.api.monitor(
                stream, "motor", request.name, motor, lambda: motor.set_power(power)
            )
            await self.api.run(command, motor)
        await stream.send_message(motor_pb2.SetPowerResponse())

    async def GoFor(self, stream: Stream) -> None:
        request = await _request(stream)
        with grpc_errors():
            motor = self.api.motor(request.name)
            plan = motor.plan_go_for(request.rpm, request.revolutions)
            self.api.refuse_if_stopping()
            move = await self.api.monitor(
                stream, "motor", request.name, motor, lambda: motor.perform(plan), move=True
            )
            await self.api.run_move(move, motor.stop)
        await stream.send_message(motor_pb2.GoForResponse())

    async def SetRPM(self, stream: Stream) -> None:
        request = await _request(stream)
        if isinstance(self.api.motor(request.name), EncodedMotor):
            await self._closed_loop_rpm(stream, request)
            return
        with grpc_errors():
            motor = self.api.motor(request.name)
            rpm = check_finite(request.rpm, "set_rpm rpm")
            if motor.max_rpm is None:
                raise GRPCError(Status.UNIMPLEMENTED, f"motor {request.name!r} has no max_rpm")
            power = check_number(rpm / motor.max_rpm, f"set_rpm rpm={rpm!r} as power", -1, 1)
            self.api.refuse_if_stopping()
            command = await self.api.monitor(
                stream, "motor", request.name, motor, lambda: motor.set_power(power)
            )
            await self.api.run(command, motor)
        await stream.send_message(motor_pb2.SetRPMResponse())

    async def _closed_loop_rpm(self, stream: Stream, request: Any) -> None:
        """SetRPM on a motor with an encoder: held by its speed loop."""
        with grpc_errors():
            motor = self.api.motor(request.name)
            assert isinstance(motor, EncodedMotor)
            rpm = motor.check_rpm(request.rpm)
            self.api.refuse_if_stopping()
            command = await self.api.monitor(
                stream, "motor", request.name, motor, lambda: motor.set_rpm(rpm)
            )
            await self.api.run(command, motor)
        await stream.send_message(motor_pb2.SetRPMResponse())

    async def GoTo(self, stream: Stream) -> None:
        request = await _request(stream)
        with grpc_errors():
            motor = self._encoded(request.name, "go_to")
            plan = motor.plan_go_to(request.rpm, request.position_revolutions)
            self.api.refuse_if_stopping()
            move = await self.api.monitor(
                stream, "motor", request.name, motor, lambda: motor.perform(plan), move=True
            )
            await self.api.run_move(move, motor.stop)
        await stream.send_message(motor_pb2.GoToResponse())

    async def ResetZeroPosition(self, stream: Stream) -> None:
        request = await _request(stream)
        with grpc_errors():
            motor = self._encoded(request.name, "reset_zero_position")
            offset = check_number(request.offset, "reset_zero_position offset", -1e9, 1e9)
            await self.api.run(lambda: motor.reset_zero_position(offset))
        await stream.send_message(motor_pb2.ResetZeroPositionResponse())

    def _encoded(self, name: str, command: str) -> EncodedMotor:
        """The motor, if it has an encoder; else UNIMPLEMENTED naming it."""
        motor = self.api.motor(name)
        if not isinstance(motor, EncodedMotor):
            raise GRPCError(Status.UNIMPLEMENTED,
                            f"motor {name!r} {command}: needs an encoder (encoder = ... in its "
                            "[[motor]])")
        return motor

    async def Stop(self, stream: Stream) -> None:
        request = await _request(stream)
        with grpc_errors():
            await self.api.run_stop(self.api.motor(request.name).stop)
        await stream.send_message(motor_pb2.StopResponse())

    async def IsPowered(self, stream: Stream) -> None:
        request = await _request(stream)
        powered, power = self.api.motor(request.name).is_powered()
        await stream.send_message(motor_pb2.IsPoweredResponse(is_on=powered, power_pct=power))

    async def IsMoving(self, stream: Stream) -> None:
        request = await _request(stream)
        moving = self.api.motor(request.name).is_moving()
        await stream.send_message(motor_pb2.IsMovingResponse(is_moving=moving))

    async def GetProperties(self, stream: Stream) -> None:
        request = await _request(stream)
        reporting = self.api.motor(request.name).properties().position_reporting
        await stream.send_message(motor_pb2.GetPropertiesResponse(position_reporting=reporting))

    async def GetPosition(self, stream: Stream) -> None:
        request = await _request(stream)
        with grpc_errors():
            motor = self.api.motor(request.name)
            position = await self.api.run(motor.position)
        await stream.send_message(motor_pb2.GetPositionResponse(position=position))


class AuthService(auth_grpc.AuthServiceBase):
    """proto.rpc.v1.AuthService: an API key id and secret for a bearer token (viam-sdk's flow)."""

    def __init__(self, authenticator: Authenticator) -> None:
        self.authenticator = authenticator

    async def Authenticate(self, stream: Stream) -> None:
        request = await _request(stream)
        token = self.authenticator.authenticate(
            request.entity, request.credentials.type, request.credentials.payload,
            peer=peer_name(stream.peer.addr()),
        )
        await stream.send_message(auth_pb2.AuthenticateResponse(access_token=token))


class ControlService(control_grpc.ControlServiceBase):
    """tether.v1: sessions with their own window, explicit end, stream-bound sessions, status."""

    def __init__(self, api: Api) -> None:
        self.api = api

    async def StartSession(self, stream: Stream) -> None:
        request = await _request(stream)
        with grpc_errors():
            self.api.refuse_if_stopping()
            session = self.api.sessions.start(
                owner=self.api.owner(stream), resume=request.resume or None,
                heartbeat_window=request.heartbeat_window_s or None,
            )
        self.api.tracker.carried(connection_key(stream), session.id)
        await stream.send_message(control_pb2.StartSessionResponse(
            id=session.id, heartbeat_window_s=session.heartbeat_window
        ))

    async def EndSession(self, stream: Stream) -> None:
        request = await _request(stream)
        ended = await self.api.run_stop(
            lambda: self.api.sessions.end(request.id, owner=self.api.owner(stream))
        )
        if not ended:
            raise GRPCError(Status.INVALID_ARGUMENT, "SESSION_EXPIRED")
        await stream.send_message(control_pb2.EndSessionResponse())

    async def Attach(self, stream: Stream) -> None:
        first = await _request(stream)
        session_id, owner = first.session_id, self.api.owner(stream)
        try:
            while True:
                try:
                    session = self.api.sessions.heartbeat(session_id, owner=owner)
                except SessionExpired:
                    await stream.send_message(control_pb2.AttachResponse(error="SESSION_EXPIRED"))
                    return
                remaining = session.deadline - self.api.sessions.clock()
                lost = [control_pb2.Loss(resource=c.resource, reason=c.reason)
                        for c in self.api.losses.take(session_id)]
                await stream.send_message(
                    control_pb2.AttachResponse(expires_in_s=remaining, lost=lost)
                )
                if await stream.recv_message() is None:
                    break
        except (asyncio.CancelledError, StreamTerminatedError):
            await self._end_detached(session_id, owner, "its Attach stream broke")
            raise
        await self._end_detached(session_id, owner, "its Attach stream ended")

    async def _end_detached(self, session_id: str, owner: str, why: str) -> None:
        log.info("session %s: %s; ending it", clip(session_id), why)
        await self.api.run_stop(lambda: self.api.sessions.end(session_id, owner=owner))
        self.api.losses.forget(session_id)

    async def Status(self, stream: Stream) -> None:
        await _request(stream)
        manager, now = self.api.sessions, self.api.sessions.clock()
        caller = self.api.owner(stream)

        def shown(session_id: str | None, owner: str | None) -> tuple[str, str]:
            """A session id is a handle on that key's safety: only its own key sees it."""
            if owner is None or owner == caller:
                return session_id or "", owner or ""
            return "", HIDDEN_OWNER

        owners: dict[str, list[str]] = {}
        for name in self.api.robot.resources:
            holder = manager.owner_of(name)
            if holder is not None:
                owners.setdefault(holder.id, []).append(name)
        sessions = [
            control_pb2.SessionInfo(
                id=shown(s.id, s.owner)[0], owner=shown(s.id, s.owner)[1],
                heartbeat_window_s=s.heartbeat_window, expires_in_s=max(0.0, s.deadline - now),
                owns=owners.get(s.id, []), connections=self.api.tracker.connections_of(s.id),
            )
            for s in manager.sessions()
        ]
        stops = [
            control_pb2.StopInfo(
                session_id=shown(e.session_id, e.owner)[0], resource=e.resource,
                reason=e.reason.value, outcome=e.outcome.value,
                delay_ms=(e.delay or 0.0) * 1000, error=e.error or "",
                age_s=max(0.0, now - (e.finished or e.entered or e.deadline)),
            )
            for e in manager.recent_stops()[-20:]
        ] + fault_stops(self.api.robot.faults.recent()[-20:], time.monotonic())
        changes = [
            control_pb2.OwnershipInfo(
                resource=c.resource,
                previous_session=shown(c.previous_session, c.previous_owner)[0],
                previous_owner=shown(c.previous_session, c.previous_owner)[1],
                session_id=shown(c.session_id, c.owner)[0], owner=shown(c.session_id, c.owner)[1],
                reason=c.reason, age_s=max(0.0, now - c.at),
            )
            for c in manager.recent_ownership_changes()[-20:]
        ]
        guardian = self.api.guardian
        actions = [] if guardian is None else [
            control_pb2.GuardianAction(output=a.output, motor=a.motor, ok=a.ok,
                                       delay_ms=a.delay_ms, error=a.error,
                                       age_s=time.monotonic() - guardian.started)
            for a in guardian.actions
        ]
        await stream.send_message(
            control_pb2.StatusResponse(
                sessions=sessions, recent_stops=stops, resources=list(self.api.robot.resources),
                version=__version__, uptime_s=time.monotonic() - self.api.started,
                ownership_changes=changes, daemon_pid=os.getpid(),
                guardian_pid=0 if guardian is None else guardian.pid, guardian_actions=actions,
            )
        )


#: The rest of the Viam services' methods (names from viam-sdk 0.85's descriptors): answered
#: with a proper UNIMPLEMENTED status, which grpclib clients (viam-sdk) read as such, rather than
#: grpclib's bare "method not found" reply that they report as UNKNOWN.
UNSERVED = {
    "viam.robot.v1.RobotService": (
        "GetOperations", "GetSessions", "ResourceRPCSubtypes", "CancelOperation",
        "BlockForOperation", "GetModelsFromModules", "GetStatus", "StreamStatus", "Log",
        "GetCloudMetadata", "RestartModule", "Shutdown", "GetMachineStatus", "GetVersion",
        "Tunnel", "ListTunnels", "FrameSystemConfig", "GetPose", "TransformPose", "TransformPCD",
        "SendTraces", "UploadDataFromPath",
    ),
    "viam.component.base.v1.BaseService": ("DoCommand", "GetStatus", "GetGeometries"),
    "viam.component.motor.v1.MotorService": ("DoCommand", "GetStatus", "GetGeometries"),
    "viam.component.encoder.v1.EncoderService": ("DoCommand", "GetStatus", "GetGeometries"),
    "viam.component.movementsensor.v1.MovementSensorService": (
        "GetAccuracy", "GetLinearAcceleration", "DoCommand", "GetStatus", "GetGeometries",
        "GetReadings",
    ),
}


def fault_stops(stops: list[FaultStop], now: float) -> list[Any]:
    """The motors a stall check stopped, as Status shows stops (no session made them)."""
    return [
        control_pb2.StopInfo(
            resource=f.motor, reason=f.reason, outcome="stopped" if f.error is None else "failed",
            delay_ms=f.delay * 1000, error=f.error or f.fault.detail,
            age_s=max(0.0, now - f.stopped),
        )
        for f in stops
    ]


class UnservedMethods:
    """Answers every method in UNSERVED with UNIMPLEMENTED, without reading the request."""

    def __mapping__(self) -> dict[str, Handler]:
        return {
            f"/{service}/{method}": Handler(
                self._refuse(f"{service}/{method}"), Cardinality.UNARY_UNARY, Empty, Empty
            )
            for service, methods in UNSERVED.items()
            for method in methods
        }

    @staticmethod
    def _refuse(path: str) -> Any:
        async def refuse(_stream: Stream) -> None:
            raise GRPCError(Status.UNIMPLEMENTED, f"{path} is not served by tether")

        return refuse
