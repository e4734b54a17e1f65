"""The drive page's JSON protocol: every frame checked field by field before anything moves.

One WebSocket is one session. Frames are JSON objects (UTF-8 text, at most 1 KiB), each with a
``type`` and exactly the fields listed; unknown types, unknown or missing fields, duplicate keys,
NaN/Infinity and out-of-range numbers are refused with an ``error`` frame.

Page -> daemon:
  {"type": "auth", "key_id": str, "secret": str}        first, when hello says auth_required
  {"type": "drive", "base": str, "linear": n, "angular": n}   n in [-1, 1]; +linear forward,
                                                        +angular turns left; also a heartbeat
  {"type": "stop", "base": str}                         stop that base now (any client may)
  {"type": "heartbeat"}                                 keep the session alive while idle
  {"type": "hidden"}                                    the page was hidden: end the session

Daemon -> page:
  {"type": "hello", "protocol": 1, "auth_required": bool, "bases": [str], "motors": [str],
   "heartbeat_window": s, "command_hz": n, "max_message_bytes": n, "max_rate_hz": n}
  {"type": "session", "id": str, "owner": str, "heartbeat_window": s}
  {"type": "status", "session": str|null, "owners": {base: "you"|"other"|null},
   "duties": {motor: n}, "last_stop": {"resource", "reason", "outcome", "delay_ms"}|null}
  {"type": "error", "error": str, "fatal": bool}        fatal: the daemon closes the socket next
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from tether.contract.checks import check_number
from tether.errors import InvalidCommand

PROTOCOL_VERSION = 1
MAX_MESSAGE_BYTES = 1024
MAX_TEXT_FIELD = 256

_FIELDS: dict[str, frozenset[str]] = {
    "auth": frozenset({"type", "key_id", "secret"}),
    "drive": frozenset({"type", "base", "linear", "angular"}),
    "stop": frozenset({"type", "base"}),
    "heartbeat": frozenset({"type"}),
    "hidden": frozenset({"type"}),
}


@dataclass(frozen=True, slots=True)
class Auth:
    """An API key, as the gRPC API takes it (id and secret)."""

    key_id: str
    secret: str


@dataclass(frozen=True, slots=True)
class Drive:
    """Set a base's power; validated to [-1, 1] each."""

    base: str
    linear: float
    angular: float


@dataclass(frozen=True, slots=True)
class Stop:
    """Stop a base now."""

    base: str


@dataclass(frozen=True, slots=True)
class Heartbeat:
    """Keeps the socket's session alive while no input is held."""


@dataclass(frozen=True, slots=True)
class Hidden:
    """The page is no longer visible: its session ends at once."""


Message = Auth | Drive | Stop | Heartbeat | Hidden


def parse_message(data: str | bytes) -> Message:
    """One page frame as a checked message; InvalidCommand naming the value otherwise."""
    if isinstance(data, bytes):
        raise InvalidCommand(f"binary frame of {len(data)} bytes: expected a JSON text frame")
    size = len(data.encode("utf-8", "surrogatepass"))
    if size > MAX_MESSAGE_BYTES:
        raise InvalidCommand(f"frame of {size} bytes: expected at most {MAX_MESSAGE_BYTES}")
    try:
        frame = json.loads(data, parse_constant=_refuse_constant, object_pairs_hook=_unique_keys)
    except (ValueError, RecursionError) as exc:
        raise InvalidCommand(f"frame {_preview(data)}: expected a JSON object ({exc})") from None
    if not isinstance(frame, dict):
        raise InvalidCommand(f"frame {_preview(data)}: expected a JSON object")
    kind = frame.get("type")
    if not isinstance(kind, str) or kind not in _FIELDS:
        raise InvalidCommand(f"type={kind!r}: expected one of {', '.join(sorted(_FIELDS))}")
    allowed = _FIELDS[kind]
    unknown = sorted(set(frame) - allowed)
    if unknown:
        expected = ", ".join(sorted(allowed))
        raise InvalidCommand(f"{kind} field {unknown[0]!r}: unknown; expected only {expected}")
    missing = sorted(allowed - set(frame))
    if missing:
        raise InvalidCommand(f"{kind} field {missing[0]!r}: missing; expected it to be set")
    return _build(kind, frame)


def _build(kind: str, frame: dict[str, Any]) -> Message:
    if kind == "auth":
        return Auth(_text(frame, "auth", "key_id"), _text(frame, "auth", "secret"))
    if kind == "drive":
        return Drive(
            _text(frame, "drive", "base"),
            check_number(frame["linear"], "drive linear", -1, 1),
            check_number(frame["angular"], "drive angular", -1, 1),
        )
    if kind == "stop":
        return Stop(_text(frame, "stop", "base"))
    return Heartbeat() if kind == "heartbeat" else Hidden()


def _text(frame: dict[str, Any], kind: str, key: str) -> str:
    value = frame[key]
    if not isinstance(value, str) or not 0 < len(value) <= MAX_TEXT_FIELD:
        shown = "<hidden>" if key == "secret" and isinstance(value, str) else repr(value)
        raise InvalidCommand(
            f"{kind} {key}={shown}: expected a string of 1 to {MAX_TEXT_FIELD} characters"
        )
    return value


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    frame: dict[str, Any] = {}
    for key, value in pairs:
        if key in frame:
            raise ValueError(f"key {key!r} appears twice")
        frame[key] = value
    return frame


def _preview(data: str) -> str:
    return repr(data if len(data) <= 40 else data[:40] + "...")


def frame(kind: str, **fields: Any) -> str:
    """A daemon -> page frame as JSON text (no NaN: every number sent is finite)."""
    return json.dumps({"type": kind, **fields}, allow_nan=False, separators=(",", ":"))


def error_frame(message: str, *, fatal: bool = False) -> str:
    """An error frame; the message names the value and what was expected."""
    return frame("error", error=message, fatal=fatal)
