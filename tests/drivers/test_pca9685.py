"""PCA9685 chip driver and HatMotor against the register-level fake behind a fake I2C bus."""

from __future__ import annotations

import errno

import pytest

from tether.drivers import DifferentialBase
from tether.drivers.pca9685 import PCA9685, HatMotor
from tether.errors import ConfigError, HardwareError, InvalidCommand
from tether.fakes.smbus import FakePCA9685, FakeSMBus, HatOutput
from tether.fakes.threads import threads_refused
from tether.protocols import pca9685 as reg


@pytest.fixture
def bus() -> FakeSMBus:
    fake = FakeSMBus()
    fake.attach(0x60, FakePCA9685())
    return fake


def chip_of(bus: FakeSMBus, address: int = 0x60) -> FakePCA9685:
    device = bus.devices[address]
    assert isinstance(device, FakePCA9685)
    return device


def test_start_up_wakes_the_chip_and_sets_prescale_while_asleep(bus: FakeSMBus) -> None:
    fake = chip_of(bus)
    driver = PCA9685(bus, 0x60, frequency=50)
    assert fake.prescale == 121
    assert fake.blocked_prescale_writes == 0, "PRE_SCALE was only written while asleep"
    assert not fake.asleep
    assert fake.registers[reg.MODE1] & reg.AUTO_INCREMENT
    assert fake.registers[reg.MODE2] & reg.OUTDRV
    assert driver.frequency == pytest.approx(25e6 / (4096 * 122))
    driver.set_frequency(1000)
    assert fake.prescale == 5 and fake.blocked_prescale_writes == 0


def test_prescale_written_awake_is_ignored_by_the_fake(bus: FakeSMBus) -> None:
    fake = chip_of(bus)
    fake.write(reg.MODE1, bytes((reg.AUTO_INCREMENT,)))
    fake.write(reg.PRE_SCALE, bytes((50,)))
    assert fake.prescale == reg.PRESCALE_POWER_ON
    assert fake.blocked_prescale_writes == 1


def test_full_scale_duty_is_really_full(bus: FakeSMBus) -> None:
    driver = PCA9685(bus, 0x60)
    driver.set_duty(4, 1.0)
    driver.set_duty(5, 0.5)
    assert chip_of(bus).duty(4) == 1.0
    assert chip_of(bus).duty(5) == 0.5


def test_all_off_is_one_write_and_close_uses_it(bus: FakeSMBus) -> None:
    driver = PCA9685(bus, 0x60)
    for channel in range(16):
        driver.set_duty(channel, 0.7)
    before = len(bus.transfers)
    driver.all_off()
    assert bus.transfers[before:] == [("write", 0x60, reg.ALL_LED_OFF_H, bytes((reg.FULL,)))]
    assert all(chip_of(bus).duty(c) == 0.0 for c in range(16))
    driver.set_duty(3, 0.2)
    driver.close()
    driver.close()
    assert chip_of(bus).duty(3) == 0.0


@pytest.mark.parametrize(
    ("hat", "motor", "channels"),
    [("adafruit", "M1", (8, 10, 9)), ("adafruit", "M4", (7, 5, 6)), ("waveshare", "A", (0, 1, 2)),
     ("waveshare", "B", (5, 3, 4))],
)
def test_hat_layouts_use_the_documented_channels(
    bus: FakeSMBus, hat: str, motor: str, channels: tuple[int, int, int]
) -> None:
    fake = chip_of(bus)
    output = HatOutput(fake, *channels)
    driven = HatMotor("m", chip=PCA9685(bus, 0x60), hat=hat, motor=motor)
    driven.set_power(-0.75)
    assert output.duty == pytest.approx(-0.75, abs=1 / 4096)
    _, in1, in2 = channels
    assert (fake.duty(in1), fake.duty(in2)) == (0.0, 1.0)
    driven.stop()
    assert [fake.duty(c) for c in channels] == [0.0, 0.0, 0.0]


def test_custom_channels_and_bad_layouts(bus: FakeSMBus) -> None:
    driver = PCA9685(bus, 0x60)
    HatMotor("m", chip=driver, channels=(14, 15, 13)).set_power(0.1)
    assert chip_of(bus).duty(14) == pytest.approx(0.1, abs=1 / 4096)
    with pytest.raises(ConfigError, match="hat='sparkfun'"):
        HatMotor("m", chip=driver, hat="sparkfun", motor="M1")
    with pytest.raises(ConfigError, match="waveshare HAT has A, B"):
        HatMotor("m", chip=driver, hat="waveshare", motor="M1")
    with pytest.raises(ConfigError, match="three different channels"):
        HatMotor("m", chip=driver, channels=(1, 1, 2))
    with pytest.raises(InvalidCommand, match="frequency=5000"):
        PCA9685(bus, 0x60, frequency=5000)


def test_nack_is_a_hardware_error_with_errno_121_naming_chip_and_command(bus: FakeSMBus) -> None:
    motor = HatMotor("left", chip=PCA9685(bus, 0x60), hat="adafruit", motor="M1")
    bus.nacking.add(0x60)
    with pytest.raises(HardwareError, match=r"PCA9685 0x60 on I2C bus 1: set channel \d+") as err:
        motor.set_power(0.5)
    assert err.value.errno == errno.EREMOTEIO
    bus.nacking.clear()
    motor.set_power(0.5)
    assert chip_of(bus).duty(8) == pytest.approx(0.5, abs=1 / 4096)


def test_missing_chip_fails_at_start_up(bus: FakeSMBus) -> None:
    with pytest.raises(HardwareError, match="PCA9685 0x41"):
        PCA9685(bus, 0x41)


def test_a_nacking_hat_stops_the_motors_on_the_other_hat() -> None:
    bus = FakeSMBus()
    bus.attach(0x60, FakePCA9685())
    bus.attach(0x61, FakePCA9685())
    left = HatMotor("left", chip=PCA9685(bus, 0x60), hat="adafruit", motor="M1")
    right = HatMotor("right", chip=PCA9685(bus, 0x61), hat="adafruit", motor="M1")
    base = DifferentialBase("base", [left], [right], width_mm=150, wheel_circumference_mm=200)
    base.set_power(0.5, 0)
    bus.nacking.add(0x61)
    with pytest.raises(HardwareError, match="motor 'right' failed"):
        base.set_power(0.8, 0)
    assert chip_of(bus, 0x60).duty(8) == 0.0


def test_a_refused_stop_at_the_thread_limit_is_reported_as_the_bus_error(bus: FakeSMBus) -> None:
    """No thread for the background retry: the caller still gets the bus error (so it retries
    and reports it as hardware), and the next stop once the bus answers lands."""
    motor = HatMotor("left", chip=PCA9685(bus, 0x60), hat="adafruit", motor="M1")
    motor.set_power(0.5)
    bus.nacking.add(0x60)
    with threads_refused() as refused, pytest.raises(HardwareError, match="PCA9685 0x60"):
        motor.stop()
    assert refused == ["tether-owed-stop-left"]
    bus.nacking.clear()
    motor.stop()
    assert chip_of(bus).duty(8) == 0.0
