"""Hardware and driver faults under a live daemon: a serial port unplugged mid-write, an I2C chip
that NACKs, a driver whose stop() raises or blocks, and a resource removed by a config reload.

The daemon runs in-process on the simulated hardware of each row, which runs in a process of its
own (tether.sim: pty serial controllers, a fake I2C bus with register-level PCA9685s, GPIO on a
fake pigpiod) with two bases; the faulty client drives
'base', a healthy tether.client process drives 'base2' (or the lone motor 'aux') throughout, in
a 2 s window (rig.HEALTHY), and must never be stopped. Measured: fault -> duty 0 at the
device, per monitored motor.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.faults.conftest import MakeDaemon
from tests.faults.rig import (
    AT_ONCE,
    CLIENT,
    HEALTHY,
    WINDOW,
    Process,
    Processes,
    arrivals,
    check_delay,
    dropped_since,
    record,
    stop_delay,
    two_bases,
    wait_for,
    worst_gap,
)
from tether.client import connect_async
from tether.drivers.sabertooth import SabertoothMotor
from tether.errors import HardwareError
from tether.fakes import FakeMotor
from tether.fakes.faulty_stop import FaultyStop
from tether.fakes.sabertooth import FakeSabertooth
from tether.server.background import BackgroundDaemon
from tether.session import SessionManager, StopEvent, StopOutcome
from tether.sim.client import SimOutput

SERIAL_STEP = 1 / 127  # a Sabertooth's duty resolution


def outputs(daemon: BackgroundDaemon, *names: str) -> list[SimOutput]:
    return [daemon.sim.outputs[name] for name in names]


def at(daemon: BackgroundDaemon, power: float, *names: str) -> Callable[[], bool]:
    return lambda: all(abs(c.duty - power) <= SERIAL_STEP for c in outputs(daemon, *names))


def stops_of(daemon: BackgroundDaemon, resource: str) -> list[StopEvent]:
    sessions = daemon.daemon.api.sessions  # type: ignore[union-attr]
    return [e for e in sessions.recent_stops() if e.resource == resource]


def healthy(daemon: BackgroundDaemon, processes: Processes, *target: str) -> float:
    """A tether.client process commanding `target` (default base2) at 10 Hz; when it drives."""
    options = list(target) or ["--base", "base2"]
    processes.client(daemon.address, "tether", *options, "--power", "0.3", *HEALTHY)
    names = ("aux",) if "aux" in options else ("left2", "right2")
    assert wait_for(at(daemon, 0.3, *names), 10) is not None
    return time.monotonic()


def untouched(daemon: BackgroundDaemon, since: float, *names: str) -> None:
    """The healthy client's outputs never dropped to 0 since `since` and still run at 0.3."""
    names = names or ("left2", "right2")
    sessions = daemon.daemon.api.sessions  # type: ignore[union-attr]
    for channel in outputs(daemon, *names):
        drops = [round(t - since, 3) for t in dropped_since(channel, since)]
        assert drops == [], (f"healthy {names} stopped at +{drops} s; stops: "
                             f"{[e.describe() for e in sessions.recent_stops()]}")
    assert at(daemon, 0.3, *names)()


def serves(daemon: BackgroundDaemon, timeout: float = 2.0) -> bool:
    """A new connection gets ResourceNames within `timeout` (False if the daemon is stuck)."""

    async def probe() -> bool:
        client = await connect_async(daemon.address)
        try:
            return ("base", "base") in await client.resource_names()
        finally:
            client.close()

    try:
        return asyncio.run(asyncio.wait_for(probe(), timeout))
    except TimeoutError:
        return False


def drive_and_end(daemon: BackgroundDaemon, processes: Processes, *names: str) -> None:
    """A new client drives 'base' again, and its graceful end stops it at once."""
    fresh = processes.client(daemon.address, "tether", "--power", "0.4", "--rate", "10")
    assert wait_for(at(daemon, 0.4, *names), 10) is not None, "the daemon drives again"
    ending = fresh.end()
    delay = stop_delay(outputs(daemon, *names), ending, 5)
    assert delay is not None and delay < AT_ONCE


# -- serial port unplugged mid-write --------------------------------------------------------------


def serial_rover() -> dict[str, Any]:
    """'left' alone on port sa, 'right' alone on sb, 'base2' on sc (Sabertooth 128 each)."""
    def saber(port: str, channel: int) -> dict[str, Any]:
        return {"driver": "sabertooth", "port": port, "address": 128, "channel": channel}

    ports = [{"name": n, "port": f"/dev/ttyFAULT{n}"} for n in ("sa", "sb", "sc")]
    motors = {"left": saber("sa", 1), "right": saber("sb", 1), "left2": saber("sc", 1),
              "right2": saber("sc", 2)}
    return two_bases(motors, serial=ports)


def test_serial_port_unplugged_mid_write_stops_the_rest_of_the_base(
    make_daemon: MakeDaemon, processes: Processes
) -> None:
    """The cable to the left controller goes mid-packet. The next write fails; the base stops
    its other wheel at once and the client gets UNAVAILABLE; the right controller, on its own
    port, and 'base2' are untouched. (The unplugged controller itself can only stop by its own
    serial timeout: see the next test.) After replugging, a new session drives both wheels."""
    rover = make_daemon(serial_rover())
    since = healthy(rover, processes)
    client = processes.client(rover.address, "raw", "--power", "0.5", "--on-error", "idle")
    assert wait_for(at(rover, 0.5, "left", "right"), 10) is not None
    time.sleep(0.2)
    device = rover.sim.ports["sa"]
    device.unplug_after(2)  # the next write (a command or a keepalive) is cut after 2 bytes
    unplugged = wait_for(lambda: not device.plugged, 5)
    assert unplugged is not None
    delay = stop_delay(outputs(rover, "right"), unplugged, 5)
    # `unplugged` is when this test saw the port gone, one inspection round trip to the sim
    # process after it went; the wheel may stop inside that round trip (seen: -0.7 ms).
    check_delay("serial port unplugged mid-write: the base's other wheel", delay, AT_ONCE,
                low=-0.02)
    assert "UNAVAILABLE" in client.expect("error", 5)
    untouched(rover, since)
    device.replug()
    drive_and_end(rover, processes, "left", "right")
    untouched(rover, since)


def test_unplugged_controller_stops_by_its_own_timeout() -> None:
    """The other half of the unplug row: nothing can reach the unplugged controller, so only
    its own serial timeout (armed by tether at 0.6 s for the default window) can stop it."""
    with FakeSabertooth(128) as device:
        motor = SabertoothMotor("left", link=device.path, address=128, controller_timeout=0.6)
        try:
            motor.set_power(0.5)
            assert wait_for(lambda: device.channels[1].duty > 0.45, 5) is not None
            time.sleep(0.1)
            device.unplug_after(2)
            unplugged = wait_for(lambda: not device.plugged, 5)  # the keepalive write is cut
            assert unplugged is not None
            bound = 0.6 + 0.3
            delay = stop_delay([device.channels[1]], unplugged, bound + 0.1)
            check_delay("serial port unplugged: the controller's own timeout", delay, bound)
        finally:
            with contextlib.suppress(HardwareError):  # its stop can't be delivered: unplugged
                motor.close()


# -- I2C NACK -------------------------------------------------------------------------------------


def hat_rover() -> dict[str, Any]:
    """'left' on the HAT at 0x60, 'right' on 0x61, 'base2' on 0x62 (Adafruit layout)."""
    def hat(chip: str, motor: str) -> dict[str, Any]:
        return {"driver": "hat", "chip": chip, "hat": "adafruit", "motor": motor}

    chips = [{"name": "h1", "address": 0x60}, {"name": "h2", "address": 0x61},
             {"name": "h3", "address": 0x62}]
    motors = {"left": hat("h1", "M1"), "right": hat("h2", "M1"), "left2": hat("h3", "M1"),
              "right2": hat("h3", "M2")}
    return two_bases(motors, pca9685=chips)


def test_i2c_nack_stops_the_rest_of_the_base_and_the_chip_once_it_answers(
    make_daemon: MakeDaemon, processes: Processes
) -> None:
    """The left motor's PCA9685 stops answering (NACK, EREMOTEIO). The next command fails: the
    base stops its right wheel (another chip) at once. The NACKing chip keeps its last output
    (so does a real PCA9685: no write reaches it). The bus recovers 0.2 s later; the client,
    which stopped commanding after its error, expires at the window and that stop reaches the
    chip. 'base2' (third chip) is untouched."""
    rover = make_daemon(hat_rover())
    bus = rover.sim.buses["1"]
    since = healthy(rover, processes)
    client = processes.client(rover.address, "raw", "--power", "0.5", "--on-error", "idle")
    assert wait_for(at(rover, 0.5, "left", "right"), 10) is not None
    time.sleep(0.2)
    nack = time.monotonic()
    bus.start_nacking(0x60)
    delay = stop_delay(outputs(rover, "right"), nack, 5)
    check_delay("I2C NACK: the base's other wheel", delay, AT_ONCE)
    assert "UNAVAILABLE" in client.expect("error", 5)
    assert outputs(rover, "left")[0].duty == pytest.approx(0.5, abs=1 / 4096), "held while NACKing"
    time.sleep(max(0.0, nack + 0.2 - time.monotonic()))
    bus.stop_nacking(0x60)
    delay = stop_delay(outputs(rover, "left", "right"), nack, 5)
    check_delay("I2C NACK for 0.2 s: every wheel of the base", delay, WINDOW + 0.35)
    untouched(rover, since)
    drive_and_end(rover, processes, "left", "right")
    untouched(rover, since)


def test_i2c_stop_that_failed_during_a_nack_is_delivered_when_the_bus_recovers(
    make_daemon: MakeDaemon, processes: Processes
) -> None:
    rover = make_daemon(hat_rover())
    bus = rover.sim.buses["1"]
    processes.client(rover.address, "raw", "--power", "0.5", "--on-error", "idle")
    assert wait_for(at(rover, 0.5, "left", "right"), 10) is not None
    bus.start_nacking(0x60)  # the next command fails; the client goes quiet; its session expires
    assert wait_for(lambda: any(e.outcome is StopOutcome.FAILED
                                for e in stops_of(rover, "base")), 5) is not None
    recovered = time.monotonic()
    bus.stop_nacking(0x60)
    bound = 0.5
    delay = stop_delay(outputs(rover, "left"), recovered, bound + 0.2)
    check_delay("I2C NACK through the stop: left stopped after the bus recovers", delay, bound)


# -- a driver whose stop() raises or blocks ------------------------------------------------------


def test_stop_that_raises_once_is_retried(
    make_daemon: MakeDaemon, processes: Processes, monkeypatch: pytest.MonkeyPatch
) -> None:
    rover = make_daemon(two_bases())
    since = healthy(rover, processes)
    fault = FaultyStop(rover.robot.motors["left"], raises=1)
    monkeypatch.setattr(rover.robot.motors["left"], "stop", fault)
    client = processes.client(rover.address, "raw", "--power", "0.6")
    assert wait_for(at(rover, 0.6, "left", "right"), 10) is not None
    killed = client.signal(signal.SIGKILL)
    delay = stop_delay(outputs(rover, "left", "right"), killed, 5)
    check_delay("stop() raises once: retried, every wheel", delay, AT_ONCE)
    assert wait_for(lambda: bool(stops_of(rover, "base")), 2) is not None
    (event,) = stops_of(rover, "base")
    assert (event.outcome, event.attempts, fault.calls) == (StopOutcome.STOPPED, 2, 2)
    untouched(rover, since)
    drive_and_end(rover, processes, "left", "right")


def test_stop_that_always_raises_is_reported_and_stops_the_rest(
    make_daemon: MakeDaemon, processes: Processes, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The left driver can't stop (its stop() raises every time): the base still stops its
    right wheel at once, the session layer retries 3 times and reports FAILED. The left wheel
    keeps the duty its driver couldn't change: only hardware can help there."""
    rover = make_daemon(two_bases())
    since = healthy(rover, processes)
    fault = FaultyStop(rover.robot.motors["left"], raises=-1)
    monkeypatch.setattr(rover.robot.motors["left"], "stop", fault)
    client = processes.client(rover.address, "raw", "--power", "0.6")
    assert wait_for(at(rover, 0.6, "left", "right"), 10) is not None
    killed = client.signal(signal.SIGKILL)
    delay = stop_delay(outputs(rover, "right"), killed, 5)
    check_delay("stop() always raises: the other wheel", delay, AT_ONCE)
    reported = wait_for(lambda: bool(stops_of(rover, "base")), 2)
    assert reported is not None
    check_delay("stop() always raises: reported failed", reported - killed, AT_ONCE)
    (event,) = stops_of(rover, "base")
    assert (event.outcome, event.attempts) == (StopOutcome.FAILED, 3)
    assert "injected stop failure" in (event.error or "")
    assert outputs(rover, "left")[0].duty == 0.6
    untouched(rover, since)
    assert serves(rover)


@pytest.fixture
def gate() -> Iterator[threading.Event]:
    """Released at teardown at the latest, so a blocked stop never outlives the test."""
    event = threading.Event()
    yield event
    event.set()


def test_stop_that_blocks_is_reported_and_delays_no_other_stop(
    make_daemon: MakeDaemon, processes: Processes, monkeypatch: pytest.MonkeyPatch,
    gate: threading.Event,
) -> None:
    """The left driver's stop() blocks. Two clients die at once: the other one's 'base2' stops
    at once all the same, the blocked stop is reported as a timeout after stop_timeout (1 s),
    and a third session (motor 'aux', heartbeating at 10 Hz) never notices."""
    rover = make_daemon(two_bases(aux=True))
    since = healthy(rover, processes, "--motor", "aux")
    beat = "/viam.component.motor.v1.MotorService/SetPower"  # each aux command is a heartbeat
    beats = arrivals(rover, beat)
    monkeypatch.setattr(rover.robot.motors["left"], "stop",
                        FaultyStop(rover.robot.motors["left"], gate=gate))
    first = processes.client(rover.address, "raw", "--power", "0.6")
    second = processes.client(rover.address, "raw", "--base", "base2", "--power", "0.5")
    assert wait_for(at(rover, 0.6, "left", "right"), 10) is not None
    assert wait_for(at(rover, 0.5, "left2", "right2"), 10) is not None
    killed = first.signal(signal.SIGKILL)
    second.signal(signal.SIGKILL)
    delay = stop_delay(outputs(rover, "left2", "right2"), killed, 5)
    check_delay("stop() blocks: another session's base", delay, AT_ONCE)
    timeout = 1.0  # [server] stop_timeout, default
    reported = wait_for(lambda: any(e.outcome is StopOutcome.TIMEOUT
                                    for e in stops_of(rover, "base")), timeout + 2)
    check_delay("stop() blocks: reported as a timeout", None if reported is None
                else reported - killed, timeout + 0.5, low=timeout - 0.05)
    untouched(rover, since, "aux")
    gap = worst_gap(beats[beat], killed, time.monotonic())
    check_delay("stop() blocks: worst heartbeat gap of another session meanwhile", gap, WINDOW)
    assert serves(rover)
    gate.set()
    assert stop_delay(outputs(rover, "left", "right"), time.monotonic(), 5) is not None


def test_stop_that_blocks_keeps_no_other_wheel_of_the_base_driving(
    make_daemon: MakeDaemon, processes: Processes, monkeypatch: pytest.MonkeyPatch,
    gate: threading.Event,
) -> None:
    rover = make_daemon(two_bases())
    monkeypatch.setattr(rover.robot.motors["left"], "stop",
                        FaultyStop(rover.robot.motors["left"], gate=gate))
    client = processes.client(rover.address, "raw", "--power", "0.6")
    assert wait_for(at(rover, 0.6, "left", "right"), 10) is not None
    killed = client.signal(signal.SIGKILL)
    delay = stop_delay(outputs(rover, "right"), killed, AT_ONCE + 0.5)
    check_delay("stop() blocks: the base's other wheel", delay, AT_ONCE)


def test_command_to_a_base_whose_stop_blocks_does_not_freeze_the_daemon(
    make_daemon: MakeDaemon, processes: Processes, monkeypatch: pytest.MonkeyPatch,
    gate: threading.Event,
) -> None:
    """A client dies, its base's stop blocks in the left driver; another client then commands
    that base. The daemon must go on serving everyone else (a new connection's ResourceNames
    within 1 s; and, with that, every other session's heartbeats)."""
    rover = make_daemon(two_bases())
    monkeypatch.setattr(rover.robot.motors["left"], "stop",
                        FaultyStop(rover.robot.motors["left"], gate=gate))
    client = processes.client(rover.address, "raw", "--power", "0.6")
    assert wait_for(at(rover, 0.6, "left", "right"), 10) is not None
    client.signal(signal.SIGKILL)
    left = rover.robot.motors["left"]
    assert wait_for(lambda: FaultyStop.calls_of(left) > 0, 5) is not None  # blocked now
    processes.add(Process([sys.executable, str(CLIENT), rover.address, "raw", "--power", "0.2"]))
    time.sleep(0.2)  # its StartSession and SetPower reach the daemon
    answered = serves(rover, 1.0)
    record("stop() blocks: a command to that base leaves the daemon serving", None, None,
           answered)
    assert answered, "a new connection got no ResourceNames within 1 s: the loop is frozen"


# -- a resource removed by a config reload --------------------------------------------------------


def test_resource_removed_or_replaced_by_a_reload_while_owned(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """tether has no reload API yet, so this runs at the session layer, as the daemon uses it:
    a SessionManager whose resolve= looks names up in a dict, which a "reload" edits while a
    session owns the names. Session A owns 'base' (removed by the reload, which stops and
    releases it) and 'aux' (replaced by a new object that A then drives); B owns 'other'. When A
    expires: 'aux' -- the object now behind the name -- stops at A's deadline, 'base' is
    reported "gone" (nothing to stop, nothing raises), and B's 'other' keeps running."""
    caplog.set_level(logging.INFO, logger="tether.session")
    resources: dict[str, Any] = {n: FakeMotor(n) for n in ("base", "aux", "other")}
    with SessionManager(resources.get, heartbeat_window=WINDOW) as manager:
        a = manager.start(owner="a")
        b = manager.start(owner="b", heartbeat_window=30)
        for session, name in ((a, "base"), (a, "aux"), (b, "other")):
            manager.associate(session.id, name)
            resources[name].set_power(0.5)
        removed = resources.pop("base")  # the reload: 'base' left the config ...
        removed.close()
        old_aux, resources["aux"] = resources["aux"], FakeMotor("aux")  # ... 'aux' was rebuilt
        old_aux.close()
        manager.associate(a.id, "aux")  # A's next command reaches the new 'aux'
        resources["aux"].set_power(0.4)
        deadline = a.deadline
        assert wait_for(lambda: len(manager.recent_stops()) >= 2, WINDOW + 2) is not None
        events = {e.resource: e for e in manager.recent_stops()}
        assert events["base"].outcome is StopOutcome.GONE and events["base"].entered is None
        assert events["aux"].outcome is StopOutcome.STOPPED
        stopped = resources["aux"].stopped_at()
        check_delay("resource replaced by a reload: the new object stopped at the deadline",
                    None if stopped is None else stopped - deadline, 0.1)
        assert resources["other"].power == 0.5 and "other" not in events
        assert removed.stop_calls == old_aux.stop_calls == 0, "expiry touched no old object"
        assert any("'base' gone" in r.getMessage() for r in caplog.records)
