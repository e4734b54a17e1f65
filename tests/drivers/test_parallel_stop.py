"""A base's stop when the process can start no new thread: every wheel still stops."""

from __future__ import annotations

import threading

import pytest

from tether.drivers import DifferentialBase
from tether.fakes import FakeMotor
from tether.fakes.threads import threads_refused


def four_wheels() -> tuple[DifferentialBase, list[FakeMotor]]:
    """A skid-steer base: two motors a side, so three of its four stops go to workers."""
    motors = [FakeMotor(name) for name in ("l0", "r0", "l1", "r1")]
    base = DifferentialBase(
        "base", motors[0::2], motors[1::2], width_mm=200, wheel_circumference_mm=200
    )
    return base, motors


def stop_workers(base: DifferentialBase) -> set[str]:
    """Names of the live per-motor stop workers of this base's motors."""
    names = {f"tether-stop-{m.name}" for m in base.motors}
    return {t.name for t in threading.enumerate() if t.name in names}


def test_stop_workers_start_with_the_base_not_on_its_first_stop() -> None:
    base, _ = four_wheels()
    try:
        assert stop_workers(base) == {"tether-stop-r0", "tether-stop-l1", "tether-stop-r1"}
    finally:
        base.close()


def test_base_stops_every_wheel_when_no_thread_can_start() -> None:
    """The thread limit is reached after start-up: the stop needs none, and stops all four."""
    base, motors = four_wheels()
    base.set_power(0.3, 0)
    assert [m.power for m in motors] == [0.3] * 4
    with threads_refused() as refused:
        base.stop()
    assert [m.power for m in motors] == [0.0] * 4
    assert refused == [], "the stop asked for a new thread"
    base.close()


def test_base_built_at_the_thread_limit_stops_its_wheels_on_the_callers_thread() -> None:
    """No worker could start at construction: each motor is stopped inline, one after another."""
    with threads_refused() as refused:
        base, motors = four_wheels()
        base.set_power(0.3, 0)
        base.stop()
        assert [m.power for m in motors] == [0.0] * 4
        base.set_power(-0.4, 0)
        base.stop()
    assert [m.power for m in motors] == [0.0] * 4
    assert len(refused) <= 3, f"retried a worker on a stop path: {refused}"
    base.close()


def test_each_wheel_is_stopped_once_per_base_stop_not_by_its_worker_too() -> None:
    """The caller and a wheel's worker both get the job; whoever claims it first runs it (on
    pigpio a wheel's stop is several round trips: twice would double a stop's work)."""
    before = set(threading.enumerate())
    base, motors = four_wheels()
    workers = {t for t in set(threading.enumerate()) - before if t.name.startswith("tether-stop-")}
    assert len(workers) == 3
    stops = dict.fromkeys((m.name for m in motors), 0)
    for motor in motors:
        def counted(motor: FakeMotor = motor, stop: object = motor.stop) -> None:
            stops[motor.name] += 1
            stop()  # type: ignore[operator]
        motor.stop = counted  # type: ignore[method-assign]
    for _ in range(20):
        base.set_power(0.3, 0)
        base.stop()
    base.close()  # the workers end after the jobs queued before
    for worker in workers:
        worker.join(5)
        assert not worker.is_alive()
    assert all(m.power == 0.0 for m in motors)
    assert stops == dict.fromkeys(stops, 21), stops  # 20 stops, then close() stops once more


def test_a_wheel_whose_stop_fails_once_gets_its_second_attempt() -> None:
    """Before each job ran once, a wheel with a worker was stopped by the caller and by its
    worker: a stop that failed once was tried again. Whoever runs the job now tries twice."""
    from tether.errors import HardwareError
    from tether.fakes.faulty_stop import FaultyStop

    for _ in range(20):  # the caller or the worker may claim the job: both must retry
        base, motors = four_wheels()
        base.set_power(0.3, 0)
        fault = FaultyStop(motors[1], raises=1)
        motors[1].stop = fault  # type: ignore[method-assign]
        with pytest.raises(HardwareError, match="injected stop failure #1"):
            base.stop()  # the first failure is still reported
        assert fault.calls == 2 and motors[1].power == 0.0, (fault.calls, motors[1].power)
        base.close()
