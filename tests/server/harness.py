"""The in-process daemon tests use (tether.server.background), on examples/rover.toml."""

from __future__ import annotations

from pathlib import Path

from tether.config import RobotConfig, load_config
from tether.server.background import BackgroundDaemon

EXAMPLES = Path(__file__).resolve().parent.parent.parent / "examples"


class DaemonThread(BackgroundDaemon):
    """examples/rover.toml on fakes, on 127.0.0.1 with an ephemeral port unless told otherwise."""

    def __init__(self, config: RobotConfig | None = None, listen: str = "127.0.0.1:0") -> None:
        super().__init__(config or load_config(EXAMPLES / "rover.toml"), sim=True, listen=listen)
