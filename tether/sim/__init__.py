"""The simulated-hardware process: the fakes of a rover config in a process of their own, reached
only through the seams real hardware uses (a fake pigpiod for pigpio and gpiozero's
PiGPIOFactory, a fake I2C bus two processes can open, serial controllers on ptys), and read by
tests and the demo through a small inspection API, so what they read stays true when the daemon
dies, as real hardware outlives tether.

`tether serve --sim` (and every daemon built with sim=True) starts one with SimProcess;
``python -m tether.sim rover.toml`` runs one by hand; SimClient reads one from any process.
The in-process fakes (build_robot(config, sim=True), build_sim_rover) stay for unit tests.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tether.sim.addresses import SimAddresses
    from tether.sim.client import SimClient
    from tether.sim.process import SimProcess

_HOMES = {
    "SimAddresses": "tether.sim.addresses",
    "SimClient": "tether.sim.client",
    "SimProcess": "tether.sim.process",
}
__all__ = ["SimAddresses", "SimClient", "SimProcess"]


def __getattr__(name: str) -> Any:
    """Load the part a name belongs to only when it is asked for."""
    if name in _HOMES:
        import importlib

        return getattr(importlib.import_module(_HOMES[name]), name)
    raise AttributeError(f"module 'tether.sim' has no attribute {name!r}")
