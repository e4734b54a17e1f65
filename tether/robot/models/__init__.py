"""The model table: one row per hardware family, by the [[motor]].driver name that picks it.

Adding a family: write its module here (keys, check, claims, build, fake, presets; see
tether/robot/model.py and sabertooth.py for a small one) and add its row below. Config checking,
`tether check`, `tether serve` (with and without --sim), the demo presets and build_sim_rover all
read this table; nothing else names a family. Importing the table imports no driver: each module
imports its driver, fake and protocol only inside the functions that use them.
"""

from __future__ import annotations

from tether.robot.model import EncoderModel, Model, Preset
from tether.robot.models import gpio, gpio_encoder, hat, pololu_smc, roboclaw, sabertooth

MODELS: dict[str, Model] = {
    row.driver: row
    for row in (
        gpio.MODEL,
        hat.MODEL,
        sabertooth.MODEL,
        roboclaw.MODEL,
        pololu_smc.MODEL,
    )
}

#: The encoder table: one row per kind of wheel encoder, by the [[encoder]].driver name.
ENCODERS: dict[str, EncoderModel] = {
    row.driver: row for row in (gpio_encoder.QUADRATURE, gpio_encoder.SINGLE, roboclaw.ENCODER)
}

#: Every demo rover by the name `tether demo --hardware` and build_sim_rover take, in table order.
PRESETS: dict[str, tuple[Model, Preset]] = {
    name: (row, preset) for row in MODELS.values() for name, preset in row.presets.items()
}
#: The hardware names `tether demo --hardware` and build_sim_rover(hardware=...) accept.
HARDWARE = tuple(PRESETS)

__all__ = ["ENCODERS", "HARDWARE", "MODELS", "PRESETS", "EncoderModel", "Model"]
