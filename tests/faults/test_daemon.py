"""Daemon faults: SIGTERM (an orderly stop) and SIGKILL (nothing in software runs any more).

`tether serve` runs as a real process. With --sim its fake hardware runs in a process of its
own (tether.sim) that outlives the daemon, as real hardware does; the test reads the wheels
there. For SIGKILL of a daemon on serial controllers, a test runs the daemon *without* --sim
against pty controllers owned by this test (FakeSabertooth, FakeRoboClaw), and restarts it on
them. SIGKILL of a --sim daemon on GPIO, a HAT and a serial controller (the hazard the guardian
is for) is tests/faults/test_daemon_death.py.
"""

from __future__ import annotations

import signal
import sys
import time
from pathlib import Path

import pytest

from tests.faults.rig import (
    AT_ONCE,
    HostedDaemon,
    Process,
    Processes,
    check_delay,
    free_port,
    stop_delay,
    two_bases,
    wait_for,
)
from tether.fakes.roboclaw import FakeRoboClaw
from tether.fakes.sabertooth import FakeSabertooth
from tether.robot.toml_text import to_toml

WHEELS = ("left", "right", "left2", "right2")


def hosted(tmp_path: Path, processes: Processes, port: int) -> HostedDaemon:
    folder = tmp_path / f"daemon-{len(processes.started)}"
    folder.mkdir()
    daemon = HostedDaemon(folder, two_bases(), f"127.0.0.1:{port}")
    processes.add(daemon)
    return daemon


def drive_both(daemon: HostedDaemon, processes: Processes) -> None:
    processes.client(daemon.address, "raw", "--power", "0.6", "--on-error", "idle")
    processes.client(daemon.address, "tether", "--base", "base2", "--power", "0.3", "--rate",
                     "10", "--on-error", "idle")
    driven = {"left": 0.6, "right": 0.6, "left2": 0.3, "right2": 0.3}
    assert wait_for(lambda: all(daemon.timeline.duty(n) == pytest.approx(d)
                                for n, d in driven.items()), 10, 0.005) is not None


def test_daemon_sigterm_stops_every_motor_before_it_exits(
    tmp_path: Path, processes: Processes
) -> None:
    """SIGTERM: new commands are refused, every actuator stops, pins are released, exit 0.
    Both bases stop (that is the point: nothing is spared). A daemon started again on the same
    port serves a new session."""
    port = free_port()
    daemon = hosted(tmp_path, processes, port)
    drive_both(daemon, processes)
    time.sleep(0.2)
    term = daemon.signal(signal.SIGTERM)
    assert daemon.process.wait(20) == 0, daemon.errors[-10:]
    exited = time.monotonic()
    stopped = daemon.timeline.zero_since(WHEELS)
    check_delay("daemon SIGTERM: every motor", None if stopped is None else stopped - term,
                AT_ONCE)
    assert daemon.expect("tether: duties at exit", 5) == (
        "tether: duties at exit: left=0, right=0, left2=0, right2=0")
    assert exited - term < 5
    again = hosted(tmp_path, processes, port)
    client = processes.client(again.address, "tether", "--power", "0.4", "--rate", "10")
    assert wait_for(lambda: again.timeline.duty("left") == 0.4, 10, 0.005) is not None
    ending = client.end()
    assert wait_for(lambda: again.timeline.zero_since(("left", "right")) is not None, 5, 0.005)
    stopped_again = again.timeline.zero_since(("left", "right"))
    assert stopped_again is not None and stopped_again - ending < AT_ONCE


def serial_rover(saber: FakeSabertooth, claw: FakeRoboClaw) -> str:
    """'base' on a Sabertooth (channels 1, 2), 'base2' on a RoboClaw: real drivers, on ptys."""
    def motor(driver: str, port: str, address: int, channel: int) -> dict[str, object]:
        return {"driver": driver, "port": port, "address": address, "channel": channel}

    motors = {
        "left": motor("sabertooth", "saber", 128, 1), "right": motor("sabertooth", "saber", 128, 2),
        "left2": motor("roboclaw", "claw", 0x80, 1), "right2": motor("roboclaw", "claw", 0x80, 2),
    }
    config = two_bases(
        motors,
        serial=[{"name": "saber", "port": saber.path, "baudrate": 9600},
                {"name": "claw", "port": claw.path, "baudrate": 38400}],
    )
    return to_toml(config)


def serve_serial(processes: Processes, argv: list[str]) -> Process:
    """`tether serve` on the pty controllers, started again (at most twice) if its start-up
    fails: arming a controller writes with pyserial's 0.1 s write timeout, which pyserial also
    raises after a write that succeeded when the process was descheduled longer than that, as
    happens on this loaded machine (the daemon then exits 2 before serving)."""
    for attempt in range(3):
        daemon = processes.add(Process(argv))
        try:
            daemon.expect("tether: serving")
            return daemon
        except AssertionError:
            if daemon.process.poll() is None or attempt == 2:
                raise
            daemon.close()
    raise AssertionError("unreachable")


def test_daemon_sigkill_serial_controllers_stop_by_their_own_timeout(
    tmp_path: Path, processes: Processes
) -> None:
    """SIGKILL: no signal handler, no atexit, no stop. The keepalive resends die with the
    daemon, and each controller's serial timeout (armed by tether at window + 0.1 s = 0.6 s)
    stops its motors: between 0.6 s minus one keepalive period (0.2 s) and 0.6 s after the
    kill. A daemon restarted on the same ports and address re-arms them and drives again."""
    timeout = 0.6
    with FakeSabertooth(128) as saber, FakeRoboClaw(0x80) as claw:
        config = tmp_path / "serial.toml"
        config.write_text(serial_rover(saber, claw))
        port = free_port()
        argv = [sys.executable, "-m", "tether.cli", "serve", str(config), "--listen",
                f"127.0.0.1:{port}", "--no-guardian"]  # the guardian's rows: test_guardian.py
        daemon = serve_serial(processes, argv)
        assert saber.timeout == claw.timeout == timeout, "armed at start-up"
        channels = [saber.channels[1], saber.channels[2], claw.channels[1], claw.channels[2]]
        address = f"127.0.0.1:{port}"
        # The RoboClaw driver wants each ACK within 50 ms: on this loaded machine the fake (in
        # this process) sometimes answers later, a command fails and the base stops. The clients
        # try their first command again and keep commanding after an error, and the kill comes
        # only once every wheel turns.
        retry = ("--start-tries", "5", "--on-error", "continue")
        processes.client(address, "raw", "--power", "0.6", *retry)
        processes.client(address, "raw", "--base", "base2", "--power", "0.5", *retry)
        time.sleep(0.5)
        assert wait_for(lambda: all(c.duty > 0.45 for c in channels), 10) is not None
        killed = daemon.signal(signal.SIGKILL)
        delay = stop_delay(channels, killed, 5)
        check_delay("daemon SIGKILL: serial controllers' own timeout", delay, timeout + 0.5)
        assert saber.timeouts >= 1 and claw.timeouts >= 1, "stopped by their own timeout"
        daemon.close()
        again = serve_serial(processes, argv)
        fresh = processes.client(address, "tether", "--power", "0.4", "--rate", "10",
                                 "--start-tries", "5")
        assert wait_for(lambda: saber.channels[1].duty > 0.35, 10) is not None
        ending = fresh.end()
        stopped = stop_delay(channels[:2], ending, 5)
        assert stopped is not None and stopped < AT_ONCE
        again.close()
