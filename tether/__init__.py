"""tether: stop a rover's motors whenever the client that drives them goes away."""

from tether.errors import (
    ConfigError,
    ConnectionLost,
    HardwareError,
    InvalidCommand,
    ManagerClosed,
    SessionExpired,
    TetherError,
    TooManySessions,
    UnknownResource,
    Unsupported,
)

__version__ = "0.1.0"

__all__ = [
    "ConfigError",
    "ConnectionLost",
    "HardwareError",
    "InvalidCommand",
    "ManagerClosed",
    "SessionExpired",
    "TetherError",
    "TooManySessions",
    "UnknownResource",
    "Unsupported",
    "__version__",
]
