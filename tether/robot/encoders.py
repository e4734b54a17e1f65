"""[[encoder]] tables: each encoder's options within what its driver can do, on no line a motor
or another encoder already uses."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

from tether.robot.model import Checking, EncoderModel
from tether.robot.models import ENCODERS
from tether.robot.table import NUMBER, Table
from tether.robot.wiring import Claim, EncoderConfig

#: The keys every encoder takes; the rest are its row's.
COMMON_KEYS: dict[str, Any] = {"name": str, "driver": str, "ticks_per_revolution": NUMBER}


def parse_encoders(tables: Iterable[Table], checking: Checking, ports: Mapping[str, str],
                   taken: list[Claim], owners: Mapping[str, str]) -> tuple[EncoderConfig, ...]:
    """Every [[encoder]], checked, on a declared port, reading no pin or counter that a motor
    (its claims in `taken`, by motor name in `owners`) or another encoder already uses."""
    encoders: list[EncoderConfig] = []
    claimed = list(taken)
    sections = {name: "[[motor]]" for name in owners}
    for table in tables:
        encoder = _encoder(table, checking, ports)
        sections[encoder.name] = "[[encoder]]"
        for claim in ENCODERS[encoder.driver].claims(encoder, ports):
            other = next((c for c in claimed if c.clashes(claim)), None)
            if other is not None:
                uses = "drives" if sections.get(other.motor) == "[[motor]]" else "reads"
                what = "it" if other.says == claim.says else other.says
                raise table.fail(claim.key, f"{claim.says} to be free: "
                                            f"{sections.get(other.motor, '[[motor]]')} "
                                            f"{other.motor!r}.{other.key} {uses} {what}")
            claimed.append(claim)
        encoders.append(encoder)
    return tuple(encoders)


def encoder_model(table: Table) -> EncoderModel:
    """The row of the table's driver, or an error listing the encoder drivers there are."""
    driver = table.get("driver", str, required=True)
    if driver not in ENCODERS:
        raise table.fail("driver", f"one of {', '.join(ENCODERS)}")
    return ENCODERS[driver]


def _encoder(table: Table, checking: Checking, ports: Mapping[str, str]) -> EncoderConfig:
    model = encoder_model(table)
    keys = {**COMMON_KEYS, **model.keys}
    table.only(set(keys))
    options = {k: table.get(k, kind) for k, kind in keys.items() if k in table.data}
    name = options.pop("name")
    options.pop("driver")
    ticks = table.get("ticks_per_revolution", NUMBER, required=True)
    if not (math.isfinite(ticks) and 0 < ticks <= 1e9):
        raise table.fail("ticks_per_revolution", "a number > 0 (counted edges per revolution "
                                                 "of the shaft: 4 per cycle of a quadrature "
                                                 "channel, 2 of a single one)")
    options["ticks_per_revolution"] = float(ticks)
    if "port" in table.data and table.data["port"] not in ports:
        raise table.fail("port", f"the name of a [[serial]] "
                                 f"({', '.join(sorted(ports)) or 'none declared'})")
    model.check(table, options, checking)
    return EncoderConfig(name, model.driver, options)
