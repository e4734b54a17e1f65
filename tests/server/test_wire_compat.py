"""Every message, field and method tether serves matches viam-sdk's own compiled descriptors."""

from __future__ import annotations

from types import ModuleType

import pytest
from google.protobuf.descriptor import Descriptor, EnumDescriptor, FileDescriptor

from tether.wire.viam.common.v1 import common_pb2
from tether.wire.viam.component.base.v1 import base_pb2
from tether.wire.viam.component.encoder.v1 import encoder_pb2
from tether.wire.viam.component.motor.v1 import motor_pb2
from tether.wire.viam.component.movementsensor.v1 import movementsensor_pb2
from tether.wire.viam.robot.v1 import robot_pb2

viam_base = pytest.importorskip("viam.gen.component.base.v1.base_pb2")
viam_motor = pytest.importorskip("viam.gen.component.motor.v1.motor_pb2")
viam_robot = pytest.importorskip("viam.gen.robot.v1.robot_pb2")
viam_common = pytest.importorskip("viam.gen.common.v1.common_pb2")
viam_encoder = pytest.importorskip("viam.gen.component.encoder.v1.encoder_pb2")
viam_movementsensor = pytest.importorskip(
    "viam.gen.component.movementsensor.v1.movementsensor_pb2"
)

PAIRS = [
    (common_pb2, viam_common),
    (robot_pb2, viam_robot),
    (base_pb2, viam_base),
    (motor_pb2, viam_motor),
    (encoder_pb2, viam_encoder),
    (movementsensor_pb2, viam_movementsensor),
]

FieldShape = tuple[str, int, int, bool, str | None, str | None, bool]


def shape(message: Descriptor) -> list[FieldShape]:
    """Each field's name, number, type, repetition, message or enum type and presence
    (a proto3 `optional` has presence: the SDK can tell it unset from zero)."""
    return [
        (f.name, f.number, f.type, f.is_repeated,
         f.message_type.full_name if f.message_type else None,
         f.enum_type.full_name if f.enum_type else None,
         f.has_presence)
        for f in message.fields
    ]


def enum_values(enum: EnumDescriptor) -> list[tuple[str, int]]:
    return [(v.name, v.number) for v in enum.values]


def messages(module: ModuleType) -> dict[str, Descriptor]:
    file: FileDescriptor = module.DESCRIPTOR
    return dict(file.message_types_by_name)


@pytest.mark.parametrize(("ours", "theirs"), PAIRS, ids=lambda m: m.__name__.split(".")[-1])
def test_every_message_we_define_matches_the_sdk(ours: ModuleType, theirs: ModuleType) -> None:
    their_messages = messages(theirs)
    for name, message in messages(ours).items():
        assert message.full_name == their_messages[name].full_name
        assert shape(message) == shape(their_messages[name]), message.full_name


@pytest.mark.parametrize(("ours", "theirs"), PAIRS, ids=lambda m: m.__name__.split(".")[-1])
def test_every_enum_we_define_matches_the_sdk(ours: ModuleType, theirs: ModuleType) -> None:
    their_enums = theirs.DESCRIPTOR.enum_types_by_name
    for name, enum in ours.DESCRIPTOR.enum_types_by_name.items():
        assert enum.full_name == their_enums[name].full_name
        assert enum_values(enum) == enum_values(their_enums[name]), enum.full_name


@pytest.mark.parametrize(("ours", "theirs"), PAIRS[1:], ids=lambda m: m.__name__.split(".")[-1])
def test_every_method_we_serve_exists_with_the_same_types(
    ours: ModuleType, theirs: ModuleType
) -> None:
    for service in ours.DESCRIPTOR.services_by_name.values():
        their_service = theirs.DESCRIPTOR.services_by_name[service.name]
        assert service.full_name == their_service.full_name
        for method in service.methods:
            twin = their_service.methods_by_name[method.name]
            assert (method.input_type.full_name, method.output_type.full_name) == (
                twin.input_type.full_name, twin.output_type.full_name
            )
            assert not method.client_streaming and not method.server_streaming


def test_the_subset_covers_what_the_issue_lists() -> None:
    served = {
        s.full_name: {m.name for m in s.methods}
        for module in (robot_pb2, base_pb2, motor_pb2, encoder_pb2, movementsensor_pb2)
        for s in module.DESCRIPTOR.services_by_name.values()
    }
    assert served == {
        "viam.robot.v1.RobotService": {
            "ResourceNames", "StartSession", "SendSessionHeartbeat", "StopAll"
        },
        "viam.component.base.v1.BaseService": {
            "MoveStraight", "Spin", "SetPower", "SetVelocity", "Stop", "IsMoving", "GetProperties"
        },
        "viam.component.motor.v1.MotorService": {
            "SetPower", "GoFor", "GoTo", "SetRPM", "ResetZeroPosition", "Stop", "IsPowered",
            "IsMoving", "GetProperties", "GetPosition",
        },
        "viam.component.encoder.v1.EncoderService": {
            "GetPosition", "ResetPosition", "GetProperties"
        },
        "viam.component.movementsensor.v1.MovementSensorService": {
            "GetPosition", "GetLinearVelocity", "GetAngularVelocity", "GetOrientation",
            "GetCompassHeading", "GetProperties",
        },
    }


def test_the_encoder_position_type_stays_optional_on_the_wire() -> None:
    """viam-sdk sends position_type only when asked; an unset one must read as unset."""
    request = encoder_pb2.GetPositionRequest(name="left")
    decoded = viam_encoder.GetPositionRequest.FromString(request.SerializeToString())
    assert not decoded.HasField("position_type")
    request.position_type = encoder_pb2.POSITION_TYPE_TICKS_COUNT
    decoded = viam_encoder.GetPositionRequest.FromString(request.SerializeToString())
    assert decoded.position_type == viam_encoder.POSITION_TYPE_TICKS_COUNT


def test_an_odometry_reading_decodes_in_the_sdk_unchanged() -> None:
    reply = movementsensor_pb2.GetPositionResponse(
        coordinate=common_pb2.GeoPoint(latitude=1e-5, longitude=-2e-5), altitude_m=0.0
    )
    decoded = viam_movementsensor.GetPositionResponse.FromString(reply.SerializeToString())
    assert (decoded.coordinate.latitude, decoded.coordinate.longitude) == (1e-5, -2e-5)
    heading = movementsensor_pb2.GetOrientationResponse(
        orientation=common_pb2.Orientation(o_z=1.0, theta=90.0)
    )
    decoded_heading = viam_movementsensor.GetOrientationResponse.FromString(
        heading.SerializeToString()
    )
    assert (decoded_heading.orientation.o_z, decoded_heading.orientation.theta) == (1.0, 90.0)


def test_our_messages_live_in_our_own_pool() -> None:
    assert robot_pb2.DESCRIPTOR.pool is not viam_robot.DESCRIPTOR.pool
    wire = robot_pb2.StartSessionResponse(id="abc")
    wire.heartbeat_window.FromMilliseconds(500)
    decoded = viam_robot.StartSessionResponse.FromString(wire.SerializeToString())
    assert (decoded.id, decoded.heartbeat_window.ToMilliseconds()) == ("abc", 500)
