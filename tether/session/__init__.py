"""Sessions: tie each motor to the live client driving it, and stop it when that client goes."""

from tether.session.context import (
    from_context,
    safety_monitor,
    safety_monitor_resource_name,
    to_context,
)
from tether.session.events import OwnershipChange, StopEvent, StopOutcome, StopReason
from tether.session.guard import OwnershipGuard
from tether.session.manager import SessionManager
from tether.session.session import MAX_WINDOW, MIN_WINDOW, Session, check_window

__all__ = [
    "MAX_WINDOW",
    "MIN_WINDOW",
    "OwnershipChange",
    "OwnershipGuard",
    "Session",
    "SessionManager",
    "StopEvent",
    "StopOutcome",
    "StopReason",
    "check_window",
    "from_context",
    "safety_monitor",
    "safety_monitor_resource_name",
    "to_context",
]
