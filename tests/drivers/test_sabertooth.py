"""SabertoothMotor against the pty fake: start-up settings, process death, unplug, recovery."""

from __future__ import annotations

import contextlib
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator

import pytest

from tether.drivers import DifferentialBase
from tether.drivers.sabertooth import SabertoothMotor
from tether.drivers.serial_link import SerialLink
from tether.errors import HardwareError, InvalidCommand
from tether.fakes.sabertooth import FakeSabertooth


@pytest.fixture
def device() -> Iterator[FakeSabertooth]:
    with FakeSabertooth(130) as fake:
        yield fake


def wait_for(condition: object, timeout: float = 3.0) -> bool:
    until = time.monotonic() + timeout
    while time.monotonic() < until:
        if condition():  # type: ignore[operator]
            return True
        time.sleep(0.002)
    return False


def test_start_up_arms_the_timeout_and_never_writes_the_baud(device: FakeSabertooth) -> None:
    motor = SabertoothMotor("m", link=device.path, address=130, controller_timeout=0.7)
    assert wait_for(lambda: device.timeout == 0.7)
    assert device.baud_writes == []
    assert device.channels[1].duty == 0.0
    motor.close()


def test_autobaud_byte_first_and_baud_only_when_asked(device: FakeSabertooth) -> None:
    motor = SabertoothMotor("m", link=device.path, address=130, autobaud=True, set_baud=19200)
    assert wait_for(lambda: device.baud_writes == [3])
    assert device.received[0] == 0xAA
    motor.set_power(0.2)
    assert wait_for(lambda: device.channels[1].duty > 0)
    assert device.baud_writes == [3], "written once, at start-up"
    motor.close()


def test_keepalive_holds_a_healthy_command_past_the_controller_timeout(
    device: FakeSabertooth,
) -> None:
    motor = SabertoothMotor("m", link=device.path, address=130, controller_timeout=0.3)
    motor.set_power(0.5)
    time.sleep(0.8)
    assert device.channels[1].duty == pytest.approx(0.5, abs=1 / 127)
    assert device.timeouts == 0
    motor.close()


CHILD = textwrap.dedent(
    """
    import sys, time
    from tether.drivers.sabertooth import SabertoothMotor
    motor = SabertoothMotor("m", link=sys.argv[1], address=130, controller_timeout=0.3)
    motor.set_power(0.8)
    print("driving", flush=True)
    time.sleep(30)
    """
)


def test_daemon_killed_controller_stops_by_its_own_timeout(device: FakeSabertooth) -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, device.path], stdout=subprocess.PIPE, text=True
    )
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "driving"
    assert wait_for(lambda: device.channels[1].duty > 0.7)
    child.send_signal(signal.SIGKILL)
    killed = time.monotonic()
    child.wait(10)
    assert wait_for(lambda: device.channels[1].duty == 0.0, timeout=5)
    stopped = time.monotonic()
    assert device.timeouts == 1
    assert stopped - killed < 0.3 + 1.0, "the controller timeout (0.3 s) plus a CI margin"


def test_port_unplugged_mid_packet_names_device_and_command(device: FakeSabertooth) -> None:
    motor = SabertoothMotor("left", link=device.path, address=130)
    device.unplug_after(2)
    with contextlib.suppress(HardwareError):  # the cable may go before or after flush returns
        motor.set_power(0.4)
    assert wait_for(lambda: not device.plugged)
    assert device.channels[1].duty == 0.0, "half a packet moves nothing"
    with pytest.raises(HardwareError, match=r"sabertooth 130 \('left'\) drive channel 1"):
        motor.set_power(0.5)
    with pytest.raises(HardwareError, match="stop channel 1: cannot open port"):
        motor.stop()
    device.replug()
    assert wait_for(lambda: len(device.received) > 0)
    motor.set_power(0.3)
    assert wait_for(lambda: device.channels[1].duty > 0.2)
    motor.close()


def test_a_stop_owed_is_delivered_when_the_port_comes_back(device: FakeSabertooth) -> None:
    link = SerialLink(device.path)
    left = SabertoothMotor("left", link=link, address=130, channel=1)
    right = SabertoothMotor("right", link=link, address=130, channel=2)
    left.set_power(0.6)
    assert wait_for(lambda: device.channels[1].duty > 0.5)
    device.unplug()
    with pytest.raises(HardwareError):
        left.stop()
    device.replug()
    right.set_power(0.2)  # any traffic reopens the port; the owed stop goes first
    assert wait_for(lambda: device.channels[1].duty == 0.0)
    assert wait_for(lambda: device.channels[2].duty > 0.1)
    left.close()
    right.close()
    link.close()


def test_unplugged_side_stops_the_rest_of_the_base() -> None:
    with FakeSabertooth(128) as left_dev, FakeSabertooth(128) as right_dev:
        left = SabertoothMotor("left", link=left_dev.path, address=128)
        right = SabertoothMotor("right", link=right_dev.path, address=128)
        base = DifferentialBase("base", [left], [right], width_mm=300, wheel_circumference_mm=400)
        base.set_power(0.5, 0)
        assert wait_for(lambda: left_dev.channels[1].duty > 0.4)
        right_dev.unplug()
        with pytest.raises(HardwareError, match="motor 'right' failed"):
            base.set_power(0.6, 0)
        assert wait_for(lambda: left_dev.channels[1].duty == 0.0)
        left.close()
        with pytest.raises(HardwareError, match="stop channel 1"):
            right.close()  # closing still reports that its stop could not be delivered
        assert right.closed


@pytest.mark.parametrize(
    ("options", "message"),
    [({"address": 127}, "address=127"), ({"channel": 3}, "channel=3"),
     ({"set_baud": 1234}, "set_baud=1234"), ({"controller_timeout": 20}, "controller_timeout=20")],
)
def test_bad_options_are_refused(
    device: FakeSabertooth, options: dict[str, int], message: str
) -> None:
    with pytest.raises(InvalidCommand, match=message):
        SabertoothMotor("m", link=device.path, **options)  # type: ignore[arg-type]
