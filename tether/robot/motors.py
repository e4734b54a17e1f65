"""[[motor]] tables: each driver's options within what its hardware can do, no line shared.

The keys every motor takes are checked here; the rest is the driver's row of the model table
(tether/robot/models/): pins become BCM numbers (0-27), HAT motors become PCA9685 channels,
serial motors an address and a channel, each checked against the driver's own limits, so that
`tether check` refuses what `tether serve` could not build.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from tether.control.pid import PidGains
from tether.control.stall import StallSettings
from tether.robot.model import Checking, Model
from tether.robot.models import MODELS
from tether.robot.table import NUMBER, Table
from tether.robot.wiring import Claim, LoopConfig, MotorConfig

COMMON_KEYS: dict[str, Any] = {"name": str, "driver": str, "invert": bool, "max_power": NUMBER,
                               "min_power": NUMBER, "max_rpm": NUMBER, "encoder": str,
                               "pid": dict, "stall": dict}
#: [[motor]].pid keys: gains on the speed error as a fraction of max_rpm, the integral's clamp,
#: the output limits (tether's own speed loop; a RoboClaw with qpps uses its own).
PID_KEYS = ("kp", "ki", "kd", "integral_limit", "output_min", "output_max")
#: [[motor]].stall keys and their ranges (tether.control.StallSettings' fields).
STALL_RANGES = {"stall_power": (0.0, 1.0), "still_rpm": (0.0, 1e6), "stall_seconds": (0.01, 600),
                "runaway_ratio": (1.0, 1000.0), "runaway_margin_rpm": (0.0, 1e6),
                "runaway_seconds": (0.01, 600)}
#: Each driver's own [[motor]] keys and their types, from the model table.
DRIVER_KEYS: dict[str, dict[str, Any]] = {name: dict(row.keys) for name, row in MODELS.items()}


def parse_motors(tables: Iterable[Table], window: float, pin_factory: str, chips: set[str],
                 ports: Mapping[str, str]) -> tuple[MotorConfig, ...]:
    """Every [[motor]]: its options checked, on a declared chip or port, on no other's line."""
    motors: list[MotorConfig] = []
    taken: list[Claim] = []
    checking = Checking(window, pin_factory)
    for table in tables:
        motor = _motor(table, checking)
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


def claims(motor: MotorConfig, ports: Mapping[str, str]) -> Iterator[Claim]:
    """Everything `motor` drives, as its family's row says; options are already checked."""
    return MODELS[motor.driver].claims(motor, ports)


def model_of(table: Table) -> Model:
    """The row of the table's driver, or an error listing the drivers there are."""
    driver = table.get("driver", str, required=True)
    if driver not in MODELS:
        raise table.fail("driver", f"one of {', '.join(MODELS)}")
    return MODELS[driver]


def _declared(table: Table, chips: set[str], ports: Mapping[str, str]) -> None:
    """A HAT motor names a [[pca9685]], a serial motor a [[serial]], declared in this file."""
    for key, names, section in (("chip", chips, "[[pca9685]]"), ("port", ports, "[[serial]]")):
        if key in table.data and table.data[key] not in names:
            raise table.fail(key, f"the name of a {section} "
                                  f"({', '.join(sorted(names)) or 'none declared'})")


def _motor(table: Table, checking: Checking) -> MotorConfig:
    """One [[motor]] on its own: known keys, and values its driver and hardware accept."""
    model = model_of(table)
    keys = {**COMMON_KEYS, **model.keys}
    table.only(set(keys))
    options = {k: table.get(k, kind) for k, kind in keys.items() if k in table.data}
    name = options.pop("name")
    options.pop("driver")
    encoder = options.pop("encoder", None)
    loop = _loop(table, options.pop("pid", None), options.pop("stall", None), encoder)
    _power(table)
    table.number("max_rpm", 1e-3, 1e6)
    model.check(table, options, checking)
    return MotorConfig(name, model.driver, options, encoder, loop)


def _loop(table: Table, pid: dict[str, Any] | None, stall: dict[str, Any] | None,
          encoder: str | None) -> LoopConfig | None:
    """An encoded motor's loop settings; pid and stall mean nothing without an encoder."""
    if encoder is None:
        for key, given in (("pid", pid), ("stall", stall)):
            if given is not None:
                raise table.fail(key, "nothing without an encoder: add encoder = "
                                      "\"<an [[encoder]] name>\" (or remove it)")
        return None
    if table.get("max_rpm", NUMBER) is None:
        raise table.fail("max_rpm", "a number (required with an encoder: the motor's rpm at "
                                    "full power, the speed loop's feedforward)")
    settings = LoopConfig(stall=_stall(Table(table.source, f"{table.where}.stall", stall or {})))
    if pid is None:
        return settings
    gains = Table(table.source, f"{table.where}.pid", pid)
    gains.only(set(PID_KEYS))
    values = {key: _gain(gains, key) for key in PID_KEYS if key in pid}
    low, high = values.get("output_min", -1.0), values.get("output_max", 1.0)
    for key in ("output_min", "output_max"):
        if key in pid and not -1.0 <= pid[key] <= 1.0:
            raise gains.fail(key, "a power in [-1, 1]")
    if not low < high:
        raise gains.fail("output_max", f"more than output_min = {low:g}")
    return LoopConfig(
        PidGains(values.get("kp", 1.0), values.get("ki", 10.0), values.get("kd", 0.02)),
        values.get("integral_limit"), values.get("output_min"), values.get("output_max"),
        settings.stall,
    )


def _gain(table: Table, key: str) -> float:
    """A finite number; gains and the integral clamp also >= 0 (a negative gain pushes the
    wheel away from the speed asked for: a runaway)."""
    value = table.get(key, NUMBER)
    if not math.isfinite(value):
        raise table.fail(key, "a finite number")
    if key not in ("output_min", "output_max") and value < 0:
        raise table.fail(key, "a number >= 0 (a negative gain drives the wheel away from the "
                              "speed asked for)")
    return float(value)


def _stall(table: Table) -> StallSettings:
    """When the motor counts as stalled or running away; the defaults for what is not given."""
    table.only(set(STALL_RANGES))
    given = {key: table.number(key, *STALL_RANGES[key]) for key in STALL_RANGES
             if key in table.data}
    return StallSettings(**{k: v for k, v in given.items() if v is not None})


def _power(table: Table) -> None:
    """max_power in (0, 1] (0 could never move), min_power in [0, max_power]."""
    top = float(table.number("max_power", 0.0, 1.0, 1.0) or 0.0)
    if top == 0:
        raise table.fail("max_power", "a number in (0, 1]")
    if float(table.number("min_power", 0.0, 1.0, 0.0) or 0.0) > top:
        raise table.fail("min_power", f"a number in [0, max_power = {top:g}]")
