"""`tether demo --in-process`: the session layer alone, in one process, on the simulated rover.

Drive, go silent, measure how fast the rover stops; then drive again and end the session.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from tether.contract.resource import Resource
from tether.fakes.sim import SimRover, build_sim_rover
from tether.session import SessionManager, safety_monitor, to_context


@dataclass(frozen=True)
class DemoResult:
    """What the demo measured (seconds and mm, on the monotonic clock)."""

    window: float
    last_heartbeat: float
    deadline: float
    stopped_at: float
    travelled_after_deadline_mm: float
    speed_at_deadline_mm_s: float
    end_called: float
    end_stopped_at: float

    @property
    def lapse_delay(self) -> float:
        """Deadline to every wheel's duty at 0, when the client just went silent."""
        return self.stopped_at - self.deadline

    @property
    def end_delay(self) -> float:
        """end() call to every wheel's duty at 0, when the client said goodbye."""
        return self.end_stopped_at - self.end_called


def _wait_all_stopped(sim: SimRover, timeout: float) -> float:
    stopped = sim.wait_all_stopped(timeout)
    if stopped is None:
        raise RuntimeError(f"the rover still had duty {sim.duties()} after {timeout:.1f} s")
    return stopped


def _wait_moving(sim: SimRover, timeout: float) -> None:
    """Until the fakes show the command (else end() would be timed against the last stop)."""
    until = time.monotonic() + timeout
    while not any(sim.duties().values()):
        if time.monotonic() > until:
            raise RuntimeError(f"the rover did not move within {timeout:.1f} s: {sim.duties()}")
        time.sleep(0.001)


def run_demo(
    window: float = 0.25,
    drive_time: float = 1.0,
    say: Callable[[str], None] = print,
    hardware: str = "gpio",
) -> DemoResult:
    """Drive, go silent, measure the stop; then drive again and end the session explicitly."""
    sim = build_sim_rover(hardware=hardware)
    resources: dict[str, Resource] = {"base": sim.base, **sim.motors}
    try:
        with SessionManager(resources.get, heartbeat_window=window) as manager:
            session = manager.start(owner="demo")
            say(
                f"simulated rover: DifferentialBase 'base' over {sim.description} "
                f"{sorted(sim.motors)}; session {session.id[:8]}, window {window * 1000:.0f} ms"
            )
            with to_context(session):
                safety_monitor(sim.base)
                sim.base.set_power(0.6, 0.0)
            until = time.monotonic() + drive_time
            while time.monotonic() < until:
                time.sleep(window / 5)
                session.heartbeat()
            last_beat, deadline = time.monotonic(), session.deadline
            state = sim.rover.state()
            say(
                f"driving at power 0.6: {state.x_mm:.0f} mm covered, {state.speed_mm_s:.0f} mm/s; "
                "heartbeats stop now (as if the client crashed)"
            )
            stopped_at = _wait_all_stopped(sim, 10 * window + 1)
            time.sleep(0.3)
            after = sim.rover.travelled(since=deadline)
            speed = sim.rover.state_at(deadline).speed_mm_s
            lapse_ms = (stopped_at - deadline) * 1000
            say(
                f"every wheel at duty 0 {lapse_ms:.2f} ms after the session's "
                f"deadline; the rover rolled {after:.1f} mm after the deadline "
                f"(it was doing {speed:.0f} mm/s)"
            )
            again = manager.start(owner="demo")
            with to_context(again):
                safety_monitor(sim.base)
                sim.base.set_power(-0.4, 0.2)
            _wait_moving(sim, 1.0)  # a serial fake reads its pty on its own thread
            end_called = time.monotonic()
            manager.end(again.id)
            end_stopped = _wait_all_stopped(sim, 1.0)
            end_ms = (end_stopped - end_called) * 1000
            say(
                f"second session ended explicitly: duty 0 {end_ms:.3f} ms"
                f" after end() (waiting for the window instead: {window * 1000:.0f} ms)"
            )
    finally:
        sim.close()
    return DemoResult(
        window, last_beat, deadline, stopped_at, after, speed, end_called, end_stopped
    )
