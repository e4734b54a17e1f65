"""The fakes a --sim robot runs on, at the seams the real hardware would occupy.

Each family's fake builder asks for the fakes it needs here (made once, shared by every motor on
them); the real drivers then open the same seams: the fake pin factory, the fake SMBus, the fake
device's pty path. Every fake is kept in `devices` by the name the fault tests use ("pins",
"i2c-1", "pca9685-hat", "serial-saber").
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar, cast

from tether.robot.hardware import SIM_REPLY_TIMEOUT
from tether.robot.wiring import ChipConfig, PortConfig

if TYPE_CHECKING:
    from tether.fakes.hbridge import PinSource
    from tether.fakes.pigpiod.signals import EdgeInputs
    from tether.fakes.smbus import FakeSMBus

Fake = TypeVar("Fake")


class FakeHardware:
    """Fakes made on demand, by name, on one clock; the Seams of a simulated robot."""

    def __init__(
        self,
        source: str,
        chips: tuple[ChipConfig, ...],
        clock: Callable[[], float],
        devices: dict[str, Any],
        closers: list[Callable[[], None]],
    ) -> None:
        self.source, self.clock, self.devices, self.closers = source, clock, devices, closers
        self._chips = {c.name: c for c in chips}

    def device(self, name: str, make: Callable[[], Fake]) -> Fake:
        """The fake called `name`, made by `make` the first time it is asked for."""
        if name not in self.devices:
            self.devices[name] = make()
        found: Fake = self.devices[name]
        return found

    def chip_config(self, name: str) -> ChipConfig:
        """The [[pca9685]] called `name`."""
        return self._chips[name]

    # -- the device side: what the fake builders attach to ----------------------------------

    def pins(self) -> PinSource:
        """The pins the H-bridge models watch: a recording pin factory, in this process."""
        from tether.fakes.pins import FakePinFactory

        return self.device("pins", lambda: FakePinFactory(clock=self.clock))

    def edge_inputs(self) -> EdgeInputs:
        """The same pins, as an encoder's fake drives them (timestamped edges on inputs)."""
        return cast("EdgeInputs", self.pins())

    def bus(self, bus: int | str) -> FakeSMBus:
        """The fake I2C bus with that number or path."""
        from tether.fakes.smbus import FakeSMBus

        return self.device(f"i2c-{bus}", lambda: FakeSMBus(bus))

    # -- the driver side: the Seams the real drivers open -----------------------------------

    def pin_factory(self) -> Any:
        """The same recording factory, as the GpioMotors' pin factory (the simulated-hardware
        process's seams give PiGPIOFactory on its fake pigpiod instead: tether.sim.process)."""
        return self.pins()

    def i2c_bus(self, bus: int | str) -> Any:
        """The fake bus itself: the PCA9685 driver writes to it as to smbus2's SMBus."""
        return self.bus(bus)

    def serial_path(self, port: PortConfig) -> str:
        """The pty of the fake controller a family's fake builder put on this port."""
        path: str = self.devices[f"serial-{port.name}"].path
        return path

    @property
    def serial_reply_timeout(self) -> float:
        """The fake controller shares a loaded CPU: it may answer late without being gone."""
        return SIM_REPLY_TIMEOUT
