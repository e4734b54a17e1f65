"""Where drivers meet hardware (the seams), and the drivers several motors share.

The seams are what the real devices and tether's fakes have in common: a gpiozero pin factory,
an I2C bus (a number or path the driver opens, or an SMBus-like object), a serial port path. The
real seams are the config's own; tether/robot/fake_hardware.py puts fakes at the same places.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from tether.robot.wiring import ChipConfig, PortConfig

if TYPE_CHECKING:
    from tether.drivers.pca9685 import PCA9685
    from tether.drivers.serial.link import SerialLink


#: Seconds a real serial controller's reply may take (SerialLink's own default).
REAL_REPLY_TIMEOUT = 0.05
#: Seconds a simulated controller's reply may take: it answers from a thread or process that
#: shares a loaded CPU with the daemon, and a late answer there is no hardware fault.
SIM_REPLY_TIMEOUT = 0.5


class Seams(Protocol):
    """Where the drivers plug in: real hardware or fakes standing in for it."""

    def pin_factory(self) -> Any:
        """The gpiozero pin factory every GpioMotor shares."""
        ...

    def i2c_bus(self, bus: int | str) -> Any:
        """What a PCA9685 driver opens for this bus: its number or path, or a bus object."""
        ...

    def serial_path(self, port: PortConfig) -> str:
        """The device path a SerialLink opens for this [[serial]]."""
        ...

    @property
    def serial_reply_timeout(self) -> float:
        """Seconds a controller's reply may take before the link calls it lost."""
        ...


class RealHardware:
    """The config's own hardware: the named pin factory, the I2C buses and serial ports it names."""

    def __init__(self, pin_factory: str, closers: list[Callable[[], None]]) -> None:
        self.pin_factory_name, self.closers = pin_factory, closers
        self._factory: Any = None

    def pin_factory(self) -> Any:
        """The named factory, started on first use and closed with the robot."""
        if self._factory is None:
            from tether.drivers.pins import make_pin_factory

            self._factory = make_pin_factory(self.pin_factory_name)
            self.closers.append(self._factory.close)
        return self._factory

    def i2c_bus(self, bus: int | str) -> Any:
        """The bus number or path itself: the PCA9685 driver opens (and owns) it."""
        return bus

    def serial_path(self, port: PortConfig) -> str:
        """The path the config gives."""
        return port.port

    @property
    def serial_reply_timeout(self) -> float:
        """A real controller answers within a few ms: 50 ms means it is gone."""
        return REAL_REPLY_TIMEOUT


class SharedDrivers:
    """The drivers several motors share, made once each on the seams and closed with the robot:
    the pin factory, one PCA9685 per [[pca9685]], one SerialLink per [[serial]]."""

    def __init__(self, seams: Seams, chips: tuple[ChipConfig, ...], ports: tuple[PortConfig, ...],
                 closers: list[Callable[[], None]]) -> None:
        self.seams, self.closers = seams, closers
        self._chip_configs = {c.name: c for c in chips}
        self._port_configs = {p.name: p for p in ports}
        self._chips: dict[str, PCA9685] = {}
        self._links: dict[str, SerialLink] = {}

    def pin_factory(self) -> Any:
        """The pin factory at the GPIO seam."""
        return self.seams.pin_factory()

    def chip(self, name: str) -> PCA9685:
        """The driver of [[pca9685]] `name`, on its bus."""
        if name not in self._chips:
            from tether.drivers.pca9685 import PCA9685

            chip = self._chip_configs[name]
            self._chips[name] = PCA9685(
                self.seams.i2c_bus(chip.bus), chip.address, frequency=chip.frequency
            )
            self.closers.append(self._chips[name].close)
        return self._chips[name]

    def link(self, name: str) -> SerialLink:
        """The link of [[serial]] `name`, at its baud rate."""
        if name not in self._links:
            from tether.drivers.serial.link import SerialLink

            port = self._port_configs[name]
            reply = self.seams.serial_reply_timeout
            # pyserial checks its write deadline after a write that went through, so a thread
            # descheduled that long fails a good write: the write gets twice the reply's time
            # (0.1 s on real hardware, as before; more on fakes sharing a busy CPU).
            self._links[name] = SerialLink(
                self.seams.serial_path(port), port.baudrate,
                timeout=reply, write_timeout=2 * reply,
            )
            self.closers.append(self._links[name].close)
        return self._links[name]
