"""SmcMotor against a fake SMC on a pty: safe start, controller errors, timeouts, unplug."""

from __future__ import annotations

import logging
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.drivers.rigs import _settled
from tether.drivers.pololu_smc import SmcMotor
from tether.drivers.serial_link import SerialLink
from tether.errors import HardwareError
from tether.fakes.pololu_smc import FakeSmc
from tether.protocols import pololu_smc as proto
from tether.session import SessionManager, safety_monitor, to_context

BOUND = 0.5  # generous: the targets are a few ms, and a loaded 2-core CI box must stay green


@dataclass
class Smc:
    """A fake SMC, the link to it and the motor under test."""

    device: FakeSmc
    link: SerialLink
    motor: SmcMotor

    def duty(self) -> float:
        _settled(self.link, self.device)
        return self.device.channel.duty

    def count(self, code: int) -> int:
        """How many valid `code` commands the device has executed."""
        _settled(self.link, self.device)
        return sum(1 for command in self.device.executed if command.code == code)


@pytest.fixture
def make_smc() -> Iterator[Callable[..., Smc]]:
    built: list[Smc] = []

    def build(device: FakeSmc | None = None, **options: Any) -> Smc:
        device = device or FakeSmc()
        link = SerialLink(device.path, 9600)
        try:
            motor = SmcMotor("left", link=link, **options)
        except BaseException:
            link.close()
            device.close()
            raise
        built.append(Smc(device, link, motor))
        return built[-1]

    yield build
    for smc in built:
        smc.motor.close()
        smc.link.close()
        smc.device.close()


def wait_until(condition: Callable[[], bool], timeout: float = 3.0) -> None:
    until = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > until:
            raise AssertionError("condition not met in time")
        time.sleep(0.002)


def test_the_fake_in_safe_start_ignores_drive_commands_until_exit_safe_start() -> None:
    device = FakeSmc(pty=False)
    device.feed(proto.drive(1.0))
    assert device.channel.duty == 0.0
    assert device.errors == proto.SAFE_START_VIOLATION
    device.feed(proto.exit_safe_start() + proto.drive(-0.5))
    assert device.channel.duty == -0.5


def test_start_up_leaves_safe_start_armed_and_the_first_drive_exits_it_exactly_once(
    make_smc: Callable[..., Smc],
) -> None:
    smc = make_smc(controller_timeout=0.06)
    assert smc.count(proto.EXIT_SAFE_START) == 0
    assert smc.device.executed[-1].code == proto.STOP_MOTOR
    smc.motor.set_power(0.5)
    smc.motor.set_power(-0.25)
    wait_until(lambda: smc.count(proto.MOTOR_REVERSE) >= 3)  # keepalives, every 20 ms
    assert smc.duty() == -0.25
    assert smc.count(proto.EXIT_SAFE_START) == 1


def test_a_stop_rearms_safe_start_so_only_the_next_drive_of_the_driver_moves_it(
    make_smc: Callable[..., Smc],
) -> None:
    smc = make_smc()
    smc.motor.set_power(0.5)
    smc.motor.stop()
    assert smc.duty() == 0.0
    smc.link.write(proto.drive(1.0), "a stray frame")  # e.g. another program on the port
    assert smc.duty() == 0.0, "safe start holds the stopped motor"
    smc.motor.set_power(-0.3)
    assert smc.duty() == pytest.approx(-0.3, abs=1 / 3200)
    assert smc.count(proto.EXIT_SAFE_START) == 2, "one per drive after a stop"


def test_a_controller_error_is_surfaced_and_safe_start_is_never_cleared_by_itself(
    make_smc: Callable[..., Smc],
) -> None:
    smc = make_smc()
    smc.motor.set_power(0.5)
    exits = smc.count(proto.EXIT_SAFE_START)
    smc.device.set_error(proto.LOW_VIN)
    with pytest.raises(HardwareError) as error:
        smc.motor.set_power(0.6)
    message = str(error.value)
    for part in (smc.device.path, "'left'", "drive forward", "low VIN", "resume()"):
        assert part in message
    assert smc.motor.is_powered() == (False, 0.0)
    smc.device.clear_error(proto.LOW_VIN)
    with pytest.raises(HardwareError, match="not driving until resume"):
        smc.motor.set_power(0.6)
    assert smc.duty() == 0.0
    assert smc.count(proto.EXIT_SAFE_START) == exits, "0x83 was not resent"
    smc.motor.resume()
    smc.motor.set_power(0.6)
    assert smc.duty() == pytest.approx(0.6, abs=1 / 3200)
    assert smc.count(proto.EXIT_SAFE_START) == exits + 1


def test_the_keepalive_notices_a_controller_error_stops_and_does_not_clear_it(
    make_smc: Callable[..., Smc], caplog: pytest.LogCaptureFixture
) -> None:
    smc = make_smc(controller_timeout=0.06)
    smc.motor.set_power(-0.5)
    exits = smc.count(proto.EXIT_SAFE_START)
    with caplog.at_level(logging.WARNING, logger="tether.drivers"):
        smc.device.set_error(proto.LOW_VIN)
        wait_until(lambda: not smc.motor.is_moving())
        smc.device.clear_error(proto.LOW_VIN)
        time.sleep(0.1)
    assert "low VIN" in caplog.text
    assert smc.duty() == 0.0
    assert smc.device.executed[-1].code == proto.STOP_MOTOR
    assert smc.count(proto.EXIT_SAFE_START) == exits


def test_an_idle_command_timeout_is_reported_but_does_not_block_the_next_drive(
    make_smc: Callable[..., Smc],
) -> None:
    smc = make_smc(FakeSmc(command_timeout=0.05), controller_timeout=0.05)
    smc.motor.set_power(0.4)
    time.sleep(0.15)
    assert smc.motor.command_timeout_status() is False, "the keepalive kept it alive"
    smc.motor.stop()
    time.sleep(0.15)  # stopped: no keepalive, so the controller flags the idle line
    assert smc.motor.command_timeout_status() is True
    smc.motor.set_power(0.4)
    assert smc.duty() == pytest.approx(0.4, abs=1 / 3200)



def test_when_the_port_comes_back_after_a_controller_timeout_the_keepalive_does_not_restart(
    make_smc: Callable[..., Smc], caplog: pytest.LogCaptureFixture
) -> None:
    smc = make_smc(FakeSmc(command_timeout=0.1), controller_timeout=0.1)
    smc.motor.set_power(0.5)
    exits = smc.count(proto.EXIT_SAFE_START)
    smc.device.unplug()
    time.sleep(0.2)
    smc.device.check_timeout()  # the device's own clock runs on while the cable is out
    assert smc.device.channel.duty == 0.0
    with caplog.at_level(logging.WARNING, logger="tether.drivers"):
        smc.device.replug()
        wait_until(lambda: not smc.motor.is_moving())
        time.sleep(0.1)
    assert "command timeout" in caplog.text
    assert smc.duty() == 0.0
    assert smc.count(proto.EXIT_SAFE_START) == exits, "no 0x83 after the port came back"

CHILD = textwrap.dedent(
    """
    import sys, time
    from tether.drivers.pololu_smc import SmcMotor

    motor = SmcMotor("left", link=sys.argv[1], controller_timeout=0.4)
    motor.set_power(0.5)
    print("driving", flush=True)
    time.sleep(30)
    """
)


def test_when_the_daemon_dies_the_controllers_stored_timeout_stops_the_motor() -> None:
    device = FakeSmc(command_timeout=0.4)
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, device.path], stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "driving"
        time.sleep(0.8)  # twice the timeout: the keepalive holds it
        assert device.channel.duty == 0.5
        child.send_signal(signal.SIGKILL)
        killed = time.monotonic()
        wait_until(lambda: device.channel.duty == 0.0)
        stopped = device.channel.history[-1].time
        assert stopped - killed < 0.4 + BOUND
        assert device.errors & proto.COMMAND_TIMEOUT
        assert device.timeouts == 1
    finally:
        child.kill()
        child.wait(5)
        device.close()


def test_unplug_mid_write_raises_naming_the_device_and_the_stop_is_owed(
    make_smc: Callable[..., Smc], caplog: pytest.LogCaptureFixture
) -> None:
    smc = make_smc()
    smc.device.unplug_after(1)  # half of the error-status request that precedes a drive
    with pytest.raises(HardwareError) as error:
        smc.motor.set_power(0.5)
    message = str(error.value)
    for part in (smc.device.path, "'left'", "drive forward"):
        assert part in message
    assert smc.motor.is_powered() == (False, 0.0)
    smc.device.replug()
    with caplog.at_level(logging.WARNING, logger="tether.drivers"):
        smc.motor.set_power(0.25)
    assert "stop delivered after the port came back" in caplog.text
    wait_until(lambda: smc.device.channel.duty == 0.25)  # one lost byte: _settled cannot tell


def test_a_lapsed_session_stops_the_motor_at_the_controller(
    make_smc: Callable[..., Smc],
) -> None:
    smc = make_smc()
    with SessionManager(heartbeat_window=0.2) as manager:
        session = manager.start()
        with to_context(session):
            safety_monitor(smc.motor)
            smc.motor.set_power(0.7)
        for _ in range(4):
            time.sleep(0.05)
            session.heartbeat()
        assert smc.duty() == pytest.approx(0.7, abs=1 / 3200)
        deadline = session.deadline
        wait_until(lambda: smc.device.channel.duty == 0.0)
        stopped = smc.device.channel.history[-1].time
        assert 0 <= stopped - deadline < BOUND
        assert not smc.motor.is_moving()


def test_crc_mode_drives_and_a_mismatch_fails_at_start_up(make_smc: Callable[..., Smc]) -> None:
    smc = make_smc(FakeSmc(crc=True), crc=True)
    smc.motor.set_power(-1.0)
    assert smc.duty() == -1.0
    assert smc.device.parser.rejected == 0
    expected = r"'left' read error status at start-up: expected 2 reply bytes"
    with pytest.raises(HardwareError, match=expected):
        make_smc(FakeSmc(crc=True))


def test_autobaud_byte_comes_first_and_the_firmware_version_is_read(
    make_smc: Callable[..., Smc],
) -> None:
    smc = make_smc(autobaud=True)
    assert smc.device.received[0] == proto.AUTOBAUD
    assert smc.motor.firmware_version() == proto.FirmwareVersion(0x98, major=1, minor=0)
