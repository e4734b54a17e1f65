"""The guardian: a second process that stops the rover when tether itself dies or hangs.

`tether serve` runs it by default: it opens its own handle on every output (plan.py), starts the
daemon as its child, watches the child's death and its beats (pulse.py, watch.py) and, when
either fails, makes every output safe from its own process (outputs.py). The daemon imports only
pulse.py, so this package imports its parts on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "Action": "tether.guardian.outputs",
    "GAVE_UP": "tether.guardian.watch",
    "Guardian": "tether.guardian.watch",
    "GuardianSeams": "tether.guardian.plan",
    "real_seams": "tether.guardian.plan",
    "safe_states": "tether.guardian.plan",
    "safers": "tether.guardian.plan",
    "serve_guarded": "tether.guardian.start",
}
__all__ = ["GAVE_UP", "Action", "Guardian", "GuardianSeams", "real_seams", "safe_states",
           "safers", "serve_guarded"]


def __getattr__(name: str) -> Any:
    """Import the part that defines `name` only now."""
    if name not in _EXPORTS:
        raise AttributeError(f"module 'tether.guardian' has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)
