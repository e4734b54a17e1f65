"""End to end in one process: a lapsed session stops the simulated rover at the pins."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from tether.drivers.resource import Resource
from tether.fakes.sim import SimRover, build_sim_rover
from tether.session import SessionManager, safety_monitor, to_context

BOUND = 0.05  # the target is 2 ms; generous so a loaded CI box stays green


@pytest.fixture(
    params=[
        ("gpio", 1), ("gpio", 2), ("adafruit-hat", 1), ("adafruit-hat", 2), ("waveshare-hat", 1),
        ("sabertooth", 1), ("sabertooth", 2), ("roboclaw", 1), ("roboclaw", 2), ("smc", 1),
    ],
    ids=lambda p: f"{p[0]}-{2 * p[1]}wd",
)
def sim(request: pytest.FixtureRequest) -> Iterator[SimRover]:
    hardware, per_side = request.param
    rover = build_sim_rover(hardware=hardware, motors_per_side=per_side)
    yield rover
    rover.close()


def wait_all_stopped(sim: SimRover, timeout: float = 3.0) -> float:
    stopped = sim.wait_all_stopped(timeout)
    assert stopped is not None, f"still moving: {sim.duties()}"
    return stopped


def test_silent_client_stops_every_wheel_just_after_the_deadline(sim: SimRover) -> None:
    resources: dict[str, Resource] = {"base": sim.base, **sim.motors}
    with SessionManager(resources.get, heartbeat_window=0.2) as manager:
        session = manager.start()
        with to_context(session):
            safety_monitor(sim.base)
            sim.base.set_power(0.5, 0.1)
        for _ in range(6):
            time.sleep(0.05)
            session.heartbeat()
        assert all(duty != 0 for duty in sim.duties().values())
        deadline = session.deadline
        stopped = wait_all_stopped(sim)
        time.sleep(0.2)
        assert 0 <= stopped - deadline < BOUND
        speed = sim.rover.state_at(deadline).speed_mm_s
        rolled = sim.rover.travelled(since=deadline)
        assert rolled < speed * (sim.rover.time_constant + BOUND), "only the coast-down"
        assert rolled < 20, "under 2 cm after the deadline"
        assert abs(sim.rover.state().speed_mm_s) < speed / 20, "coasting to rest"


def test_ended_session_stops_the_rover_at_once(sim: SimRover) -> None:
    with SessionManager(heartbeat_window=60) as manager:
        session = manager.start()
        with to_context(session):
            safety_monitor(sim.base)
            sim.base.set_power(-0.5, 0)
        ended = time.monotonic()
        manager.end(session.id)
        stopped = wait_all_stopped(sim)
        assert stopped - ended < BOUND


def test_monitoring_by_name_resolves_the_configured_base(sim: SimRover) -> None:
    resources: dict[str, Resource] = {"base": sim.base}
    with SessionManager(resources.get, heartbeat_window=0.1) as manager:
        with to_context(manager.start()):
            manager.associate(manager.sessions()[0].id, "base")
            sim.base.set_power(0.3, 0)
        wait_all_stopped(sim)
