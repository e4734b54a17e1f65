"""A stop asked while a serial motor's keepalive is reopening the port must not be undone by it.

The 10-minute soak saw it: the RoboClaw base's port was unplugged, its controller stopped both
wheels by its own timeout, the session expired and its stop was asked; a keepalive that had
already begun its resend reopened the port once it came back (a reopen runs the owed stops and
re-arms the controller: several exchanges, slow on a loaded host) and only then wrote the old
duty, ahead of the stop that waited for the motor's lock: the base moved again after its stop.
Here a reopen listener that waits for the test stands in for that slow reopen.
"""

from __future__ import annotations

import contextlib
import sys
import threading
import time
from collections.abc import Callable, Iterator
from types import FrameType

import pytest

from tether.drivers.base import DifferentialBase
from tether.drivers.roboclaw import RoboClawMotor
from tether.drivers.serial_link import SerialLink
from tether.errors import HardwareError
from tether.fakes.channel import DutyChannel
from tether.fakes.roboclaw import FakeRoboClaw

#: Short, so the controller's own timeout stops the wheels soon after the unplug.
CONTROLLER_TIMEOUT = 0.3
#: Generous bound for every wait (the targets are milliseconds; CI is a noisy 2-core box).
BOUND = 5.0


@pytest.fixture
def device() -> Iterator[FakeRoboClaw]:
    fake = FakeRoboClaw(0x80)
    yield fake
    fake.close()


@pytest.fixture
def link(device: FakeRoboClaw) -> Iterator[SerialLink]:
    port = SerialLink(device.path, 38400)
    yield port
    port.close()


def wait_until(condition: Callable[[], bool], what: str) -> None:
    until = time.monotonic() + BOUND
    while not condition():
        if time.monotonic() > until:
            raise AssertionError(f"{what}: not reached within {BOUND} s")
        time.sleep(0.001)


def stopping(motor: object) -> bool:
    """Whether some thread is inside motor.stop() (waiting for its lock or running it)."""
    for frame in sys._current_frames().values():
        at: FrameType | None = frame
        while at is not None:
            if at.f_code.co_name == "stop" and at.f_locals.get("self") is motor:
                return True
            at = at.f_back
    return False


def moved_after(channel: DutyChannel, since: float) -> list[str]:
    """The non-zero duties the output took at or after `since`, and when (ms after it)."""
    return [f"{s.duty:.2f} at +{(s.time - since) * 1000:.1f} ms" for s in channel.history
            if s.time >= since and s.duty != 0.0]


def slow_reopen(link: SerialLink) -> tuple[threading.Event, threading.Event]:
    """A reopen that waits for the test once the drivers' own listeners ran (a loaded host)."""
    reopening, go_on = threading.Event(), threading.Event()

    def crawl() -> None:
        reopening.set()
        go_on.wait(BOUND)

    link.on_reopen(crawl)
    return reopening, go_on


def unplug_until_the_controller_stops(device: FakeRoboClaw, channels: list[int]) -> None:
    """Pull the cable and wait for the controller's own timeout to stop the channels."""
    device.unplug()
    wait_until(lambda: all(device.channels[c].duty == 0.0 for c in channels),
               "the controller's own timeout stops the wheels")


def test_a_motors_stop_asked_during_a_keepalive_reopen_is_not_undone_by_the_resend(
    device: FakeRoboClaw, link: SerialLink
) -> None:
    motor = RoboClawMotor("m", link=link, channel=1, controller_timeout=CONTROLLER_TIMEOUT)
    try:
        reopening, go_on = slow_reopen(link)
        motor.set_power(0.5)
        unplug_until_the_controller_stops(device, [1])
        device.replug()
        assert reopening.wait(BOUND), "the keepalive reopens the port once it is back"
        asked = time.monotonic()
        stop = threading.Thread(target=motor.stop, name="test-stop")
        stop.start()
        wait_until(lambda: stopping(motor), "the stop waits for the motor")
        go_on.set()
        stop.join(BOUND)
        assert not stop.is_alive()
        time.sleep(3 * CONTROLLER_TIMEOUT)  # a few keepalive periods
        late = moved_after(device.channels[1], asked)
        assert late == [], f"the keepalive drove the motor at duty {late} after its stop"
        assert device.channels[1].duty == 0.0
        assert motor.is_powered() == (False, 0.0)
    finally:
        go_on.set()
        with contextlib.suppress(HardwareError):
            motor.close()


def test_a_bases_stop_during_a_keepalive_reopen_leaves_both_wheels_stopped(
    device: FakeRoboClaw, link: SerialLink
) -> None:
    """The soak's case: two channels of one RoboClaw on one port, stopped through the base (one
    wheel inline, the other by the base's stop worker)."""
    left = RoboClawMotor("left", link=link, channel=1, controller_timeout=CONTROLLER_TIMEOUT)
    right = RoboClawMotor("right", link=link, channel=2, controller_timeout=CONTROLLER_TIMEOUT)
    base = DifferentialBase("claw", [left], [right], width_mm=160, wheel_circumference_mm=204)
    try:
        reopening, go_on = slow_reopen(link)
        base.set_power(0.5, 0.0)
        unplug_until_the_controller_stops(device, [1, 2])
        device.replug()
        assert reopening.wait(BOUND), "a keepalive reopens the port once it is back"
        asked = time.monotonic()
        stop = threading.Thread(target=base.stop, name="test-base-stop")
        stop.start()
        wait_until(lambda: stopping(left) and stopping(right), "both wheels' stops are asked")
        go_on.set()
        stop.join(BOUND)
        assert not stop.is_alive()
        time.sleep(3 * CONTROLLER_TIMEOUT)
        late = {c: moved_after(device.channels[c], asked) for c in (1, 2)}
        assert late == {1: [], 2: []}, f"a keepalive drove a wheel after the base's stop: {late}"
        assert not base.is_moving()
    finally:
        go_on.set()
        with contextlib.suppress(HardwareError):
            base.close()
        for motor in (left, right):
            with contextlib.suppress(HardwareError):
                motor.close()


def test_a_bases_stop_that_waits_for_the_base_keeps_its_wheels_keepalives_quiet(
    device: FakeRoboClaw, link: SerialLink
) -> None:
    """A base's stop may wait for the base's lock (a command in progress; on a loaded host, a
    stop thread not scheduled) before it reaches the wheels; a keepalive must not put a wheel
    the controller stopped back in motion meanwhile (here the port comes back during the wait)."""
    left = RoboClawMotor("left", link=link, channel=1, controller_timeout=CONTROLLER_TIMEOUT)
    right = RoboClawMotor("right", link=link, channel=2, controller_timeout=CONTROLLER_TIMEOUT)
    base = DifferentialBase("claw", [left], [right], width_mm=160, wheel_circumference_mm=204)
    held = base.command_locks[0]
    stop = threading.Thread(target=base.stop, name="test-base-stop")
    try:
        base.set_power(0.5, 0.0)
        unplug_until_the_controller_stops(device, [1, 2])
        held.acquire()
        asked = time.monotonic()
        stop.start()
        wait_until(lambda: stopping(base), "the base's stop waits for the base")
        device.replug()
        time.sleep(3 * CONTROLLER_TIMEOUT)  # the keepalives' periods come and go meanwhile
        held.release()
        stop.join(BOUND)
        assert not stop.is_alive()
        time.sleep(3 * CONTROLLER_TIMEOUT)
        late = {c: moved_after(device.channels[c], asked) for c in (1, 2)}
        assert late == {1: [], 2: []}, f"a keepalive drove a wheel while the stop waited: {late}"
        assert not base.is_moving()
    finally:
        if stop.is_alive() or held.acquire(blocking=False):
            held.release()
        stop.join(BOUND)
        with contextlib.suppress(HardwareError):
            base.close()
        for motor in (left, right):
            with contextlib.suppress(HardwareError):
                motor.close()
