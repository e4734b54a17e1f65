"""Which connections the guardian opens for a config, and where they lead (its seams)."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tether.guardian.outputs import (
    LgpioSafer,
    Pca9685Safer,
    PigpioSafer,
    Safer,
    SerialSafer,
    group,
)
from tether.robot.config import RobotConfig
from tether.robot.models import MODELS
from tether.robot.safe import SafeState
from tether.robot.wiring import PortConfig

log = logging.getLogger("tether.guardian")


@dataclass(frozen=True)
class GuardianSeams:
    """Where the guardian reaches the outputs: the same hardware the daemon drives, by another
    handle of its own."""

    #: "pigpio" (through pigpiod at `pigpio`), "lgpio" (the gpiochip), or "none" (pins that die
    #: with the daemon: the mock factory).
    gpio: str
    pigpio: tuple[str, int] | None
    open_bus: Callable[[int | str], Any]
    serial_path: Callable[[PortConfig], str]


def real_seams(config: RobotConfig) -> GuardianSeams:
    """The config's own hardware: pigpiod where pigpio's clients look for it, smbus2 buses, the
    configured serial paths; lgpio claims the lines for the lgpio and rpigpio factories."""
    gpio = {"pigpio": "pigpio", "lgpio": "lgpio", "rpigpio": "lgpio"}.get(config.pin_factory,
                                                                          "none")
    address = (os.environ.get("PIGPIO_ADDR", "localhost"),
               int(os.environ.get("PIGPIO_PORT", "8888")))
    return GuardianSeams(gpio, address if gpio == "pigpio" else None, _smbus,
                         lambda port: port.port)


def _smbus(bus: int | str) -> Any:
    from smbus2 import SMBus

    return SMBus(bus)


def safe_states(config: RobotConfig) -> list[SafeState]:
    """Every configured output in its safe state, by the model table's rows."""
    states: list[SafeState] = []
    for motor in config.motors:
        safe_off = MODELS[motor.driver].safe_off
        if safe_off is None:
            log.warning("motor %r (%s): no second line in the model table; the guardian cannot "
                        "make it safe", motor.name, motor.driver)
            continue
        states.extend(safe_off(motor))
    return states


def safers(config: RobotConfig, seams: GuardianSeams) -> list[Safer]:
    """One safer per connection, the quickest writes first: serial frames (into the kernel's
    buffer), then pins (a pigpiod round trip each), then chips (an I2C transfer each)."""
    pins, chips, ports = group(safe_states(config))
    port_configs = {p.name: p for p in config.ports}
    made: list[Safer] = [
        SerialSafer(port_configs[name], frames, seams.serial_path(port_configs[name]))
        for name, frames in ports.items()]
    if pins and seams.gpio == "pigpio":
        assert seams.pigpio is not None
        made.append(PigpioSafer(pins, *seams.pigpio))
    elif pins and seams.gpio == "lgpio":
        made.append(LgpioSafer(pins))
    chip_configs = {c.name: c for c in config.chips}
    made += [Pca9685Safer(chip_configs[name], offs, seams.open_bus)
             for name, offs in chips.items()]
    return made
