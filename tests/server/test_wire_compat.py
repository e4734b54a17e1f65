"""Every message, field and method tether serves matches viam-sdk's own compiled descriptors."""

from __future__ import annotations

from types import ModuleType

import pytest
from google.protobuf.descriptor import Descriptor, FileDescriptor

from tether.wire.viam.common.v1 import common_pb2
from tether.wire.viam.component.base.v1 import base_pb2
from tether.wire.viam.component.motor.v1 import motor_pb2
from tether.wire.viam.robot.v1 import robot_pb2

viam_base = pytest.importorskip("viam.gen.component.base.v1.base_pb2")
viam_motor = pytest.importorskip("viam.gen.component.motor.v1.motor_pb2")
viam_robot = pytest.importorskip("viam.gen.robot.v1.robot_pb2")
viam_common = pytest.importorskip("viam.gen.common.v1.common_pb2")

PAIRS = [
    (common_pb2, viam_common),
    (robot_pb2, viam_robot),
    (base_pb2, viam_base),
    (motor_pb2, viam_motor),
]


def shape(message: Descriptor) -> list[tuple[str, int, int, bool, str | None]]:
    return [
        (f.name, f.number, f.type, f.is_repeated,
         f.message_type.full_name if f.message_type else None)
        for f in message.fields
    ]


def messages(module: ModuleType) -> dict[str, Descriptor]:
    file: FileDescriptor = module.DESCRIPTOR
    return dict(file.message_types_by_name)


@pytest.mark.parametrize(("ours", "theirs"), PAIRS, ids=lambda m: m.__name__.split(".")[-1])
def test_every_message_we_define_matches_the_sdk(ours: ModuleType, theirs: ModuleType) -> None:
    their_messages = messages(theirs)
    for name, message in messages(ours).items():
        assert message.full_name == their_messages[name].full_name
        assert shape(message) == shape(their_messages[name]), message.full_name


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
        for module in (robot_pb2, base_pb2, motor_pb2)
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
            "SetPower", "GoFor", "SetRPM", "Stop", "IsPowered", "IsMoving", "GetProperties",
            "GetPosition",
        },
    }


def test_our_messages_live_in_our_own_pool() -> None:
    assert robot_pb2.DESCRIPTOR.pool is not viam_robot.DESCRIPTOR.pool
    wire = robot_pb2.StartSessionResponse(id="abc")
    wire.heartbeat_window.FromMilliseconds(500)
    decoded = viam_robot.StartSessionResponse.FromString(wire.SerializeToString())
    assert (decoded.id, decoded.heartbeat_window.ToMilliseconds()) == ("abc", 500)
