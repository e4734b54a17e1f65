import datetime

from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import struct_pb2 as _struct_pb2
from tether.wire.viam.common.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ResourceNamesRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ResourceNamesResponse(_message.Message):
    __slots__ = ("resources",)
    RESOURCES_FIELD_NUMBER: _ClassVar[int]
    resources: _containers.RepeatedCompositeFieldContainer[_common_pb2.ResourceName]
    def __init__(self, resources: _Optional[_Iterable[_Union[_common_pb2.ResourceName, _Mapping]]] = ...) -> None: ...

class StopExtraParameters(_message.Message):
    __slots__ = ("name", "params")
    NAME_FIELD_NUMBER: _ClassVar[int]
    PARAMS_FIELD_NUMBER: _ClassVar[int]
    name: _common_pb2.ResourceName
    params: _struct_pb2.Struct
    def __init__(self, name: _Optional[_Union[_common_pb2.ResourceName, _Mapping]] = ..., params: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class StopAllRequest(_message.Message):
    __slots__ = ("extra",)
    EXTRA_FIELD_NUMBER: _ClassVar[int]
    extra: _containers.RepeatedCompositeFieldContainer[StopExtraParameters]
    def __init__(self, extra: _Optional[_Iterable[_Union[StopExtraParameters, _Mapping]]] = ...) -> None: ...

class StopAllResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class StartSessionRequest(_message.Message):
    __slots__ = ("resume",)
    RESUME_FIELD_NUMBER: _ClassVar[int]
    resume: str
    def __init__(self, resume: _Optional[str] = ...) -> None: ...

class StartSessionResponse(_message.Message):
    __slots__ = ("id", "heartbeat_window")
    ID_FIELD_NUMBER: _ClassVar[int]
    HEARTBEAT_WINDOW_FIELD_NUMBER: _ClassVar[int]
    id: str
    heartbeat_window: _duration_pb2.Duration
    def __init__(self, id: _Optional[str] = ..., heartbeat_window: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class SendSessionHeartbeatRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class SendSessionHeartbeatResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...
