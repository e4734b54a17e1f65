"""The fakes' fault switches the soak and the fault matrix share: an I2C glitch of a few NACKed
transfers, and a stop() that raises or blocks in front of a built resource."""

from __future__ import annotations

import errno
import threading

import pytest

from tether.drivers.pca9685 import PCA9685, HatMotor
from tether.errors import HardwareError
from tether.fakes import FakeMotor
from tether.fakes.faulty_stop import FaultyStop
from tether.fakes.smbus import FakePCA9685, FakeSMBus


def test_a_glitch_nacks_the_next_transfers_then_the_chip_answers_again() -> None:
    bus = FakeSMBus()
    bus.attach(0x60, FakePCA9685())
    bus.attach(0x61, FakePCA9685())
    bus.nack_next(0x60, 2)
    bus.write_byte_data(0x61, 0x00, 0x20)  # another address is untouched
    for _ in range(2):
        with pytest.raises(OSError) as nack:
            bus.read_byte_data(0x60, 0x00)
        assert nack.value.errno == errno.EREMOTEIO
    assert bus.read_byte_data(0x60, 0x00) == 0x11  # MODE1 at power-on
    bus.nack_next(0x60, 3)
    bus.nack_next(0x60, 0)  # ends the glitch
    bus.write_byte_data(0x60, 0x00, 0x20)
    assert [t[1] for t in bus.transfers] == [0x61, 0x60, 0x60]
    with pytest.raises(ValueError, match=r"count=-1: expected a whole number of transfers >= 0"):
        bus.nack_next(0x60, -1)


def test_a_glitch_fails_one_hat_command_and_the_next_lands() -> None:
    bus = FakeSMBus()
    fake = FakePCA9685()
    bus.attach(0x60, fake)
    motor = HatMotor("left", chip=PCA9685(bus, 0x60), hat="adafruit", motor="M1")
    bus.nack_next(0x60, 1)
    with pytest.raises(HardwareError, match="PCA9685 0x60"):
        motor.set_power(0.5)
    motor.set_power(0.5)
    assert fake.duty(8) == pytest.approx(0.5, abs=1 / 4096)
    motor.close()


def test_an_armed_faulty_stop_raises_that_many_times_then_stops_the_resource() -> None:
    motor = FakeMotor("left")
    fault = FaultyStop.install(motor)
    motor.set_power(0.5)
    fault.arm(2)
    for attempt in (1, 2):
        with pytest.raises(RuntimeError, match=f"injected stop failure #{attempt}"):
            motor.stop()
    assert motor.power == 0.5
    motor.stop()
    assert motor.power == 0.0
    assert (FaultyStop.calls_of(motor), motor.stop_calls) == (3, 1)
    fault.arm(-1)
    for _ in range(3):
        with pytest.raises(RuntimeError):
            motor.stop()
    fault.arm(0)
    motor.stop()
    assert motor.stop_calls == 2
    with pytest.raises(ValueError, match=r"raises=-2: expected -1 \(always\) or a count >= 0"):
        fault.arm(-2)


def test_a_gated_faulty_stop_blocks_until_the_gate_opens() -> None:
    motor = FakeMotor("left")
    gate = threading.Event()
    fault = FaultyStop(motor, gate=gate)
    motor.set_power(0.5)
    stopper = threading.Thread(target=fault, daemon=True)
    stopper.start()
    stopper.join(0.2)
    assert stopper.is_alive() and motor.power == 0.5
    gate.set()
    stopper.join(5)
    assert not stopper.is_alive() and motor.power == 0.0
