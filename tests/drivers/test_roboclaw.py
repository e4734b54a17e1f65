"""RoboClawMotor against a fake RoboClaw on a pty: start-up, faults, reads and the safety nets."""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tether.drivers.roboclaw import RoboClawMotor
from tether.drivers.serial_link import SerialLink
from tether.errors import HardwareError, InvalidCommand, Unsupported
from tether.fakes.roboclaw import FakeRoboClaw
from tether.protocols import roboclaw as proto
from tether.session import SessionManager, safety_monitor, to_context

#: Generous bound for "soon after": the targets are a few ms, a loaded CI box may be slow.
BOUND = 0.5

MotorFactory = Callable[..., RoboClawMotor]


@pytest.fixture
def device() -> Iterator[FakeRoboClaw]:
    fake = FakeRoboClaw(0x80)
    yield fake
    fake.close()


@pytest.fixture
def make_motor(device: FakeRoboClaw) -> Iterator[MotorFactory]:
    """Builds motors on the fake (each on its own link unless one is given) and closes them."""
    links: list[SerialLink] = []
    motors: list[RoboClawMotor] = []

    def build(name: str = "m", link: SerialLink | None = None, **options: Any) -> RoboClawMotor:
        if link is None:
            link = SerialLink(device.path, 38400)
            links.append(link)
        motor = RoboClawMotor(name, link=link, **options)
        motors.append(motor)
        return motor

    yield build
    device.answer, device.ack, device.corrupt_crc = True, proto.ACK, False
    for motor in motors:
        with contextlib.suppress(HardwareError):
            motor.close()
    for link in links:
        link.close()


def wait_until(condition: Callable[[], bool], timeout: float = 3.0) -> None:
    until = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > until:
            raise AssertionError("condition not reached in time")
        time.sleep(0.001)


# -- start-up -----------------------------------------------------------------------------


def test_start_up_arms_the_controllers_serial_timeout(
    device: FakeRoboClaw, make_motor: MotorFactory
) -> None:
    motor = make_motor(controller_timeout=0.3)
    assert device.timeout == 0.3
    assert motor.serial_timeout() == 0.3
    assert device.received.startswith(proto.serial_timeout(0x80, 0.3) + proto.duty(0x80, 1, 0))


def test_a_zero_controller_timeout_turns_the_controllers_timeout_off(
    device: FakeRoboClaw, make_motor: MotorFactory
) -> None:
    device.timeout = 2.0
    make_motor(controller_timeout=0)
    assert device.timeout == 0.0


def test_commands_reach_the_chosen_channel_only(
    device: FakeRoboClaw, make_motor: MotorFactory
) -> None:
    motor = make_motor(address=0x80, channel=2)
    motor.set_power(-0.75)
    assert device.channels[2].duty == pytest.approx(-0.75, abs=1 / 32767)
    assert device.channels[1].duty == 0.0


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"address": 0x88}, r"address=136: expected 0x80-0x87"),
        ({"address": 0x7F}, r"address=127: expected 0x80-0x87"),
        ({"channel": 3}, "channel=3: expected 1 or 2"),
        ({"encoder_counts_per_rev": 0}, "encoder_counts_per_rev=0"),
        ({"controller_timeout": 25.6}, r"controller_timeout=25.6: expected a number in \[0, 25"),
    ],
)
def test_bad_options_are_refused_before_the_port_is_opened(
    options: dict[str, Any], message: str
) -> None:
    link = SerialLink("/nonexistent/tether-roboclaw", 38400)
    with pytest.raises(InvalidCommand, match=message):
        RoboClawMotor("m", link=link, **options)
    assert not link.is_open


# -- the controller's own timeout when tether dies ----------------------------------------


def test_daemon_dies_mid_drive_and_the_controller_stops_both_channels_by_itself(
    device: FakeRoboClaw, make_motor: MotorFactory
) -> None:
    link = SerialLink(device.path, 38400)
    left = make_motor("left", link=link, channel=1, controller_timeout=0.3)
    right = make_motor("right", link=link, channel=2, controller_timeout=0.3)
    left.set_power(0.5)
    right.set_power(-0.5)
    time.sleep(0.4)
    assert device.channels[1].duty != 0 and device.channels[2].duty != 0, "keepalive held it"
    died = time.monotonic()
    link.close()  # the host goes quiet without a stop, as when the process is killed
    wait_until(lambda: device.channels[1].duty == 0 and device.channels[2].duty == 0)
    stopped = max(c.history[-1].time for c in device.channels.values())
    assert device.timeouts == 1
    assert stopped == pytest.approx(device.last_command + 0.3)
    assert stopped - died < 0.3 + BOUND


# -- faults -------------------------------------------------------------------------------


def test_unplug_mid_write_raises_naming_the_device_and_delivers_the_stop_after_replug(
    device: FakeRoboClaw, make_motor: MotorFactory, caplog: pytest.LogCaptureFixture
) -> None:
    motor = make_motor(controller_timeout=5.0)
    motor.set_power(0.5)
    device.unplug_after(2)
    with pytest.raises(HardwareError, match=r"roboclaw 0x80 \('m'\) M1 duty"):
        motor.set_power(0.8)
    assert not device.plugged
    assert device.channels[1].duty == pytest.approx(0.5, abs=1e-4), "the cut packet did nothing"
    assert motor.is_powered() == (False, 0.0)
    time.sleep(2 * proto.INTER_BYTE_GAP)  # a real replug takes far longer than the 10 ms gap
    device.replug()
    with caplog.at_level(logging.WARNING, logger="tether.drivers"):
        assert motor.battery_voltage() == 12.0  # any exchange reopens the port
    assert device.channels[1].duty == 0.0
    assert device.timeouts == 0, "stopped by the owed stop, not by the controller's timeout"
    assert "stop delivered after the port came back" in caplog.text
    motor.set_power(0.2)
    assert device.channels[1].duty == pytest.approx(0.2, abs=1e-4)


def test_missing_ack_raises_and_the_stop_that_follows_still_reaches_the_motor(
    device: FakeRoboClaw, make_motor: MotorFactory
) -> None:
    motor = make_motor()
    device.answer = False  # the controller acts but its replies never arrive (broken RX wire)
    with pytest.raises(
        HardwareError, match=r"roboclaw 0x80 \('m'\) M1 duty: expected 1 reply bytes, got 0"
    ):
        motor.set_power(0.5)
    assert motor.is_powered() == (False, 0.0)
    assert device.channels[1].duty == 0.0
    assert device.channels[1].history[-2].duty == pytest.approx(0.5, abs=1e-4)


def test_wrong_ack_byte_raises_naming_what_came_back(
    device: FakeRoboClaw, make_motor: MotorFactory
) -> None:
    motor = make_motor()
    device.ack = 0x00
    with pytest.raises(
        HardwareError, match=r"roboclaw 0x80 \('m'\) M1 duty: expected ACK 0xFF, got 0x00"
    ):
        motor.set_power(0.5)


@pytest.mark.parametrize(
    ("read", "command"),
    [
        (RoboClawMotor.battery_voltage, "read main battery"),
        (RoboClawMotor.encoder, "read M1 encoder"),
        (RoboClawMotor.version, "read version"),
        (RoboClawMotor.serial_timeout, "read serial timeout"),
    ],
)
def test_bad_reply_crc_raises_naming_the_device_and_the_command(
    device: FakeRoboClaw,
    make_motor: MotorFactory,
    read: Callable[[RoboClawMotor], object],
    command: str,
) -> None:
    motor = make_motor()
    device.corrupt_crc = True
    with pytest.raises(HardwareError, match=rf"roboclaw 0x80 \('m'\) {command}: bad reply CRC"):
        read(motor)


def test_a_silent_controller_makes_reads_fail_naming_the_command(
    device: FakeRoboClaw, make_motor: MotorFactory
) -> None:
    motor = make_motor()
    device.answer = False
    with pytest.raises(HardwareError, match=r"\('m'\) read version: expected 1 reply bytes"):
        motor.version()


# -- reads --------------------------------------------------------------------------------


def test_reads_return_what_the_controller_holds(
    device: FakeRoboClaw, make_motor: MotorFactory
) -> None:
    motor = make_motor(channel=2)
    device.encoders[2] = 123_456
    device.encoder_status[2] = 0x02
    device.battery_tenths = 163
    device.version_text = "RoboClaw 2x15A v4.2.8"
    assert motor.encoder() == (123_456, 0x02)
    assert motor.battery_voltage() == pytest.approx(16.3)
    assert motor.version() == "RoboClaw 2x15A v4.2.8"


def test_a_late_reply_is_discarded_not_taken_for_the_next_one(
    device: FakeRoboClaw, make_motor: MotorFactory
) -> None:
    motor = make_motor()
    device.send(b"\x00\x01\x02")  # stray bytes waiting in the host's input buffer
    time.sleep(0.01)
    assert motor.battery_voltage() == 12.0


def test_position_counts_revolutions_when_the_encoder_resolution_is_known(
    device: FakeRoboClaw, make_motor: MotorFactory
) -> None:
    motor = make_motor(encoder_counts_per_rev=1000)
    assert motor.properties().position_reporting
    device.encoders[1] = 2500
    assert motor.position() == 2.5
    device.encoders[1] = -500  # the u32 counter below zero reads as a small reverse move
    assert motor.position() == -0.5


def test_an_inverted_motor_reports_position_in_its_own_direction(
    device: FakeRoboClaw, make_motor: MotorFactory
) -> None:
    motor = make_motor(encoder_counts_per_rev=100, invert=True)
    device.encoders[1] = 250
    assert motor.position() == -2.5


def test_without_encoder_resolution_position_is_unsupported(make_motor: MotorFactory) -> None:
    motor = make_motor()
    assert not motor.properties().position_reporting
    with pytest.raises(Unsupported, match="encoder"):
        motor.position()


def test_reads_on_a_closed_motor_are_refused(make_motor: MotorFactory) -> None:
    motor = make_motor()
    motor.close()
    with pytest.raises(InvalidCommand, match="closed"):
        motor.battery_voltage()


# -- the session layer --------------------------------------------------------------------


def test_a_lapsed_session_stops_the_roboclaw_channel_just_after_the_deadline(
    device: FakeRoboClaw, make_motor: MotorFactory
) -> None:
    motor = make_motor(controller_timeout=5.0)
    with SessionManager(heartbeat_window=0.3) as manager:
        session = manager.start()
        with to_context(session):
            safety_monitor(motor)
            motor.set_power(0.6)
        for _ in range(3):
            time.sleep(0.05)
            session.heartbeat()
        assert device.channels[1].duty != 0.0
        deadline = session.deadline
        wait_until(lambda: device.channels[1].duty == 0.0)
        stopped = device.channels[1].zero_since()
        assert stopped is not None
        assert 0 <= stopped - deadline < BOUND
        assert device.timeouts == 0, "the session stopped it, not the controller's timeout"
