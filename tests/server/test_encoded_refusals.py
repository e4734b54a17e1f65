"""Bad input to an encoded motor over the wire: NaN or infinite rpm or position is refused with
INVALID_ARGUMENT naming the value, and nothing moves (issue 18); GoTo on a motor without an
encoder is UNIMPLEMENTED naming what it needs."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from grpclib.const import Status
from grpclib.exceptions import GRPCError

from tests.server.harness import EXAMPLES, DaemonThread
from tests.server.test_api import Wire
from tether.config import load_config
from tether.wire.viam.component.motor.v1 import motor_pb2

Call = Callable[[Wire], Any]

REFUSED: dict[str, tuple[Call, str]] = {
    "SetRPM nan": (lambda w: w.motor.SetRPM(motor_pb2.SetRPMRequest(name="left", rpm=math.nan)),
                   "rpm=nan"),
    "SetRPM inf": (lambda w: w.motor.SetRPM(motor_pb2.SetRPMRequest(name="left", rpm=math.inf)),
                   "rpm=inf"),
    "GoTo rpm nan": (lambda w: w.motor.GoTo(motor_pb2.GoToRequest(
        name="left", rpm=math.nan, position_revolutions=1.0)), "rpm=nan"),
    "GoTo position inf": (lambda w: w.motor.GoTo(motor_pb2.GoToRequest(
        name="left", rpm=60, position_revolutions=math.inf)), "position=inf"),
    "GoTo position -nan": (lambda w: w.motor.GoTo(motor_pb2.GoToRequest(
        name="left", rpm=60, position_revolutions=-math.nan)), "position=nan"),
    "GoFor revolutions inf": (lambda w: w.motor.GoFor(motor_pb2.GoForRequest(
        name="left", rpm=60, revolutions=math.inf)), "revolutions=inf"),
    "ResetZeroPosition nan": (lambda w: w.motor.ResetZeroPosition(
        motor_pb2.ResetZeroPositionRequest(name="left", offset=math.nan)), "offset=nan"),
}


@pytest.fixture(scope="module")
def daemon() -> Iterator[DaemonThread]:
    running = DaemonThread(load_config(EXAMPLES / "rover_encoders.toml"))
    yield running
    running.close()


@pytest.fixture
def wire(daemon: DaemonThread) -> Iterator[Wire]:
    client = Wire(daemon)
    yield client
    client.close()


@pytest.mark.parametrize("name", REFUSED)
def test_nan_or_infinite_rpm_or_position_is_refused_and_nothing_moves(
    daemon: DaemonThread, wire: Wire, name: str
) -> None:
    call, named = REFUSED[name]
    position = daemon.robot.motors["left"].position()
    with pytest.raises(GRPCError) as refused:
        wire.run(lambda: call(wire))
    assert refused.value.status == Status.INVALID_ARGUMENT
    assert named in str(refused.value.message), refused.value.message
    time.sleep(0.1)
    assert not daemon.moving(), "nothing moves"
    assert daemon.robot.motors["left"].position() == position


def test_go_to_on_a_motor_without_an_encoder_names_what_it_needs() -> None:
    plain = DaemonThread()  # examples/rover.toml: no encoders
    other = Wire(plain)
    try:
        with pytest.raises(GRPCError) as refused:
            other.run(lambda: other.motor.GoTo(motor_pb2.GoToRequest(
                name="left", rpm=60, position_revolutions=1.0)))
        assert refused.value.status == Status.UNIMPLEMENTED
        assert "needs an encoder" in str(refused.value.message)
        assert not plain.moving()
    finally:
        other.close()
        plain.close()
