"""The simulated hardware of a config, in a process of its own: whatever fakes the model table's
rows ask for, the rover model over them, and the servers that make their seams reachable.

Each motor's row puts its fake device at its seam (tether/robot/model.py's `fake`), exactly as
an in-process --sim build does; here the seams lead out of the process: the GPIO pins are a
fake pigpiod's (the daemon reaches them through pigpio and gpiozero's PiGPIOFactory), the I2C
buses are served over a local socket (tether.sim.i2c), serial controllers sit on ptys this
process owns. A family added to the table runs here with nothing else changed.
"""

from __future__ import annotations

import contextlib
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tether.fakes.channel import DutyChannel
from tether.fakes.rover import FakeRover
from tether.fakes.wheel import SimWheel
from tether.robot.build import TIME_CONSTANT
from tether.robot.config import RobotConfig
from tether.robot.fake_hardware import FakeHardware
from tether.robot.models import MODELS
from tether.robot.simulated import encoder_fake, follow_wheels, sim_rover
from tether.sim.addresses import SimAddresses, host_port
from tether.sim.i2c import bus_handlers
from tether.sim.lines import LineServer

if TYPE_CHECKING:
    from tether.fakes.hbridge import PinSource
    from tether.fakes.pigpiod import FakePigpiod


class SimHardware(FakeHardware):
    """The fakes of one config, built by the model table's fake builders, and their servers;
    each encoder's fake follows the simulated wheel its motor turns (`wheels`, by motor name)."""

    def __init__(
        self,
        config: RobotConfig,
        *,
        clock: Callable[[], float] = time.monotonic,
        time_constant: float = TIME_CONSTANT,
    ) -> None:
        super().__init__(config.source, config.chips, clock, {}, [])
        self.config = config
        self.pigpiod: FakePigpiod | None = None
        self.outputs: dict[str, DutyChannel] = {}
        self.rovers: dict[str, FakeRover] = {}
        self.wheels: dict[str, SimWheel] = {}
        self.servers: dict[str, LineServer] = {}
        self._folder = ""
        try:
            for motor in config.motors:
                self.outputs[motor.name] = MODELS[motor.driver].fake(motor, self)
            for base in config.bases:
                self.rovers[base.name] = sim_rover(base, config.motors, self.outputs, clock,
                                                   time_constant)
            encoders = {e.name: encoder_fake(e, self) for e in config.encoders}
            self.wheels = follow_wheels(config, encoders, self.rovers, self.outputs,
                                        clock=clock, time_constant=time_constant)
        except BaseException:
            self.close()
            raise

    # -- the device side, as the rows ask for it -------------------------------------------

    def pins(self) -> PinSource:
        """The fake pigpiod's pins (made on first use, listening from serve())."""
        if self.pigpiod is None:
            from tether.fakes.pigpiod import FakePigpiod

            host, port = host_port(self.config.sim_addresses.pigpio)
            self.pigpiod = FakePigpiod(host, port, clock=self.clock)
            self.devices["pins"] = self.pigpiod.pins
        return self.pigpiod.pins

    def bus_named(self, name: str) -> Any:
        """The fake I2C bus a transfer names (KeyError if no chip is on it)."""
        if f"i2c-{name}" not in self.devices:
            raise KeyError(f"I2C bus {name!r}: no simulated chip is on it "
                           f"(buses: {', '.join(self.buses()) or 'none'})")
        return self.devices[f"i2c-{name}"]

    def buses(self) -> list[str]:
        """The names of the fake I2C buses, as transfers name them."""
        return [key.removeprefix("i2c-") for key in self.devices if key.startswith("i2c-")]

    def ports(self) -> dict[str, Any]:
        """The fake serial devices by [[serial]] name."""
        return {key.removeprefix("serial-"): device for key, device in self.devices.items()
                if key.startswith("serial-")}

    # -- the seams, opened to other processes ----------------------------------------------

    def serve(self, inspection: dict[str, Any]) -> SimAddresses:
        """Open every seam the rows used, and the inspection API; their addresses."""
        import os

        wanted = self.config.sim_addresses
        pigpio = i2c = None
        if self.pigpiod is not None:
            pigpio = self.pigpiod.start().address
        if self.buses():
            self.servers["i2c"] = LineServer(wanted.i2c or self._socket("i2c.sock"), "I2C bus",
                                             bus_handlers(self.bus_named))
            i2c = self.servers["i2c"].address
        self.servers["inspect"] = LineServer(wanted.inspect or self._socket("inspect.sock"),
                                             "inspection", inspection)
        serial = {name: device.path for name, device in self.ports().items()}
        return SimAddresses(os.getpid(), self.servers["inspect"].address, pigpio, i2c, serial)

    def clients(self) -> int:
        """Connections open now to any seam or the inspection API (a daemon's, a test's)."""
        pigpio = self.pigpiod.clients() if self.pigpiod is not None else 0
        return pigpio + sum(server.clients() for server in self.servers.values())

    def close(self) -> None:
        """Hang up on everyone, close every fake; idempotent. Outputs keep their last state."""
        for server in self.servers.values():
            server.close()
        if self.pigpiod is not None:
            self.pigpiod.stop()
        for closer in reversed(self.closers):
            with contextlib.suppress(Exception):
                closer()
        self.closers.clear()
        if self._folder:
            import shutil

            shutil.rmtree(self._folder, ignore_errors=True)
            self._folder = ""

    def _socket(self, name: str) -> str:
        """unix:PATH in this process's private folder."""
        if not self._folder:
            self._folder = tempfile.mkdtemp(prefix="tether-sim-")
        return f"unix:{Path(self._folder) / name}"
