"""The fake pigpiod keeps PWM running when its clients go, as pigpiod does; and its shell entry."""

from __future__ import annotations

import os
import queue
import re
import signal
import socket
import struct
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pigpio
import pytest
from gpiozero.pins.pigpio import PiGPIOFactory

from tether.drivers.gpio import GpioMotor
from tether.errors import ConfigError
from tether.fakes.hbridge import L298N
from tether.fakes.pigpiod import FakePigpiod
from tether.fakes.pigpiod import protocol as pp
from tether.fakes.pigpiod.motors import wiring_from_file, wiring_from_option

#: A client process: a GpioMotor on PiGPIOFactory at 0.6 power, watching GPIO 17, then waiting.
CLIENT = textwrap.dedent("""
    import sys, time
    import pigpio
    from gpiozero.pins.pigpio import PiGPIOFactory
    from tether.drivers.gpio import GpioMotor
    factory = PiGPIOFactory(host="127.0.0.1", port=int(sys.argv[1]))
    motor = GpioMotor("left", pin_factory=factory, in1=5, in2=6, pwm=12)
    motor.set_power(0.6)
    factory.connection.callback(17, pigpio.EITHER_EDGE)
    print("driving", flush=True)
    time.sleep(60)
""")


@pytest.fixture
def daemon() -> Iterator[FakePigpiod]:
    with FakePigpiod() as fake:
        yield fake


def _in_process_stop(daemon: FakePigpiod, bridge: L298N) -> None:
    factory = PiGPIOFactory(host=daemon.host, port=daemon.port)
    motor = GpioMotor("left", pin_factory=factory, in1=5, in2=6, pwm=12)
    motor.set_power(0.6)
    factory.connection.callback(17, pigpio.EITHER_EDGE)
    assert bridge.duty == pytest.approx(0.6)
    factory.connection.stop()  # pi.stop(): NC on the notification socket, both sockets closed


def _socket_closed_without_nc(daemon: FakePigpiod, bridge: L298N) -> None:
    with socket.create_connection((daemon.host, daemon.port), timeout=5) as sock:
        for cmd, p1, p2 in [(pp.Command.WRITE, 5, 1), (pp.Command.WRITE, 6, 0),
                            (pp.Command.PRS, 12, 10_000), (pp.Command.PWM, 12, 6_000)]:
            sock.sendall(struct.pack("<IIII", cmd, p1, p2, 0))
            assert struct.unpack("<IIIi", sock.recv(16))[3] >= 0
        assert bridge.duty == pytest.approx(0.6)


def _client_process_killed(daemon: FakePigpiod, bridge: L298N) -> None:
    client = subprocess.Popen(
        [sys.executable, "-c", CLIENT, str(daemon.port)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert client.stdout is not None
        assert client.stdout.readline() == "driving\n"
        assert bridge.duty == pytest.approx(0.6)
        assert len(daemon.notifier.open_handles()) == 1
        client.send_signal(signal.SIGKILL)
        assert client.wait(10) == -signal.SIGKILL
    finally:
        client.kill()
        client.wait(10)


@pytest.mark.parametrize(
    "leave", [_in_process_stop, _socket_closed_without_nc, _client_process_killed],
    ids=["pi.stop()", "socket closed without NC", "client process SIGKILLed"],
)
def test_pwm_keeps_running_after_the_client_goes(
    daemon: FakePigpiod, leave: Callable[[FakePigpiod, L298N], None]
) -> None:
    bridge = L298N(daemon.pins, 5, 6, 12)
    leave(daemon, bridge)
    left = len(bridge.history)
    assert daemon.wait_for_clients(0), "the fake saw the client's sockets close"
    time.sleep(1.0)
    assert bridge.duty == pytest.approx(0.6), "the motor still runs 1 s later, as on pigpiod"
    assert daemon.duty(12) == pytest.approx(0.6) and daemon.level(5) == 1
    assert len(bridge.history) == left, "nothing changed at the pins when the client went"
    assert daemon.notifier.open_handles() == [], "only the client's notification handle closed"


def _lines(process: subprocess.Popen[str]) -> queue.Queue[str]:
    """The process's stdout lines, read on a thread so a test can wait with a timeout."""
    lines: queue.Queue[str] = queue.Queue()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line.rstrip("\n"))

    threading.Thread(target=read, daemon=True).start()
    return lines


def _line_matching(lines: queue.Queue[str], pattern: str, timeout: float = 10.0) -> re.Match[str]:
    deadline = time.monotonic() + timeout
    seen = []
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            break
        seen.append(line)
        match = re.fullmatch(pattern, line)
        if match:
            return match
    raise AssertionError(f"no line matched {pattern!r} in {seen}")


def test_shell_entry_prints_its_address_and_the_named_motors_duties(tmp_path: Path) -> None:
    config = tmp_path / "motors.toml"
    config.write_text('[motors.right]\nchip = "drv8833"\nin1 = 20\nin2 = 21\n')
    fake = subprocess.Popen(
        [sys.executable, "-m", "tether.fakes.pigpiod", "--port", "0", "--config", str(config),
         "--motor", "left=l298n:in1=5,in2=6,pwm=12"],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        lines = _lines(fake)
        ready = _line_matching(
            lines, r"fake pigpiod listening on 127\.0\.0\.1:(\d+) \(motors: right DRV8833 in1=20 "
            r"in2=21; left L298N in1=5 in2=6 pwm=12\)",
        )
        factory = PiGPIOFactory(host="127.0.0.1", port=int(ready.group(1)))
        left = GpioMotor("left", pin_factory=factory, in1=5, in2=6, pwm=12)
        right = GpioMotor("right", pin_factory=factory, in1=20, in2=21)
        left.set_power(0.5)
        right.set_power(-0.25)
        _line_matching(lines, r"motor left duty \+0\.5000 tick \d+")
        _line_matching(lines, r"motor right duty -0\.2500 tick \d+")
        factory.close()
        fake.send_signal(signal.SIGTERM)
        assert fake.wait(10) == 0
    finally:
        fake.kill()
        fake.wait(10)


def test_shell_entry_refuses_a_bad_motor_with_exit_2() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "tether.fakes.pigpiod", "--port", "0", "--motor",
         "left=l297:in1=5"], capture_output=True, text=True, timeout=30, check=False,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    assert done.returncode == 2
    assert "chip='l297': expected one of l298n, tb6612, drv8833, phase_enable" in done.stderr


@pytest.mark.parametrize(
    ("option", "message"),
    [
        ("left", r"expected NAME=CHIP:role=pin"),
        ("left=tb6612:in1=5,in2=6", r"motor 'left' pwm=None: expected a BCM GPIO number 0-27"),
        ("left=drv8833:in1=5,in2=6,pwm=12", r"unknown key\(s\) pwm; drv8833 takes"),
        ("left=l298n:in1=5,in2=6,pwm=40", r"pwm='40': expected a BCM GPIO number 0-27"),
        ("left=tb6612:in1=5,in2=6,pwm=12,enable_active_high=maybe",
         r"enable_active_high='maybe': expected true or false"),
    ],
)
def test_bad_motor_options_name_the_value(option: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        wiring_from_option(option)


def test_motor_file_and_option_give_the_same_wiring(tmp_path: Path) -> None:
    path = tmp_path / "motors.toml"
    path.write_text('[motors.left]\nchip = "tb6612"\nin1 = 5\nin2 = 6\npwm = 12\nenable = 25\n'
                    "enable_active_high = false\n")
    option = "left=tb6612:in1=5,in2=6,pwm=12,enable=25,enable_active_high=false"
    assert wiring_from_file(path) == [wiring_from_option(option)]
