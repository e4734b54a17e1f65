"""What every Motor backend must do; runs once per backend in tests/drivers/rigs.py."""

from __future__ import annotations

import asyncio
import math
import random
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from tests.drivers.conftest import RigFactory
from tests.drivers.rigs import MotorRig
from tether.drivers.motion import run_blocking_move
from tether.errors import InvalidCommand, Unsupported
from tether.session import SessionManager, safety_monitor, to_context

BAD_POWERS = [math.nan, math.inf, -math.inf, 1.0001, -1.5, 2, "0.5", None, True]


def test_constructed_motor_is_stopped(rig: MotorRig) -> None:
    assert rig.duty() == 0.0
    assert rig.motor.is_powered() == (False, 0.0)
    assert not rig.motor.is_moving()


@pytest.mark.parametrize("power", [0.5, -0.25, 1.0, -1.0, 0.001])
def test_set_power_reaches_the_outputs(rig: MotorRig, power: float) -> None:
    rig.motor.set_power(power)
    assert rig.duty() == rig.approx(power)
    assert rig.motor.is_powered() == (True, power)
    assert rig.motor.is_moving()


def test_reversing_while_running(rig: MotorRig) -> None:
    rig.motor.set_power(0.6)
    rig.motor.set_power(-0.6)
    assert rig.duty() == rig.approx(-0.6)
    rig.motor.set_power(0.0)
    assert rig.duty() == 0.0 and not rig.motor.is_moving()


@pytest.mark.parametrize("bad", BAD_POWERS, ids=repr)
def test_bad_power_is_rejected_and_nothing_moves(rig: MotorRig, bad: object) -> None:
    rig.motor.set_power(0.3)
    before = rig.activity()
    with pytest.raises(InvalidCommand) as error:
        rig.motor.set_power(bad)  # type: ignore[arg-type]
    assert f"power={bad!r}" in str(error.value)
    assert "expected a number in [-1, 1]" in str(error.value)
    assert rig.activity() == before
    assert rig.duty() == rig.approx(0.3)


def test_stop_is_idempotent_and_changes_nothing_when_already_stopped(rig: MotorRig) -> None:
    rig.motor.set_power(0.8)
    rig.motor.stop()
    assert rig.duty() == 0.0
    after_first = rig.activity()
    rig.motor.stop()
    rig.motor.stop()
    assert rig.activity() == after_first
    assert rig.motor.is_powered() == (False, 0.0)


def test_close_stops_first_then_refuses_commands(rig: MotorRig) -> None:
    rig.motor.set_power(-0.7)
    rig.motor.close()
    assert rig.duty() == 0.0
    assert rig.motor.closed
    rig.motor.close()
    rig.motor.stop()
    with pytest.raises(InvalidCommand, match="closed"):
        rig.motor.set_power(0.1)
    assert rig.duty() == 0.0


def test_go_for_runs_for_the_computed_time_then_stops(rig: MotorRig) -> None:
    seen: list[float] = []
    watcher = threading.Timer(0.05, lambda: seen.append(rig.duty()))
    watcher.start()
    began = time.monotonic()
    assert rig.motor.go_for(600, 1) is True
    elapsed = time.monotonic() - began
    watcher.join()
    assert seen == [rig.approx(1.0)]
    assert 0.1 <= elapsed < 0.6
    assert rig.duty() == 0.0


def test_go_for_direction_is_sign_of_rpm_times_revolutions(rig: MotorRig) -> None:
    seen: list[float] = []
    watcher = threading.Timer(0.02, lambda: seen.append(rig.duty()))
    watcher.start()
    rig.motor.go_for(-300, 0.5)
    watcher.join()
    assert seen == [rig.approx(-0.5)]


def test_go_for_is_interrupted_by_stop_from_another_thread(rig: MotorRig) -> None:
    results: list[bool] = []
    mover = threading.Thread(target=lambda: results.append(rig.motor.go_for(60, 10)))
    mover.start()
    time.sleep(0.05)
    assert rig.duty() == rig.approx(0.1)
    rig.motor.stop()
    mover.join(2)
    assert results == [False]
    assert rig.duty() == 0.0


def test_newer_command_supersedes_go_for_without_stopping(rig: MotorRig) -> None:
    results: list[bool] = []
    mover = threading.Thread(target=lambda: results.append(rig.motor.go_for(60, 10)))
    mover.start()
    time.sleep(0.05)
    rig.motor.set_power(-0.2)
    mover.join(2)
    assert results == [False]
    assert rig.duty() == rig.approx(-0.2)


def test_go_for_stops_when_its_task_is_cancelled(rig: MotorRig) -> None:
    async def scenario() -> None:
        task = asyncio.create_task(
            run_blocking_move(lambda: rig.motor.go_for(60, 10), rig.motor.stop)
        )
        await asyncio.sleep(0.05)
        assert rig.duty() != 0.0
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(scenario())
    assert rig.duty() == 0.0


class CallerGone(Exception):
    """Stands for Ctrl-C or any exception that ends the calling code."""


@contextmanager
def raise_in_main_thread_after(seconds: float) -> Iterator[None]:
    def interrupt(_signum: int, _frame: object) -> None:
        raise CallerGone

    previous = signal.signal(signal.SIGALRM, interrupt)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def test_go_for_stops_when_its_caller_goes_away(rig: MotorRig) -> None:
    began = time.monotonic()
    with pytest.raises(CallerGone), raise_in_main_thread_after(0.05):
        rig.motor.go_for(60, 10)
    assert time.monotonic() - began < 2
    assert rig.duty() == 0.0


@pytest.mark.parametrize(
    ("rpm", "revolutions", "message"),
    [
        (601, 1, r"rpm=601: expected a number in \[-600, 600\]"),
        (math.nan, 1, "rpm=nan"),
        (100, math.inf, "revolutions=inf: expected a finite number"),
        (100, 1e14, r"revolutions=100000000000000.0 at rpm=100: the move would take 6e\+13 s; "
         "expected at most 3600 s"),
    ],
)
def test_go_for_bad_values_are_rejected(
    rig: MotorRig, rpm: float, revolutions: float, message: str
) -> None:
    before = rig.activity()
    with pytest.raises(InvalidCommand, match=message):
        rig.motor.go_for(rpm, revolutions)
    assert rig.activity() == before


def test_go_for_at_zero_rpm_stops_the_motor(rig: MotorRig) -> None:
    """A speed of 0 means 'do not turn': before, it was refused and the motor kept driving."""
    rig.motor.set_power(0.3)
    assert rig.motor.go_for(0, 5) is True
    assert rig.duty() == 0.0


def test_go_for_zero_revolutions_runs_on_at_rpm_as_viam_documents(rig: MotorRig) -> None:
    """Viam's GoFor: 'If revolutions is 0, this runs the motor at rpm indefinitely.'"""
    assert rig.motor.go_for(-150, 0) is True
    assert rig.motor.is_powered() == (True, -0.25)
    rig.motor.stop()
    assert rig.duty() == 0.0


def test_go_for_needs_max_rpm(make_rig: RigFactory) -> None:
    rig = make_rig()
    with pytest.raises(Unsupported, match="max_rpm"):
        rig.motor.go_for(100, 1)
    assert rig.duty() == 0.0


def test_invert_flips_direction(make_rig: RigFactory) -> None:
    rig = make_rig(invert=True)
    rig.motor.set_power(0.4)
    assert rig.duty() == rig.approx(-0.4)
    assert rig.motor.is_powered() == (True, 0.4)


def test_max_power_scales_the_whole_range(make_rig: RigFactory) -> None:
    rig = make_rig(max_power=0.5)
    rig.motor.set_power(1.0)
    assert rig.duty() == rig.approx(0.5)
    rig.motor.set_power(-0.5)
    assert rig.duty() == rig.approx(-0.25)


def test_below_min_power_the_motor_is_stopped(make_rig: RigFactory) -> None:
    rig = make_rig(min_power=0.2)
    rig.motor.set_power(0.5)
    rig.motor.set_power(0.15)
    assert rig.duty() == 0.0
    assert rig.motor.is_powered() == (False, 0.0)
    rig.motor.set_power(-0.2)
    assert rig.duty() == rig.approx(-0.2)


@pytest.mark.parametrize(
    "options", [{"max_power": 0}, {"max_power": 1.5}, {"min_power": -0.1}, {"max_rpm": math.nan}]
)
def test_bad_options_are_rejected(make_rig: RigFactory, options: dict[str, float]) -> None:
    with pytest.raises(InvalidCommand, match=next(iter(options))):
        make_rig(**options)


def test_concurrent_commands_leave_outputs_matching_the_last_one(rig: MotorRig) -> None:
    barrier = threading.Barrier(6)

    def hammer(seed: int) -> None:
        chooser = random.Random(seed)
        barrier.wait(5)
        for _ in range(200):
            if chooser.random() < 0.3:
                rig.motor.stop()
            else:
                rig.motor.set_power(chooser.uniform(-1, 1))

    threads = [threading.Thread(target=hammer, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    _powered, power = rig.motor.is_powered()
    assert rig.duty() == rig.approx(power)
    rig.motor.stop()
    assert rig.duty() == 0.0


def test_session_expiry_stops_the_motor_at_the_device(rig: MotorRig) -> None:
    with SessionManager(heartbeat_window=0.1) as manager:
        session = manager.start()
        with to_context(session):
            safety_monitor(rig.motor)
            rig.motor.set_power(0.5)
        assert rig.duty() == rig.approx(0.5)
        deadline = session.deadline
        until = deadline + 3.0
        while rig.duty() != 0.0 and time.monotonic() < until:
            time.sleep(0.001)
        stopped = time.monotonic()
    assert rig.duty() == 0.0
    assert stopped - deadline < 0.1, "the target is 2 ms; 0.1 s is the CI bound"
