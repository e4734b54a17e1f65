"""Contract-suite rigs for HAT motors on a PCA9685 behind the fake I2C bus."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.drivers.rigs import MotorRig
from tether.drivers.pca9685 import HAT_LAYOUTS, PCA9685, HatMotor
from tether.fakes.smbus import FakePCA9685, FakeSMBus, HatOutput


def _hat_rig(hat: str, motor: str, address: int, options: dict[str, Any]) -> MotorRig:
    bus = FakeSMBus()
    chip = FakePCA9685()
    bus.attach(address, chip)
    output = HatOutput(chip, *HAT_LAYOUTS[hat][motor])
    driver = PCA9685(bus, address)
    built = HatMotor("m", chip=driver, hat=hat, motor=motor, **options)
    return MotorRig(
        built, lambda: output.duty, lambda: len(output.history), 1 / 4096, driver.close
    )


RIGS: dict[str, Callable[..., MotorRig]] = {
    "adafruit-hat-M3": lambda **options: _hat_rig("adafruit", "M3", 0x60, options),
    "waveshare-hat-B": lambda **options: _hat_rig("waveshare", "B", 0x40, options),
}
