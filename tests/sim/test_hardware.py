"""The simulated hardware builds whatever fakes the model table's rows ask for: a family added as
one row runs in it, reached through its seam, with nothing in tether.sim changed."""

from __future__ import annotations

import time

import pytest

from tests.robot.test_model_table import SYREN, SYREN_ROVER
from tether.config import parse_config
from tether.drivers.serial.sabertooth import SabertoothMotor
from tether.robot.models import MODELS
from tether.sim.client import SimClient
from tether.sim.hardware import SimHardware
from tether.sim.inspection import Inspection


def test_a_family_added_as_one_row_runs_in_the_simulated_hardware(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import tomllib

    monkeypatch.setitem(MODELS, "syren", SYREN)
    config = parse_config({"server": {"heartbeat_window": 0.5}, **tomllib.loads(SYREN_ROVER)},
                          "rover.toml")
    hardware = SimHardware(config)
    try:
        addresses = hardware.serve(Inspection(hardware).handlers())
        assert set(addresses.serial) == {"front", "back"}
        motor = SabertoothMotor("right", link=addresses.serial["back"], address=130,
                                controller_timeout=0.6)
        with SimClient(addresses.inspect) as client:
            try:
                motor.set_power(0.5)
                until = time.monotonic() + 2
                while client.outputs["right"].duty == 0.0 and time.monotonic() < until:
                    time.sleep(0.005)
                assert client.duties() == {"left": 0.0,
                                           "right": pytest.approx(0.5, abs=1 / 127)}
                assert client.ports["back"].state()["timeout"] == 0.6, "armed by the driver"
            finally:
                motor.close()
    finally:
        hardware.close()
