"""Typed Base and Motor proxies: the drivers' methods and validation, over the wire.

Bad values raise InvalidCommand locally, before anything is sent.
"""

from __future__ import annotations

from tether.client.connection import Connection
from tether.contract.checks import check_finite, check_number
from tether.contract.properties import BaseProperties, MotorProperties
from tether.wire.viam.common.v1 import common_pb2
from tether.wire.viam.component.base.v1 import base_grpc, base_pb2
from tether.wire.viam.component.motor.v1 import motor_grpc, motor_pb2

#: MoveStraight's distance_mm is an int64 on the wire.
INT64_MAX = 2**63 - 1


class AsyncBase:
    """A remote mobile base: +linear forward, +angular turns left."""

    def __init__(self, client: Connection, name: str) -> None:
        self.client = client
        self.name = name
        self._where = f"base {name!r}"

    @property
    def _stub(self) -> base_grpc.BaseServiceStub:
        return base_grpc.BaseServiceStub(self.client.channel)

    async def set_power(self, linear: float, angular: float) -> None:
        """Drive at linear and angular power, each in [-1, 1]."""
        lin = check_number(linear, f"{self._where} set_power linear", -1, 1)
        ang = check_number(angular, f"{self._where} set_power angular", -1, 1)
        request = base_pb2.SetPowerRequest(
            name=self.name, linear=common_pb2.Vector3(y=lin), angular=common_pb2.Vector3(z=ang)
        )
        await self.client.command(lambda m: self._stub.SetPower(request, metadata=m))

    async def set_velocity(self, mm_per_s: float, deg_per_s: float) -> None:
        """Drive at mm/s and deg/s (+left); the daemon checks them against the base's top speed."""
        speed = check_finite(mm_per_s, f"{self._where} set_velocity mm_per_s")
        spin = check_finite(deg_per_s, f"{self._where} set_velocity deg_per_s")
        request = base_pb2.SetVelocityRequest(
            name=self.name, linear=common_pb2.Vector3(y=speed),
            angular=common_pb2.Vector3(z=spin),
        )
        await self.client.command(lambda m: self._stub.SetVelocity(request, metadata=m))

    async def move_straight(self, distance_mm: float, mm_per_s: float) -> None:
        """Drive a distance, then stop (returns when done; cancelling it stops the base).

        A distance or speed of 0 stops the base (Viam's rule)."""
        distance = check_number(
            distance_mm, f"{self._where} move_straight distance_mm", -INT64_MAX, INT64_MAX
        )
        speed = check_finite(mm_per_s, f"{self._where} move_straight mm_per_s")
        request = base_pb2.MoveStraightRequest(
            name=self.name, distance_mm=round(distance), mm_per_sec=speed
        )
        await self.client.command(lambda m: self._stub.MoveStraight(request, metadata=m))

    async def spin(self, angle_deg: float, deg_per_s: float) -> None:
        """Turn in place (+left), then stop; an angle or rate of 0 stops the base."""
        angle = check_finite(angle_deg, f"{self._where} spin angle_deg")
        rate = check_finite(deg_per_s, f"{self._where} spin deg_per_s")
        request = base_pb2.SpinRequest(name=self.name, angle_deg=angle, degs_per_sec=rate)
        await self.client.command(lambda m: self._stub.Spin(request, metadata=m))

    async def stop(self) -> None:
        """Stop now (never needs a session)."""
        request = base_pb2.StopRequest(name=self.name)
        await self.client.call(lambda m: self._stub.Stop(request, metadata=m))

    async def is_moving(self) -> bool:
        """Whether any wheel is powered."""
        request = base_pb2.IsMovingRequest(name=self.name)
        response = await self.client.call(lambda m: self._stub.IsMoving(request, metadata=m))
        return bool(response.is_moving)

    async def properties(self) -> BaseProperties:
        """Width, turning radius and wheel circumference in meters."""
        request = base_pb2.GetPropertiesRequest(name=self.name)
        r = await self.client.call(lambda m: self._stub.GetProperties(request, metadata=m))
        return BaseProperties(r.width_meters, r.turning_radius_meters,
                              r.wheel_circumference_meters)


class AsyncMotor:
    """A remote motor."""

    def __init__(self, client: Connection, name: str) -> None:
        self.client = client
        self.name = name
        self._where = f"motor {name!r}"

    @property
    def _stub(self) -> motor_grpc.MotorServiceStub:
        return motor_grpc.MotorServiceStub(self.client.channel)

    async def set_power(self, power: float) -> None:
        """Drive at signed power in [-1, 1]."""
        value = check_number(power, f"{self._where} set_power power", -1, 1)
        request = motor_pb2.SetPowerRequest(name=self.name, power_pct=value)
        await self.client.command(lambda m: self._stub.SetPower(request, metadata=m))

    async def go_for(self, rpm: float, revolutions: float) -> None:
        """Turn `revolutions` at `rpm`, then stop; rpm 0 stops the motor, revolutions 0 runs
        it on at rpm (Viam's rule)."""
        speed = check_finite(rpm, f"{self._where} go_for rpm")
        turns = check_finite(revolutions, f"{self._where} go_for revolutions")
        request = motor_pb2.GoForRequest(name=self.name, rpm=speed, revolutions=turns)
        await self.client.command(lambda m: self._stub.GoFor(request, metadata=m))

    async def stop(self) -> None:
        """Stop now."""
        request = motor_pb2.StopRequest(name=self.name)
        await self.client.call(lambda m: self._stub.Stop(request, metadata=m))

    async def is_powered(self) -> tuple[bool, float]:
        """Whether power is applied, and how much."""
        request = motor_pb2.IsPoweredRequest(name=self.name)
        r = await self.client.call(lambda m: self._stub.IsPowered(request, metadata=m))
        return bool(r.is_on), float(r.power_pct)

    async def is_moving(self) -> bool:
        """Whether the motor is powered."""
        request = motor_pb2.IsMovingRequest(name=self.name)
        r = await self.client.call(lambda m: self._stub.IsMoving(request, metadata=m))
        return bool(r.is_moving)

    async def position(self) -> float:
        """Revolutions from zero (motors with an encoder only)."""
        request = motor_pb2.GetPositionRequest(name=self.name)
        r = await self.client.call(lambda m: self._stub.GetPosition(request, metadata=m))
        return float(r.position)

    async def properties(self) -> MotorProperties:
        """Whether the motor reports position."""
        request = motor_pb2.GetPropertiesRequest(name=self.name)
        r = await self.client.call(lambda m: self._stub.GetProperties(request, metadata=m))
        return MotorProperties(position_reporting=bool(r.position_reporting))


