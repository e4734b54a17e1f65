from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class StartSessionRequest(_message.Message):
    __slots__ = ("resume", "heartbeat_window_s")
    RESUME_FIELD_NUMBER: _ClassVar[int]
    HEARTBEAT_WINDOW_S_FIELD_NUMBER: _ClassVar[int]
    resume: str
    heartbeat_window_s: float
    def __init__(self, resume: _Optional[str] = ..., heartbeat_window_s: _Optional[float] = ...) -> None: ...

class StartSessionResponse(_message.Message):
    __slots__ = ("id", "heartbeat_window_s")
    ID_FIELD_NUMBER: _ClassVar[int]
    HEARTBEAT_WINDOW_S_FIELD_NUMBER: _ClassVar[int]
    id: str
    heartbeat_window_s: float
    def __init__(self, id: _Optional[str] = ..., heartbeat_window_s: _Optional[float] = ...) -> None: ...

class EndSessionRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class EndSessionResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class AttachRequest(_message.Message):
    __slots__ = ("session_id",)
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    def __init__(self, session_id: _Optional[str] = ...) -> None: ...

class AttachResponse(_message.Message):
    __slots__ = ("expires_in_s", "error", "lost")
    EXPIRES_IN_S_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    LOST_FIELD_NUMBER: _ClassVar[int]
    expires_in_s: float
    error: str
    lost: _containers.RepeatedCompositeFieldContainer[Loss]
    def __init__(self, expires_in_s: _Optional[float] = ..., error: _Optional[str] = ..., lost: _Optional[_Iterable[_Union[Loss, _Mapping]]] = ...) -> None: ...

class Loss(_message.Message):
    __slots__ = ("resource", "reason")
    RESOURCE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    resource: str
    reason: str
    def __init__(self, resource: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class StatusRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class SessionInfo(_message.Message):
    __slots__ = ("id", "owner", "heartbeat_window_s", "expires_in_s", "owns", "connections")
    ID_FIELD_NUMBER: _ClassVar[int]
    OWNER_FIELD_NUMBER: _ClassVar[int]
    HEARTBEAT_WINDOW_S_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_IN_S_FIELD_NUMBER: _ClassVar[int]
    OWNS_FIELD_NUMBER: _ClassVar[int]
    CONNECTIONS_FIELD_NUMBER: _ClassVar[int]
    id: str
    owner: str
    heartbeat_window_s: float
    expires_in_s: float
    owns: _containers.RepeatedScalarFieldContainer[str]
    connections: int
    def __init__(self, id: _Optional[str] = ..., owner: _Optional[str] = ..., heartbeat_window_s: _Optional[float] = ..., expires_in_s: _Optional[float] = ..., owns: _Optional[_Iterable[str]] = ..., connections: _Optional[int] = ...) -> None: ...

class StopInfo(_message.Message):
    __slots__ = ("session_id", "resource", "reason", "outcome", "delay_ms", "error", "age_s")
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    RESOURCE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    DELAY_MS_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    AGE_S_FIELD_NUMBER: _ClassVar[int]
    session_id: str
    resource: str
    reason: str
    outcome: str
    delay_ms: float
    error: str
    age_s: float
    def __init__(self, session_id: _Optional[str] = ..., resource: _Optional[str] = ..., reason: _Optional[str] = ..., outcome: _Optional[str] = ..., delay_ms: _Optional[float] = ..., error: _Optional[str] = ..., age_s: _Optional[float] = ...) -> None: ...

class OwnershipInfo(_message.Message):
    __slots__ = ("resource", "previous_session", "previous_owner", "session_id", "owner", "reason", "age_s")
    RESOURCE_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_SESSION_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_OWNER_FIELD_NUMBER: _ClassVar[int]
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    OWNER_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    AGE_S_FIELD_NUMBER: _ClassVar[int]
    resource: str
    previous_session: str
    previous_owner: str
    session_id: str
    owner: str
    reason: str
    age_s: float
    def __init__(self, resource: _Optional[str] = ..., previous_session: _Optional[str] = ..., previous_owner: _Optional[str] = ..., session_id: _Optional[str] = ..., owner: _Optional[str] = ..., reason: _Optional[str] = ..., age_s: _Optional[float] = ...) -> None: ...

class StatusResponse(_message.Message):
    __slots__ = ("sessions", "recent_stops", "resources", "version", "uptime_s", "ownership_changes", "daemon_pid", "guardian_pid", "guardian_actions")
    SESSIONS_FIELD_NUMBER: _ClassVar[int]
    RECENT_STOPS_FIELD_NUMBER: _ClassVar[int]
    RESOURCES_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    UPTIME_S_FIELD_NUMBER: _ClassVar[int]
    OWNERSHIP_CHANGES_FIELD_NUMBER: _ClassVar[int]
    DAEMON_PID_FIELD_NUMBER: _ClassVar[int]
    GUARDIAN_PID_FIELD_NUMBER: _ClassVar[int]
    GUARDIAN_ACTIONS_FIELD_NUMBER: _ClassVar[int]
    sessions: _containers.RepeatedCompositeFieldContainer[SessionInfo]
    recent_stops: _containers.RepeatedCompositeFieldContainer[StopInfo]
    resources: _containers.RepeatedScalarFieldContainer[str]
    version: str
    uptime_s: float
    ownership_changes: _containers.RepeatedCompositeFieldContainer[OwnershipInfo]
    daemon_pid: int
    guardian_pid: int
    guardian_actions: _containers.RepeatedCompositeFieldContainer[GuardianAction]
    def __init__(self, sessions: _Optional[_Iterable[_Union[SessionInfo, _Mapping]]] = ..., recent_stops: _Optional[_Iterable[_Union[StopInfo, _Mapping]]] = ..., resources: _Optional[_Iterable[str]] = ..., version: _Optional[str] = ..., uptime_s: _Optional[float] = ..., ownership_changes: _Optional[_Iterable[_Union[OwnershipInfo, _Mapping]]] = ..., daemon_pid: _Optional[int] = ..., guardian_pid: _Optional[int] = ..., guardian_actions: _Optional[_Iterable[_Union[GuardianAction, _Mapping]]] = ...) -> None: ...

class GuardianAction(_message.Message):
    __slots__ = ("output", "motor", "ok", "delay_ms", "error", "age_s")
    OUTPUT_FIELD_NUMBER: _ClassVar[int]
    MOTOR_FIELD_NUMBER: _ClassVar[int]
    OK_FIELD_NUMBER: _ClassVar[int]
    DELAY_MS_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    AGE_S_FIELD_NUMBER: _ClassVar[int]
    output: str
    motor: str
    ok: bool
    delay_ms: float
    error: str
    age_s: float
    def __init__(self, output: _Optional[str] = ..., motor: _Optional[str] = ..., ok: _Optional[bool] = ..., delay_ms: _Optional[float] = ..., error: _Optional[str] = ..., age_s: _Optional[float] = ...) -> None: ...
