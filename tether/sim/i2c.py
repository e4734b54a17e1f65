"""A fake I2C bus two processes can open: the register models (FakeSMBus and the chips on it)
live in the simulated-hardware process; the daemon's PCA9685 driver writes to SimSMBus, an
SMBus-shaped client that carries each transfer there over a local socket and back.

Each transfer is one request and its answer, so a write has landed on the chip when the call
returns, as with smbus2 on a real bus; a NACK comes back as the same OSError (EREMOTEIO).
"""

from __future__ import annotations

import errno
from collections.abc import Callable, Sequence
from typing import Any

from tether.sim.lines import Handler, LineConnection

#: The smbus2 methods tether's PCA9685 driver calls, each carried as one request.
TRANSFERS = ("write_byte_data", "read_byte_data", "write_i2c_block_data", "read_i2c_block_data")


def bus_handlers(bus: Callable[[str], Any]) -> dict[str, Handler]:
    """The server side: each transfer run on the fake bus `bus(name)` names."""

    def handler(method: str) -> Handler:
        def run(request: dict[str, Any]) -> Any:
            target = bus(str(request["bus"]))
            return getattr(target, method)(*request["args"])

        return run

    return {method: handler(method) for method in TRANSFERS}


class SimSMBus:
    """smbus2.SMBus as the PCA9685 driver uses it, on a bus of the simulated-hardware process."""

    def __init__(self, address: str, bus: int | str) -> None:
        self.name = str(bus)
        self.address = address
        self._connection: LineConnection | None = None
        self.closed = False

    def write_byte_data(self, i2c_addr: int, register: int, value: int) -> None:
        """Write one register."""
        self._transfer("write_byte_data", i2c_addr, register, value)

    def read_byte_data(self, i2c_addr: int, register: int) -> int:
        """Read one register."""
        value: int = self._transfer("read_byte_data", i2c_addr, register)
        return value

    def write_i2c_block_data(self, i2c_addr: int, register: int, data: Sequence[int]) -> None:
        """Write up to 32 bytes starting at register."""
        self._transfer("write_i2c_block_data", i2c_addr, register, list(data))

    def read_i2c_block_data(self, i2c_addr: int, register: int, length: int) -> list[int]:
        """Read up to 32 bytes starting at register."""
        values: list[int] = self._transfer("read_i2c_block_data", i2c_addr, register, length)
        return values

    def close(self) -> None:
        """Hang up; idempotent (the chips keep their registers, as on a real bus)."""
        self.closed = True
        if self._connection is not None:
            self._connection.close()

    def _transfer(self, method: str, *args: Any) -> Any:
        if self.closed:
            raise OSError(errno.EBADF, f"I2C bus {self.name} is closed")
        if self._connection is None:
            try:
                self._connection = LineConnection(self.address)
            except OSError as exc:
                raise OSError(errno.ENODEV, f"I2C bus {self.name}: no simulated hardware at "
                                            f"{self.address} ({exc})") from exc
        try:
            return self._connection.call(method, bus=self.name, args=list(args))
        except ConnectionError as exc:
            raise OSError(errno.EIO, f"I2C bus {self.name}: {exc}") from exc
