"""Viam's Encoder and MovementSensor services, for tether's encoders and odometry sensors.

Both are read-only (ResetPosition only moves an encoder's zero): nothing here is
safety-monitored, and the calls run off the event loop because a RoboClaw's counter is read
over serial.
"""
# ruff: noqa: N802

from __future__ import annotations

from typing import Any

from grpclib.const import Status
from grpclib.exceptions import GRPCError

from tether.drivers.encoder import WheelEncoder
from tether.drivers.odometry_sensor import OdometrySensor
from tether.server.api import Api, grpc_errors
from tether.wire.viam.common.v1 import common_pb2
from tether.wire.viam.component.encoder.v1 import encoder_grpc, encoder_pb2
from tether.wire.viam.component.movementsensor.v1 import movementsensor_grpc, movementsensor_pb2

Stream = Any


async def _request(stream: Stream) -> Any:
    message = await stream.recv_message()
    if message is None:
        raise GRPCError(Status.INVALID_ARGUMENT, "empty request")
    return message


def encoder_named(api: Api, name: str) -> WheelEncoder:
    """The encoder with that name, or NOT_FOUND naming it."""
    encoder = api.robot.encoders.get(name)
    if encoder is None:
        raise GRPCError(Status.NOT_FOUND, f"no encoder named {name!r}")
    return encoder


def sensor_named(api: Api, name: str) -> OdometrySensor:
    """The movement sensor with that name, or NOT_FOUND naming it."""
    sensor = api.robot.sensors.get(name)
    if sensor is None:
        raise GRPCError(Status.NOT_FOUND, f"no movement sensor named {name!r}")
    return sensor


class EncoderService(encoder_grpc.EncoderServiceBase):
    """GetPosition (ticks, or degrees when asked), ResetPosition, GetProperties."""

    def __init__(self, api: Api) -> None:
        self.api = api

    async def GetPosition(self, stream: Stream) -> None:
        request = await _request(stream)
        with grpc_errors():
            encoder = encoder_named(self.api, request.name)
            degrees = (request.HasField("position_type")
                       and request.position_type == encoder_pb2.POSITION_TYPE_ANGLE_DEGREES)
            if degrees:
                value = await self.api.run(lambda: encoder.position() * 360.0)
                kind = encoder_pb2.POSITION_TYPE_ANGLE_DEGREES
            else:
                value = float(await self.api.run(encoder.ticks))
                kind = encoder_pb2.POSITION_TYPE_TICKS_COUNT
        await stream.send_message(encoder_pb2.GetPositionResponse(value=value, position_type=kind))

    async def ResetPosition(self, stream: Stream) -> None:
        request = await _request(stream)
        with grpc_errors():
            encoder = encoder_named(self.api, request.name)
            await self.api.run(encoder.reset_position)
        await stream.send_message(encoder_pb2.ResetPositionResponse())

    async def GetProperties(self, stream: Stream) -> None:
        request = await _request(stream)
        properties = encoder_named(self.api, request.name).properties()
        await stream.send_message(encoder_pb2.GetPropertiesResponse(
            ticks_count_supported=properties.ticks_count_supported,
            angle_degrees_supported=properties.angle_degrees_supported,
        ))


class MovementSensorService(movementsensor_grpc.MovementSensorServiceBase):
    """A wheeled-odometry sensor's readings (position, velocities, orientation, compass)."""

    def __init__(self, api: Api) -> None:
        self.api = api

    async def GetPosition(self, stream: Stream) -> None:
        request = await _request(stream)
        latitude, longitude, altitude = sensor_named(self.api, request.name).position()
        await stream.send_message(movementsensor_pb2.GetPositionResponse(
            coordinate=common_pb2.GeoPoint(latitude=latitude, longitude=longitude),
            altitude_m=altitude,
        ))

    async def GetLinearVelocity(self, stream: Stream) -> None:
        request = await _request(stream)
        x, y, z = sensor_named(self.api, request.name).linear_velocity()
        await stream.send_message(movementsensor_pb2.GetLinearVelocityResponse(
            linear_velocity=common_pb2.Vector3(x=x, y=y, z=z)
        ))

    async def GetAngularVelocity(self, stream: Stream) -> None:
        request = await _request(stream)
        x, y, z = sensor_named(self.api, request.name).angular_velocity()
        await stream.send_message(movementsensor_pb2.GetAngularVelocityResponse(
            angular_velocity=common_pb2.Vector3(x=x, y=y, z=z)
        ))

    async def GetOrientation(self, stream: Stream) -> None:
        request = await _request(stream)
        theta = sensor_named(self.api, request.name).orientation()
        await stream.send_message(movementsensor_pb2.GetOrientationResponse(
            orientation=common_pb2.Orientation(o_x=0.0, o_y=0.0, o_z=1.0, theta=theta)
        ))

    async def GetCompassHeading(self, stream: Stream) -> None:
        request = await _request(stream)
        heading = sensor_named(self.api, request.name).compass_heading()
        await stream.send_message(movementsensor_pb2.GetCompassHeadingResponse(value=heading))

    async def GetProperties(self, stream: Stream) -> None:
        request = await _request(stream)
        p = sensor_named(self.api, request.name).properties()
        await stream.send_message(movementsensor_pb2.GetPropertiesResponse(
            linear_velocity_supported=p.linear_velocity_supported,
            angular_velocity_supported=p.angular_velocity_supported,
            orientation_supported=p.orientation_supported,
            position_supported=p.position_supported,
            compass_heading_supported=p.compass_heading_supported,
            linear_acceleration_supported=p.linear_acceleration_supported,
        ))
