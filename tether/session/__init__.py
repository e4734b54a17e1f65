"""Sessions: tie each motor to the live client driving it, and stop it when that client goes."""

from tether.session.context import (
    from_context,
    safety_monitor,
    safety_monitor_resource_name,
    to_context,
)
from tether.session.events import OwnershipChange, StopEvent, StopOutcome, StopReason
from tether.session.manager import MAX_WINDOW, MIN_WINDOW, SessionManager, check_window
from tether.session.session import Session

__all__ = [
    "MAX_WINDOW",
    "MIN_WINDOW",
    "OwnershipChange",
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
