"""A fake I2C bus (the smbus2 methods tether uses) and a register-level PCA9685 behind it."""

from __future__ import annotations

import errno
import threading
import time
from collections.abc import Callable, Sequence
from typing import Protocol

from tether.fakes.channel import MAX_HISTORY, DutyChannel
from tether.protocols import pca9685 as reg


class I2CDevice(Protocol):
    """What a device on the fake bus implements."""

    def write(self, register: int, data: bytes) -> None:
        """Bytes written starting at register."""
        ...

    def read(self, register: int, length: int) -> bytes:
        """Bytes read starting at register."""
        ...


def _nack(address: int) -> OSError:
    return OSError(errno.EREMOTEIO, f"Remote I/O error (no ACK from 0x{address:02x})")


class FakeSMBus:
    """smbus2.SMBus stand-in: devices by address, a log of transfers (the latest MAX_HISTORY at
    most), injectable NACKs (every transfer to an address in `nacking`, or the next few with
    `nack_next`)."""

    def __init__(self, bus: int | str = 1) -> None:
        self.name = str(bus)
        self.devices: dict[int, I2CDevice] = {}
        self.transfers: list[tuple[str, int, int, bytes]] = []
        self.nacking: set[int] = set()
        self._glitches: dict[int, int] = {}
        self.closed = False
        self._lock = threading.Lock()

    def attach(self, address: int, device: I2CDevice) -> None:
        """Put a device on the bus at address."""
        self.devices[address] = device

    def nack_next(self, address: int, count: int) -> None:
        """NACK the next `count` transfers to address (a glitch), then answer; 0 ends a glitch."""
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise ValueError(f"count={count!r}: expected a whole number of transfers >= 0")
        with self._lock:
            self._glitches[address] = count

    def write_byte_data(self, i2c_addr: int, register: int, value: int) -> None:
        """Write one register."""
        self._transfer("write", i2c_addr, register, bytes((value & 0xFF,)))

    def read_byte_data(self, i2c_addr: int, register: int) -> int:
        """Read one register."""
        return self._transfer("read", i2c_addr, register, b"", 1)[0]

    def write_i2c_block_data(self, i2c_addr: int, register: int, data: Sequence[int]) -> None:
        """Write up to 32 bytes starting at register."""
        if len(data) > 32:
            raise ValueError(f"block write of {len(data)} bytes: SMBus allows at most 32")
        self._transfer("write", i2c_addr, register, bytes(data))

    def read_i2c_block_data(self, i2c_addr: int, register: int, length: int) -> list[int]:
        """Read up to 32 bytes starting at register."""
        return list(self._transfer("read", i2c_addr, register, b"", length))

    def close(self) -> None:
        """Close the bus; idempotent."""
        self.closed = True

    def __enter__(self) -> FakeSMBus:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _transfer(
        self, kind: str, address: int, register: int, data: bytes, length: int = 0
    ) -> bytes:
        with self._lock:
            if self.closed:
                raise OSError(errno.EBADF, f"I2C bus {self.name} is closed")
            device = self.devices.get(address)
            if device is None or address in self.nacking or self._glitch(address):
                raise _nack(address)
            self.transfers.append((kind, address, register, data))
            if len(self.transfers) > MAX_HISTORY:  # a long --sim run keeps a bounded log
                del self.transfers[: MAX_HISTORY // 2]
            if kind == "write":
                device.write(register, data)
                return b""
            return device.read(register, length)

    def _glitch(self, address: int) -> bool:
        """Whether a glitch NACKs this transfer (lock held); counts it."""
        left = self._glitches.get(address, 0)
        if left > 0:
            self._glitches[address] = left - 1
        return left > 0


class FakePCA9685:
    """Register model of a PCA9685: power-on defaults, sleep-gated prescale, auto-increment,
    write-only ALL_LED registers, full-on/full-off bits with full off winning, outputs off while
    asleep. `duty(channel)` reads what each output does now.
    """

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.registers = bytearray(256)
        self.registers[reg.MODE1] = reg.MODE1_POWER_ON
        self.registers[reg.MODE2] = reg.OUTDRV
        self.registers[reg.PRE_SCALE] = reg.PRESCALE_POWER_ON
        for channel in reg.CHANNELS:
            self.registers[reg.channel_register(channel) + 3] = reg.FULL
        self.blocked_prescale_writes = 0
        self._listeners: list[Callable[[float], None]] = []
        self._last = [0.0] * 16

    @property
    def asleep(self) -> bool:
        """True while MODE1's SLEEP bit is set (oscillator off, outputs off)."""
        return bool(self.registers[reg.MODE1] & reg.SLEEP)

    @property
    def prescale(self) -> int:
        """The PRE_SCALE register."""
        return self.registers[reg.PRE_SCALE]

    def duty(self, channel: int) -> float:
        """Output duty of a channel now (0 while asleep)."""
        if self.asleep:
            return 0.0
        first = reg.channel_register(channel)
        return reg.decode_duty(bytes(self.registers[first : first + 4]))

    def subscribe(self, listener: Callable[[float], None]) -> None:
        """Call listener(time) after any write that changed an output."""
        self._listeners.append(listener)

    def write(self, register: int, data: bytes) -> None:
        """Apply a write as the chip does (auto-increment only when MODE1.AI is set)."""
        step = 1 if self.registers[reg.MODE1] & reg.AUTO_INCREMENT else 0
        for offset, value in enumerate(data):
            self._write_one((register + offset * step) & 0xFF, value)
        self._notify()

    def read(self, register: int, length: int) -> bytes:
        """Registers as the chip reports them (ALL_LED registers read as 0)."""
        step = 1 if self.registers[reg.MODE1] & reg.AUTO_INCREMENT else 0
        out = bytearray()
        for offset in range(length):
            target = (register + offset * step) & 0xFF
            write_only = reg.ALL_LED_ON_L <= target <= reg.ALL_LED_OFF_H
            out.append(0 if write_only else self.registers[target])
        return bytes(out)

    def _write_one(self, register: int, value: int) -> None:
        if register == reg.PRE_SCALE and not self.asleep:
            self.blocked_prescale_writes += 1
            return
        if reg.ALL_LED_ON_L <= register <= reg.ALL_LED_OFF_H:
            for channel in reg.CHANNELS:
                self.registers[reg.channel_register(channel) + register - reg.ALL_LED_ON_L] = value
            return
        if register == reg.MODE1:
            value &= ~reg.RESTART & 0xFF  # RESTART is self-clearing once the chip restarts
        self.registers[register] = value

    def _notify(self) -> None:
        now_duty = [self.duty(c) for c in reg.CHANNELS]
        if now_duty != self._last:
            self._last = now_duty
            now = self.clock()
            for listener in list(self._listeners):
                listener(now)


class HatOutput(DutyChannel):
    """One TB6612 motor output of a HAT: signed duty from its (pwm, in1, in2) channels."""

    def __init__(self, chip: FakePCA9685, pwm: int, in1: int, in2: int) -> None:
        super().__init__(chip.clock())
        self.chip, self.pwm, self.in1, self.in2 = chip, pwm, in1, in2
        chip.subscribe(self._update)

    def _update(self, now: float) -> None:
        forward, backward = self.chip.duty(self.in1) > 0.5, self.chip.duty(self.in2) > 0.5
        level = self.chip.duty(self.pwm)
        self.set_duty(now, 0.0 if forward == backward else (level if forward else -level))
