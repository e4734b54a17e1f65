"""A viam-sdk client, unchanged, on an encoder rover: motor position, go_to and
reset_zero_position, the encoders, and the odometry movement sensor; one JSON line of what it
read.

usage: viam_encoders.py ADDRESS
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

from viam.components.base import Base
from viam.components.encoder import Encoder
from viam.components.motor import Motor
from viam.components.movement_sensor import MovementSensor
from viam.proto.common import Vector3
from viam.proto.component.encoder import PositionType
from viam.robot.client import RobotClient
from viam.rpc.dial import DialOptions


async def motor_and_encoder(robot: RobotClient, seen: dict[str, Any]) -> None:
    """go_to out and back, the encoder's readings, then a new zero."""
    motor, encoder = Motor.from_robot(robot, "left"), Encoder.from_robot(robot, "left_encoder")
    await motor.reset_zero_position(0)
    seen["start_rev"] = await motor.get_position()
    await motor.go_to(60, 2.0)
    seen["after_go_to_2_rev"] = await motor.get_position()
    seen["ticks"], _ = await encoder.get_position()
    seen["degrees"], kind = await encoder.get_position(PositionType.POSITION_TYPE_ANGLE_DEGREES)
    seen["degrees_kind"] = int(kind)
    await motor.go_to(-90, 0.5)  # Viam ignores the sign of go_to's rpm
    seen["after_go_to_half_rev"] = await motor.get_position()
    await asyncio.sleep(0.3)
    seen["moving_after"] = await motor.is_moving()
    await motor.reset_zero_position(0.25)
    seen["after_reset_zero_0_25"] = await motor.get_position()
    await encoder.reset_position()
    seen["ticks_after_reset"], _ = await encoder.get_position()
    properties = await encoder.get_properties()
    seen["encoder_properties"] = [properties.ticks_count_supported,
                                  properties.angle_degrees_supported]
    seen["motor_position_reporting"] = (await motor.get_properties()).position_reporting


async def odometry(robot: RobotClient, seen: dict[str, Any]) -> None:
    """Drive straight, read velocities while moving, spin, then read where the rover is."""
    base, sensor = Base.from_robot(robot, "base"), MovementSensor.from_robot(robot, "odometry")
    await base.set_velocity(Vector3(x=0, y=150, z=0), Vector3(x=0, y=0, z=0))
    await asyncio.sleep(1.5)
    linear, angular = await sensor.get_linear_velocity(), await sensor.get_angular_velocity()
    seen["linear_m_s"], seen["angular_deg_s"] = [linear.x, linear.y, linear.z], angular.z
    await base.stop()
    await asyncio.sleep(0.3)
    point, altitude = await sensor.get_position()
    seen["geo"], seen["altitude"] = [point.latitude, point.longitude], altitude
    await base.spin(90, 60)
    await asyncio.sleep(0.3)
    seen["compass"] = await sensor.get_compass_heading()
    seen["theta"] = (await sensor.get_orientation()).theta
    p = await sensor.get_properties()
    seen["sensor_properties"] = [
        p.linear_velocity_supported, p.angular_velocity_supported, p.orientation_supported,
        p.position_supported, p.compass_heading_supported, p.linear_acceleration_supported,
    ]
    try:
        await sensor.get_linear_acceleration()
        seen["acceleration"] = "served"
    except Exception as exc:  # the SDK raises its own GRPCError subclass
        seen["acceleration"] = type(exc).__name__ + ": " + str(exc)[:80]


async def main(address: str) -> None:
    options = RobotClient.Options(dial_options=DialOptions(insecure=True, disable_webrtc=True))
    robot: Any = await RobotClient.at_address(address, options)  # close() is untyped
    seen: dict[str, Any] = {"resources": sorted(
        f"{r.subtype}:{r.name}" for r in robot.resource_names
    )}
    try:
        await odometry(robot, seen)  # first: the go_to below turns one wheel, so the rover
        await motor_and_encoder(robot, seen)
    finally:
        await robot.close()
    print(json.dumps(seen), flush=True)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
