"""Teleop: a gamepad or the keyboard drives a base, safely, in-process or through the daemon.

    from tether.teleop import Teleop, TeleopSettings, client_drive
    with connect("127.0.0.1:8080") as rover, client_drive(rover) as drive:
        Teleop(EvdevGamepad(), drive, TeleopSettings(max_linear=0.4)).run()
"""

from __future__ import annotations

from tether.teleop.drive import (
    BaseDrive,
    ClientDrive,
    Drive,
    LocalDrive,
    client_drive,
    local_drive,
)
from tether.teleop.loop import Note, Sent, Teleop
from tether.teleop.settings import TeleopSettings
from tether.teleop.shaping import expo, radial_deadzone, shape

__all__ = [
    "BaseDrive",
    "ClientDrive",
    "Drive",
    "LocalDrive",
    "Note",
    "Sent",
    "Teleop",
    "TeleopSettings",
    "client_drive",
    "expo",
    "local_drive",
    "radial_deadzone",
    "shape",
]
