"""One exception root for tether; each leaf also subclasses the builtin a caller would expect."""

from __future__ import annotations


class TetherError(Exception):
    """Root of every error tether raises on purpose."""


class InvalidCommand(TetherError, ValueError):
    """A command or setting had a bad value (NaN, infinite, out of range); nothing moved."""


class ConfigError(TetherError, ValueError):
    """A configuration file or option is wrong; the message names the key and what was expected."""


class SessionExpired(TetherError, LookupError):
    """The session id is unknown, expired, ended, or belongs to another owner."""

    def __init__(self, session_id: str = "") -> None:
        super().__init__("SESSION_EXPIRED" if not session_id else f"SESSION_EXPIRED: {session_id}")
        self.session_id = session_id


class OwnedByAnotherKey(TetherError, PermissionError):
    """A call without a session may not take over what a live session of another key owns."""


class TooManySessions(TetherError, RuntimeError):
    """The session manager already holds its configured maximum of live sessions."""


class UnknownResource(TetherError, LookupError):
    """No resource of that name is configured."""


class ManagerClosed(TetherError, RuntimeError):
    """The session manager was closed; it starts no new sessions."""


class HardwareError(TetherError, OSError):
    """A device did not answer or refused a command (I2C NACK, serial port gone, ...)."""


class ConnectionLost(TetherError, ConnectionError):
    """The connection to the tether daemon broke; reconnect explicitly."""


class Unsupported(TetherError, NotImplementedError):
    """The resource cannot do that (no encoder for position, no max_rpm for velocity, ...)."""
