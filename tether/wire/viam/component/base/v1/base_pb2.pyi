from google.protobuf import struct_pb2 as _struct_pb2
from tether.wire.viam.common.v1 import common_pb2 as _common_pb2
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class MoveStraightRequest(_message.Message):
    __slots__ = ("name", "distance_mm", "mm_per_sec", "extra")
    NAME_FIELD_NUMBER: _ClassVar[int]
    DISTANCE_MM_FIELD_NUMBER: _ClassVar[int]
    MM_PER_SEC_FIELD_NUMBER: _ClassVar[int]
    EXTRA_FIELD_NUMBER: _ClassVar[int]
    name: str
    distance_mm: int
    mm_per_sec: float
    extra: _struct_pb2.Struct
    def __init__(self, name: _Optional[str] = ..., distance_mm: _Optional[int] = ..., mm_per_sec: _Optional[float] = ..., extra: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class MoveStraightResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class SpinRequest(_message.Message):
    __slots__ = ("name", "angle_deg", "degs_per_sec", "extra")
    NAME_FIELD_NUMBER: _ClassVar[int]
    ANGLE_DEG_FIELD_NUMBER: _ClassVar[int]
    DEGS_PER_SEC_FIELD_NUMBER: _ClassVar[int]
    EXTRA_FIELD_NUMBER: _ClassVar[int]
    name: str
    angle_deg: float
    degs_per_sec: float
    extra: _struct_pb2.Struct
    def __init__(self, name: _Optional[str] = ..., angle_deg: _Optional[float] = ..., degs_per_sec: _Optional[float] = ..., extra: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class SpinResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class SetPowerRequest(_message.Message):
    __slots__ = ("name", "linear", "angular", "extra")
    NAME_FIELD_NUMBER: _ClassVar[int]
    LINEAR_FIELD_NUMBER: _ClassVar[int]
    ANGULAR_FIELD_NUMBER: _ClassVar[int]
    EXTRA_FIELD_NUMBER: _ClassVar[int]
    name: str
    linear: _common_pb2.Vector3
    angular: _common_pb2.Vector3
    extra: _struct_pb2.Struct
    def __init__(self, name: _Optional[str] = ..., linear: _Optional[_Union[_common_pb2.Vector3, _Mapping]] = ..., angular: _Optional[_Union[_common_pb2.Vector3, _Mapping]] = ..., extra: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class SetPowerResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class SetVelocityRequest(_message.Message):
    __slots__ = ("name", "linear", "angular", "extra")
    NAME_FIELD_NUMBER: _ClassVar[int]
    LINEAR_FIELD_NUMBER: _ClassVar[int]
    ANGULAR_FIELD_NUMBER: _ClassVar[int]
    EXTRA_FIELD_NUMBER: _ClassVar[int]
    name: str
    linear: _common_pb2.Vector3
    angular: _common_pb2.Vector3
    extra: _struct_pb2.Struct
    def __init__(self, name: _Optional[str] = ..., linear: _Optional[_Union[_common_pb2.Vector3, _Mapping]] = ..., angular: _Optional[_Union[_common_pb2.Vector3, _Mapping]] = ..., extra: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class SetVelocityResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class StopRequest(_message.Message):
    __slots__ = ("name", "extra")
    NAME_FIELD_NUMBER: _ClassVar[int]
    EXTRA_FIELD_NUMBER: _ClassVar[int]
    name: str
    extra: _struct_pb2.Struct
    def __init__(self, name: _Optional[str] = ..., extra: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class StopResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class IsMovingRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class IsMovingResponse(_message.Message):
    __slots__ = ("is_moving",)
    IS_MOVING_FIELD_NUMBER: _ClassVar[int]
    is_moving: bool
    def __init__(self, is_moving: _Optional[bool] = ...) -> None: ...

class GetPropertiesRequest(_message.Message):
    __slots__ = ("name", "extra")
    NAME_FIELD_NUMBER: _ClassVar[int]
    EXTRA_FIELD_NUMBER: _ClassVar[int]
    name: str
    extra: _struct_pb2.Struct
    def __init__(self, name: _Optional[str] = ..., extra: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class GetPropertiesResponse(_message.Message):
    __slots__ = ("width_meters", "turning_radius_meters", "wheel_circumference_meters")
    WIDTH_METERS_FIELD_NUMBER: _ClassVar[int]
    TURNING_RADIUS_METERS_FIELD_NUMBER: _ClassVar[int]
    WHEEL_CIRCUMFERENCE_METERS_FIELD_NUMBER: _ClassVar[int]
    width_meters: float
    turning_radius_meters: float
    wheel_circumference_meters: float
    def __init__(self, width_meters: _Optional[float] = ..., turning_radius_meters: _Optional[float] = ..., wheel_circumference_meters: _Optional[float] = ...) -> None: ...
