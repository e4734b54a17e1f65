"""`tether demo`: drive a fake motor under a session, let the session lapse, measure the stop."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from tether.fakes import FakeMotor
from tether.session import SessionManager, StopEvent, safety_monitor, to_context


@dataclass(frozen=True)
class DemoResult:
    """What the demo measured, in seconds on the monotonic clock."""

    window: float
    last_heartbeat: float
    deadline: float
    stopped_at: float
    reported_delay: float | None
    end_called: float
    end_stopped_at: float

    @property
    def lapse_delay(self) -> float:
        """Deadline to power 0 when the client just went silent."""
        return self.stopped_at - self.deadline

    @property
    def end_delay(self) -> float:
        """end() call to power 0 when the client said goodbye."""
        return self.end_stopped_at - self.end_called


def run_demo(
    window: float = 0.25, drive_time: float = 0.6, say: Callable[[str], None] = print
) -> DemoResult:
    """Run both scenarios (silent client, explicit end) and report what was measured."""
    reports: list[StopEvent] = []
    stopped = threading.Event()

    def on_stop(event: StopEvent) -> None:
        reports.append(event)
        stopped.set()

    with SessionManager(heartbeat_window=window) as manager:
        manager.add_listener(on_stop)
        motor = FakeMotor("left")
        session = manager.start(owner="demo")
        say(f"session {session.id} started, heartbeat window {window * 1000:.0f} ms")
        with to_context(session):
            safety_monitor(motor)
            motor.set_power(0.5)
        say(f"motor {motor.name!r} safety-monitored and driven at power {motor.power:+.2f}")
        beats = 0
        until = time.monotonic() + drive_time
        while time.monotonic() < until:
            time.sleep(window / 5)
            session.heartbeat()
            beats += 1
        last_beat = time.monotonic()
        deadline = session.deadline
        say(f"{beats} heartbeats sent; now silent (as if the client crashed)")
        if not stopped.wait(10 * window + 1):
            raise RuntimeError("the motor was not stopped within 10 windows: tether is broken")
        stopped_at = motor.stopped_at()
        if stopped_at is None:
            raise RuntimeError("a stop was reported but the motor still has power")
        delay = reports[0].delay
        say(
            f"motor stopped {(stopped_at - deadline) * 1000:.2f} ms after the session's deadline "
            f"({(stopped_at - last_beat) * 1000:.1f} ms after the last heartbeat)"
        )
        again = manager.start(owner="demo")
        with to_context(again):
            safety_monitor(motor)
            motor.set_power(-0.3)
        end_called = time.monotonic()
        manager.end(again.id)
        end_stopped = motor.stopped_at()
        if end_stopped is None:
            raise RuntimeError("end() returned but the motor still has power")
        end_ms = (end_stopped - end_called) * 1000
        say(
            f"second session ended explicitly: motor stopped {end_ms:.3f} ms after end() "
            f"(waiting for the window would take {window * 1000:.0f} ms)"
        )
    return DemoResult(window, last_beat, deadline, stopped_at, delay, end_called, end_stopped)
