"""The daemon's side of the simulated hardware: start the process (python -m tether.sim --owned),
read its ready line, and give the drivers its seams, the ones real hardware would have.

GPIO goes through the real pigpio library and gpiozero's PiGPIOFactory to the fake pigpiod,
whatever pin factory the config names (lgpio needs a kernel GPIO chip no CI has; the switch is
logged once). PCA9685 HATs get an SMBus-shaped client of the process's I2C bus; serial motors
open the pty of their port's fake controller with pyserial, as they would a USB adapter.

The process outlives its daemon, as hardware does: it ends once the daemon has left (closed
the pipe it holds, or died) and nobody is connected to any of its sockets any more.
"""

from __future__ import annotations

import contextlib
import logging
import pickle
import select
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from tether.errors import HardwareError
from tether.robot.config import PortConfig, RobotConfig
from tether.robot.hardware import SIM_REPLY_TIMEOUT
from tether.sim.addresses import PREFIX, SimAddresses, host_port
from tether.sim.client import SimClient

log = logging.getLogger("tether.sim")

#: The line an owned process prints instead of its addresses when it cannot start.
FAILED = PREFIX + "error: "
#: Seconds a sim process may take to open its seams (a loaded CI machine is slow to start one).
START_TIMEOUT = 60.0


#: The ready line of a simulated-hardware process another process owns (the guardian's): the
#: daemon attaches to it instead of starting its own, so the hardware outlives the daemon.
ENV_LINE = "TETHER_SIM_LINE"


class SimProcess:
    """A running simulated-hardware process: its addresses, a client, the pipe that holds it
    (None when another process owns it and this one only attached)."""

    def __init__(self, process: subprocess.Popen[bytes] | None, addresses: SimAddresses,
                 config: RobotConfig) -> None:
        self.process, self.addresses, self.config = process, addresses, config
        self.client = SimClient(addresses.inspect)

    @classmethod
    def attach(cls, line: str, config: RobotConfig) -> SimProcess:
        """The process whose ready line is `line`, owned by someone else (leave() only hangs up)."""
        try:
            addresses = SimAddresses.parse(line)
        except ValueError as exc:
            raise HardwareError(f"{config.source}: {ENV_LINE}: {exc}") from None
        return cls(None, addresses, config)

    @classmethod
    def start(cls, config: RobotConfig, *, timeout: float = START_TIMEOUT) -> SimProcess:
        """Start the simulated hardware of `config` and wait until its seams are open."""
        process = subprocess.Popen(
            [sys.executable, "-m", "tether.sim", "--owned"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, start_new_session=True,
        )
        try:
            assert process.stdin is not None
            payload = pickle.dumps(replace(config, keys=()))  # the sim needs no secret
            process.stdin.write(len(payload).to_bytes(8, "big") + payload)
            process.stdin.flush()
            line = _ready_line(process, config, timeout)
            return cls(process, SimAddresses.parse(line), config)
        except BaseException:
            _end(process)
            raise

    @property
    def pid(self) -> int:
        """The process's id."""
        return self.addresses.pid

    def seams(self) -> SimSeams:
        """Where the daemon's drivers plug in (build_robot's `seams`; close it after the robot)."""
        return SimSeams(self.addresses, self.config)

    def leave(self) -> None:
        """The daemon is done: keep the last readings, let go of the process. It ends by itself
        once nobody else is connected (a test still reading keeps it)."""
        self.client.close()
        if self.process is not None and self.process.stdin is not None:
            with contextlib.suppress(OSError):
                self.process.stdin.close()

    def wait(self, timeout: float) -> bool:
        """Wait for the process to end; False if it still runs (someone still reads it).
        Attached, there is nothing to wait for: its owner ends it."""
        if self.process is None:
            return True
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            return False
        return True

    def end(self) -> None:
        """Leave, and end the process now if it has not ended within a few seconds."""
        self.leave()
        if self.process is not None and not self.wait(5.0):
            _end(self.process)


def _ready_line(process: subprocess.Popen[bytes], config: RobotConfig, timeout: float) -> str:
    """The process's first line: its addresses, or why it could not start (HardwareError)."""
    assert process.stdout is not None
    deadline = time.monotonic() + timeout
    while not select.select([process.stdout], [], [], max(0.0, deadline - time.monotonic()))[0]:
        if time.monotonic() >= deadline:
            raise HardwareError(f"{config.source}: the simulated hardware did not start within "
                                f"{timeout:g} s")
    line = process.stdout.readline().decode(errors="replace").strip()
    process.stdout.close()  # it prints nothing more
    if line.startswith(FAILED):
        raise HardwareError(line.removeprefix(FAILED))
    if not line.startswith(PREFIX):
        process.wait(5)
        raise HardwareError(f"{config.source}: the simulated hardware process ended before it "
                            f"was ready (exit {process.returncode}): {line!r}")
    return line


def _end(process: subprocess.Popen[bytes]) -> None:
    """Kill and reap a process we started; quiet if it has gone."""
    with contextlib.suppress(OSError):
        process.kill()
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(5)
    for stream in (process.stdin, process.stdout):
        if stream is not None:
            with contextlib.suppress(OSError):
                stream.close()


class SimSeams:
    """The seams of the simulated hardware, from the daemon's side (tether.robot's Seams)."""

    def __init__(self, addresses: SimAddresses, config: RobotConfig) -> None:
        self.addresses, self.config = addresses, config
        self.closers: list[Callable[[], None]] = []
        self._factory: Any = None

    def close(self) -> None:
        """Close what the drivers opened here (after the robot: the drivers first); idempotent."""
        for closer in reversed(self.closers):
            with contextlib.suppress(Exception):
                closer()
        self.closers.clear()

    def pin_factory(self) -> Any:
        """gpiozero's PiGPIOFactory on the fake pigpiod, whatever factory the config names."""
        if self._factory is None:
            from tether.drivers.pins import make_pin_factory

            if self.addresses.pigpio is None:
                raise HardwareError(f"{self.config.source}: the simulated hardware has no fake "
                                    "pigpiod (no GPIO motor when it started)")
            named = self.config.pin_factory
            if named != "pigpio":
                log.info("[gpio].pin_factory = %r: --sim runs it on the fake pigpiod at %s "
                         "(gpiozero's PiGPIOFactory)", named, self.addresses.pigpio)
            host, port = host_port(self.addresses.pigpio)
            self._factory = make_pin_factory("pigpio", host=host, port=port)
            self.closers.append(self._close_factory)
        return self._factory

    def i2c_bus(self, bus: int | str) -> Any:
        """An SMBus-shaped client of the process's fake bus `bus`."""
        from tether.sim.i2c import SimSMBus

        if self.addresses.i2c is None:
            raise HardwareError(f"{self.config.source}: the simulated hardware has no I2C bus")
        client = SimSMBus(self.addresses.i2c, bus)
        self.closers.append(client.close)
        return client

    def serial_path(self, port: PortConfig) -> str:
        """The pty of the fake controller on [[serial]] `port`."""
        return self.addresses.serial[port.name]

    @property
    def serial_reply_timeout(self) -> float:
        """The fake controller shares a loaded CPU: it may answer late without being gone."""
        return SIM_REPLY_TIMEOUT

    def _close_factory(self) -> None:
        """Close the pigpio connection (before the fake pigpiod goes, so pigpio.py never reads
        a socket its daemon closed); quiet if the fake has gone already."""
        with contextlib.suppress(Exception):
            self._factory.close()
