"""`tether demo`, every way: through the daemon (daemon.py, with client.py as the client
process), the session layer alone (in_process.py), a recorded gamepad drive (gamepad.py) and the
drive page (web.py). Each runs on a demo preset of the model table (tether/robot/presets.py).

Importing this package loads none of them, so the client process (python -m tether.demo.client)
starts without the daemon's modules; the names below load on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tether.demo.daemon import DaemonDemoResult, run_daemon_demo
    from tether.demo.in_process import DemoResult, run_demo

_HOMES = {
    "DaemonDemoResult": "tether.demo.daemon",
    "run_daemon_demo": "tether.demo.daemon",
    "DemoResult": "tether.demo.in_process",
    "run_demo": "tether.demo.in_process",
}
__all__ = ["DaemonDemoResult", "DemoResult", "run_daemon_demo", "run_demo"]


def __getattr__(name: str) -> Any:
    """Load the demo a name belongs to only when it is asked for."""
    if name in _HOMES:
        import importlib

        return getattr(importlib.import_module(_HOMES[name]), name)
    raise AttributeError(f"module 'tether.demo' has no attribute {name!r}")
