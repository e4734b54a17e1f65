"""Public names are a contract: every driver class stays importable where it was, and from
tether.drivers, as the very object its new home defines."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

import tether.drivers
from tether.drivers import serial

MOVED = [
    ("tether.drivers.serial_link", "SerialLink", serial.link),
    ("tether.drivers.serial_motor", "SerialMotor", serial.motor),
    ("tether.drivers.serial_motor", "DEFAULT_CONTROLLER_TIMEOUT", serial.motor),
    ("tether.drivers.sabertooth", "SabertoothMotor", serial.sabertooth),
    ("tether.drivers.roboclaw", "RoboClawMotor", serial.roboclaw),
    ("tether.drivers.pololu_smc", "SmcMotor", serial.pololu_smc),
]


@pytest.mark.parametrize(("old", "name", "home"), MOVED, ids=[f"{o}.{n}" for o, n, _ in MOVED])
def test_an_old_module_path_gives_the_same_object(old: str, name: str, home: object) -> None:
    assert getattr(importlib.import_module(old), name) is getattr(home, name)


@pytest.mark.parametrize(
    "name",
    ["GpioMotor", "HatMotor", "PCA9685", "SerialLink", "SerialMotor", "SabertoothMotor",
     "RoboClawMotor", "SmcMotor"],
)
def test_every_backend_class_is_importable_from_tether_drivers(name: str) -> None:
    assert name in tether.drivers.__all__
    cls = getattr(tether.drivers, name)
    assert getattr(importlib.import_module(cls.__module__), name) is cls


def test_importing_the_drivers_loads_no_hardware_library() -> None:
    """The serial package and the HAT driver import pyserial and smbus2 only when a port or a
    bus is opened; tether.drivers imports gpiozero only when GpioMotor is asked for."""
    probe = (
        "import sys, tether.drivers, tether.drivers.serial, tether.drivers.pca9685\n"
        "print(sorted(m for m in ('serial', 'smbus2', 'gpiozero') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         timeout=60, check=True)
    assert out.stdout.strip() == "[]"
