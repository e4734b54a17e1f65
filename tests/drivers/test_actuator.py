"""The lifecycle every actuator shares: what the server may rely on, and a close that releases."""

from __future__ import annotations

import threading
import time

import pytest

from tether.drivers import Base, BaseProperties, DifferentialBase
from tether.errors import HardwareError
from tether.fakes import FakeMotor


class PlainBase(Base):
    """The least a new kind of base implements: no locks or flags of its own."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.stopping = threading.Event()
        self.release_stop = threading.Event()

    def is_moving(self) -> bool:
        return False

    def properties(self) -> BaseProperties:
        return BaseProperties(0.2, 0.0, 0.2)

    def _velocity_limits(self, where: str) -> tuple[float, float]:
        return 100.0, 90.0

    def _drive_power(self, linear: float, angular: float) -> None:
        """Nothing to drive."""

    def _drive_velocity(self, mm_per_s: float, deg_per_s: float) -> None:
        """Nothing to drive."""

    def _stop_hw(self) -> None:
        self.stopping.set()
        self.release_stop.wait(5)


def test_a_new_kind_of_base_names_the_lock_its_stop_holds() -> None:
    """The ownership guard runs a command under `command_locks[0]`, which a stop also takes, so
    a command queued past its session's end never runs. Before: a Base subclass had no
    command_locks (the server fell back to no lock at all) and slow_io only by luck."""
    base = PlainBase("plain")
    assert base.slow_io is False
    stopper = threading.Thread(target=base.stop)
    stopper.start()
    try:
        assert base.stopping.wait(5)
        lock = base.command_locks[0]
        assert not lock.acquire(timeout=0.05), "a command must wait for the stop in progress"
    finally:
        base.release_stop.set()
        stopper.join(5)
    assert lock.acquire(timeout=1)
    lock.release()


def test_closing_a_base_whose_stop_fails_still_ends_its_threads() -> None:
    """close() stops first, then releases, also when the stop fails. Before: a base whose
    motor refused the stop kept its stop workers and ramp thread running after close()."""
    before = set(threading.enumerate())
    left = [FakeMotor("close-l0"), FakeMotor("close-l1")]
    right = [FakeMotor("close-r0"), FakeMotor("close-r1")]
    base = DifferentialBase(
        "base", left, right, width_mm=200, wheel_circumference_mm=200, max_acceleration=5.0
    )
    base.set_power(0.5, 0)  # starts the ramp thread
    left[1].stop_error = OSError("I2C NACK")
    with pytest.raises(HardwareError, match="close-l1"):
        base.close()
    assert base.closed
    deadline = time.monotonic() + 5
    while set(threading.enumerate()) - before and time.monotonic() < deadline:
        time.sleep(0.01)
    assert sorted(t.name for t in set(threading.enumerate()) - before) == []
