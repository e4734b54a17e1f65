"""[[motor]] tables: each driver's options within what its hardware can do, no line shared.

Pins become BCM numbers (0-27), HAT motors become PCA9685 channels, serial motors an address
and a channel, each checked against the driver's own limits, so that `tether check` refuses what
`tether serve` could not build.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from tether.config_table import NUMBER, PIN, Table, is_kind
from tether.wiring import GPIO_PINS, Claim, claims

_COMMON_MOTOR = {"name": str, "driver": str, "invert": bool, "max_power": NUMBER,
                 "min_power": NUMBER, "max_rpm": NUMBER}
_SERIAL_MOTOR = {"port": str, "address": int, "channel": int, "controller_timeout": NUMBER}
DRIVER_KEYS: dict[str, dict[str, Any]] = {
    "gpio": {"in1": PIN, "in2": PIN, "pwm": PIN, "direction": PIN, "enable": PIN,
             "enable_active_high": bool, "pwm_frequency": NUMBER},
    "hat": {"chip": str, "hat": str, "motor": str, "channels": list},
    "sabertooth": {**_SERIAL_MOTOR, "autobaud": bool, "set_baud": int},
    "roboclaw": {**_SERIAL_MOTOR, "encoder_counts_per_rev": NUMBER},
    "smc": {"port": str, "crc": bool, "autobaud": bool, "controller_timeout": NUMBER},
}


@dataclass(frozen=True)
class MotorConfig:
    """One motor: its driver and the driver's options (already checked)."""

    name: str
    driver: str
    options: dict[str, Any] = field(default_factory=dict)


def parse_motors(tables: Iterable[Table], window: float, pin_factory: str, chips: set[str],
                 ports: Mapping[str, str]) -> tuple[MotorConfig, ...]:
    """Every [[motor]]: its options checked, on a declared chip or port, on no other's line."""
    motors: list[MotorConfig] = []
    taken: list[Claim] = []
    for table in tables:
        motor = _motor(table, window, pin_factory)
        _declared(table, chips, ports)
        for claim in claims(motor, ports):
            other = next((c for c in taken if c.clashes(claim)), None)
            if other is not None:
                what = "it" if other.says == claim.says else other.says
                raise table.fail(claim.key, f"{claim.says} to be free: [[motor]] "
                                            f"{other.motor!r}.{other.key} drives {what}")
            taken.append(claim)
        motors.append(motor)
    return tuple(motors)


def _declared(table: Table, chips: set[str], ports: Mapping[str, str]) -> None:
    """A HAT motor names a [[pca9685]], a serial motor a [[serial]], declared in this file."""
    for key, names, section in (("chip", chips, "[[pca9685]]"), ("port", ports, "[[serial]]")):
        if key in table.data and table.data[key] not in names:
            raise table.fail(key, f"the name of a {section} "
                                  f"({', '.join(sorted(names)) or 'none declared'})")


def _motor(table: Table, window: float, pin_factory: str) -> MotorConfig:
    """One [[motor]] on its own: known keys, and values its driver and hardware accept."""
    driver = table.get("driver", str, required=True)
    if driver not in DRIVER_KEYS:
        raise table.fail("driver", f"one of {', '.join(DRIVER_KEYS)}")
    keys = {**_COMMON_MOTOR, **DRIVER_KEYS[driver]}
    table.only(set(keys))
    options = {k: table.get(k, kind) for k, kind in keys.items() if k in table.data}
    name = options.pop("name")
    options.pop("driver")
    _power(table)
    table.number("max_rpm", 1e-3, 1e6)
    if driver == "gpio":
        _gpio(table, options, pin_factory)
    elif driver == "hat":
        _hat(table, options)
    else:
        _serial(table, options, driver, window)
    return MotorConfig(name, driver, options)


def _power(table: Table) -> None:
    """max_power in (0, 1] (0 could never move), min_power in [0, max_power]."""
    top = float(table.number("max_power", 0.0, 1.0, 1.0) or 0.0)
    if top == 0:
        raise table.fail("max_power", "a number in (0, 1]")
    if float(table.number("min_power", 0.0, 1.0, 0.0) or 0.0) > top:
        raise table.fail("min_power", f"a number in [0, max_power = {top:g}]")


#: gpiozero's board data for a 40-pin Pi (a Pi 5 here; every 40-pin Pi has GPIO0-27 on J8).
_HEADER_BOARD = "d04170"
#: Highest PWM frequency per pin factory: lgpio's software PWM refuses more than 10 kHz.
_MAX_PWM_HZ = {"lgpio": 10_000.0}
_GPIO_MAX_PWM_HZ = 100_000.0


def _gpio(table: Table, options: dict[str, Any], pin_factory: str) -> None:
    """Pins become BCM numbers 0-27, each used once, in a layout the H-bridge driver knows."""
    used: dict[int, str] = {}
    for key in (k for k in GPIO_PINS if k in options):
        bcm = _bcm(options[key])
        if bcm is None:
            raise table.fail(key, "a BCM GPIO number 0-27 (or a gpiozero name for one, like "
                                  "'GPIO5' or 'BOARD29')")
        if bcm in used:
            raise table.fail(key, f"a pin this motor does not already use (GPIO{bcm} is its "
                                  f"{used[bcm]})")
        used[bcm], options[key] = key, bcm
    wrong = _layout_fault(set(used.values()))
    if wrong is not None:
        raise table.fail(wrong, "pins in1+in2 (both PWM), in1+in2+pwm, or direction+pwm, "
                                "each with an optional enable")
    top = _MAX_PWM_HZ.get(pin_factory, _GPIO_MAX_PWM_HZ)
    frequency = table.get("pwm_frequency", NUMBER)
    if frequency is not None and not (math.isfinite(frequency) and 1 <= frequency <= top):
        why = f" ({pin_factory}'s software PWM stops there)" if pin_factory in _MAX_PWM_HZ else ""
        raise table.fail("pwm_frequency", f"a frequency in [1, {top:g}] Hz{why}")


def _bcm(pin: int | str) -> int | None:
    """The BCM number gpiozero would drive for this pin name on the 40-pin header, or None."""
    from gpiozero import PinInvalidPin, pi_info  # board data only: no pin factory starts

    try:
        name = pi_info(_HEADER_BOARD).to_gpio(pin)
    except PinInvalidPin:
        return None
    return int(str(name).removeprefix("GPIO"))


def _layout_fault(given: set[str]) -> str | None:
    """The pin key that is missing or out of place for every H-bridge layout, if any."""
    if "direction" in given:
        extra = next((k for k in ("in1", "in2") if k in given), None)
        return extra or (None if "pwm" in given else "pwm")
    return next((k for k in ("in1", "in2") if k not in given), None)


def _hat(table: Table, options: dict[str, Any]) -> None:
    """Either named HAT motor (hat + motor) or three different channels [pwm, in1, in2]."""
    from tether.drivers.pca9685 import HAT_LAYOUTS  # no smbus2

    table.get("chip", str, required=True)
    channels = options.get("channels")
    if channels is not None:
        if "hat" in options or "motor" in options:
            raise table.fail("channels", "either channels = [pwm, in1, in2] or hat + motor")
        valid = all(is_kind(c, int) and 0 <= c <= 15 for c in channels)
        if not valid or len(channels) != 3 or len(set(channels)) != 3:
            raise table.fail("channels", "three different PCA9685 channels 0-15 [pwm, in1, in2]")
        options["channels"] = tuple(channels)
        return
    hat = options.get("hat")
    if hat not in HAT_LAYOUTS:
        raise table.fail("hat", f"one of {', '.join(HAT_LAYOUTS)} (or channels = "
                                "[pwm, in1, in2])")
    if options.get("motor") not in HAT_LAYOUTS[hat]:
        raise table.fail("motor", f"a motor of the {hat} HAT: {', '.join(HAT_LAYOUTS[hat])}")


def _serial(table: Table, options: dict[str, Any], driver: str, window: float) -> None:
    """Address, channel and controller timeout within what the controller's protocol can say."""
    from tether.protocols.sabertooth import BAUD_CODES

    table.get("port", str, required=True)
    addresses, longest = _serial_limits(driver)
    if addresses is not None:
        low, high = addresses[0], addresses[-1]
        if table.get("address", int, low) not in addresses:
            raise table.fail("address", f"a {driver} address {low}-{high} (0x{low:02X}-"
                                        f"0x{high:02X})")
        if table.get("channel", int, 1) not in (1, 2):
            raise table.fail("channel", "1 or 2")
        options.setdefault("address", low)
        options.setdefault("channel", 1)
    if driver == "sabertooth" and table.get("set_baud", int) not in (None, *BAUD_CODES):
        raise table.fail("set_baud", f"one of {', '.join(map(str, BAUD_CODES))}")
    table.number("encoder_counts_per_rev", 1e-3, 1e9)
    timeout = table.get("controller_timeout", NUMBER)
    if timeout is not None and not (math.isfinite(timeout) and 0 < timeout <= longest):
        raise table.fail("controller_timeout", f"seconds in (0, {longest:g}] (0 would turn off "
                                               "the controller's own stop)")
    # a little above the session window, in the controllers' 100 ms steps
    tenths = math.ceil(round((window + 0.1) * 10, 6))
    options.setdefault("controller_timeout", min(tenths / 10, longest))


def _serial_limits(driver: str) -> tuple[range | None, float]:
    """The driver's own address range (None: the controller has no address) and longest timeout."""
    from tether.protocols import roboclaw, sabertooth

    if driver == "sabertooth":
        from tether.drivers.sabertooth import SabertoothMotor

        return sabertooth.ADDRESSES, SabertoothMotor.max_timeout()
    if driver == "roboclaw":
        from tether.drivers.roboclaw import RoboClawMotor

        return roboclaw.ADDRESSES, RoboClawMotor.max_timeout()
    from tether.drivers.pololu_smc import SmcMotor

    return None, SmcMotor.max_timeout()
