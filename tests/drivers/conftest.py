"""The contract suite runs once per registered motor backend."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from tests.drivers.rigs import MOTOR_RIGS, MotorRig

RigFactory = Callable[..., MotorRig]


@pytest.fixture(params=sorted(MOTOR_RIGS))
def make_rig(request: pytest.FixtureRequest) -> Iterator[RigFactory]:
    """Builds rigs of one backend (with motor options) and closes them afterwards."""
    built: list[MotorRig] = []

    def build(**options: object) -> MotorRig:
        rig = MOTOR_RIGS[request.param](**options)
        built.append(rig)
        return rig

    yield build
    for rig in built:
        rig.motor.close()
        rig.cleanup()


@pytest.fixture
def rig(make_rig: RigFactory) -> MotorRig:
    return make_rig(max_rpm=600)
