"""Making every configured output safe from the guardian's own process.

Each family's safe states (tether/robot/safe.py) are grouped by the connection that writes them:
one pigpiod connection for every GPIO pin, one bus per PCA9685, one port per serial controller,
one gpiochip for lgpio. Connections that may be opened while the daemon runs are opened before
it starts (pigpiod, the I2C buses); lines and serial ports the daemon holds are claimed once it
is reaped. Every output is attempted even when another fails, within a deadline, and reported.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, Literal, Protocol

from tether.robot.safe import ChannelOff, PinLevel, SafeState, StopFrame
from tether.robot.wiring import ChipConfig, PortConfig

log = logging.getLogger("tether.guardian")

#: Which writes: those that stop every motor by themselves (a PWM or enable pin, a chip's
#: all-off, a serial stop frame), the rest, or all. The guardian writes every safer's first part
#: before any rest, so each motor stops after one write.
Part = Literal["first", "rest", "all"]


@dataclass(frozen=True)
class Action:
    """What the guardian did to one output, and how long after the death it was done."""

    output: str
    motor: str
    ok: bool
    delay_ms: float
    error: str = ""

    def line(self) -> str:
        """One log line."""
        outcome = "safe" if self.ok else f"FAILED: {self.error}"
        return f"{self.output} ({self.motor}) {outcome} after {self.delay_ms:.2f} ms"


class Safer(Protocol):
    """One connection's outputs: opened before the daemon starts, written after it dies."""

    #: Whether it must wait until the daemon's process is gone: its lines or port are the
    #: daemon's until then (lgpio, serial); pigpiod and an I2C bus take a second client.
    needs_release: bool

    def open(self) -> None:
        """Open what can be opened while the daemon runs; raise naming what failed."""
        ...

    def describe(self) -> str:
        """What this safer reaches, for errors."""
        ...

    @property
    def motor(self) -> str:
        """The first motor it makes safe, for errors."""
        ...

    def make_safe(self, since: float, deadline: float, part: Part = "all") -> list[Action]:
        """Every output to its safe state by `deadline` (monotonic), each timed from `since`:
        part "first" is the writes that stop each motor by themselves, "rest" the others."""
        ...

    def close(self) -> None:
        """Release (idempotent)."""
        ...


def _attempt(output: str, motor: str, since: float, deadline: float,
             write: Callable[[], None]) -> Action:
    """One output's write, reported; out of time means not attempted, and says so."""
    if time.monotonic() > deadline:
        return Action(output, motor, False, (time.monotonic() - since) * 1000,
                      "not attempted: the guardian's deadline had passed")
    try:
        write()
    except Exception as exc:  # every output is attempted whatever the one before did
        return Action(output, motor, False, (time.monotonic() - since) * 1000,
                      f"{type(exc).__name__}: {exc}")
    return Action(output, motor, True, (time.monotonic() - since) * 1000)


def _pins_of(pins: Sequence[PinLevel], part: Part) -> list[PinLevel]:
    """The power pins (order 0) first, the direction pins the rest."""
    if part == "all":
        return list(pins)
    return [p for p in pins if (p.order == 0) == (part == "first")]


def _pins(pins: Sequence[PinLevel]) -> str:
    return ", ".join(f"GPIO{p.pin}" for p in pins)


class PigpioSafer:
    """GPIO pins through the guardian's own pigpiod connection: WRITE ends PWM at that level."""

    needs_release = False

    def __init__(self, pins: Sequence[PinLevel], host: str, port: int,
                 timeout: float = 0.5) -> None:
        self.pins, self.host, self.port, self.timeout = list(pins), host, port, timeout
        self._pi: Any = None

    @property
    def motor(self) -> str:
        """The first motor on this connection."""
        return self.pins[0].motor

    def describe(self) -> str:
        """Where its pigpiod is."""
        return f"pigpiod at {self.host}:{self.port} ({_pins(self.pins)})"

    def open(self) -> None:
        """Connect now: after a death there is no time to."""
        import pigpio

        pi = pigpio.pi(self.host, self.port, show_errors=False)
        if not pi.connected:
            raise ConnectionError(f"pigpiod at {self.host}:{self.port} does not answer")
        pi.sl.s.settimeout(self.timeout)  # a hung pigpiod must not hang the guardian
        self._pi = pi

    def make_safe(self, since: float, deadline: float, part: Part = "all") -> list[Action]:
        """Each pin to its level; PWM on it ends (power pins are the first part)."""
        return [_attempt(f"GPIO{p.pin}", p.motor, since, deadline,
                         partial(self._write, p.pin, p.level)) for p in _pins_of(self.pins, part)]

    def _write(self, pin: int, level: int) -> None:
        if self._pi is None:
            raise ConnectionError(f"no pigpiod connection to {self.host}:{self.port}")
        self._pi.write(pin, level)

    def close(self) -> None:
        """Hang up (pigpiod keeps the levels just written)."""
        pi, self._pi = self._pi, None
        if pi is not None:
            pi.stop()


class LgpioSafer:
    """GPIO pins on the Pi's gpiochip through lgpio, claimed once the daemon has released them."""

    needs_release = True

    def __init__(self, pins: Sequence[PinLevel], lgpio: Any = None) -> None:
        self.pins = list(pins)
        self._lgpio: Any = lgpio
        self._handle: int | None = None

    @property
    def motor(self) -> str:
        """The first motor on this connection."""
        return self.pins[0].motor

    def describe(self) -> str:
        """Its pins."""
        return f"lgpio on the Pi's gpiochip ({_pins(self.pins)})"

    def open(self) -> None:
        """Import lgpio and open the header's gpiochip (lines are claimed only after a death)."""
        if self._lgpio is None:
            self._lgpio = importlib.import_module("lgpio")
        self._handle = self._header_chip()

    def _header_chip(self) -> int:
        """The gpiochip whose label names the Pi's pin controller (gpiochip0, or 4 on an older
        Pi 5 kernel)."""
        lg = self._lgpio
        for number in range(16):
            try:
                handle: int = lg.gpiochip_open(number)
            except lg.error:
                continue
            _status, _lines, _name, label = lg.gpio_get_chip_info(handle)
            if str(label).startswith("pinctrl-"):
                return handle
            lg.gpiochip_close(handle)
        raise FileNotFoundError("no /dev/gpiochip* labelled pinctrl-*: expected a Raspberry Pi")

    def make_safe(self, since: float, deadline: float, part: Part = "all") -> list[Action]:
        """Claim each pin as an output at its level (the daemon's claim ended with it)."""
        return [_attempt(f"GPIO{p.pin}", p.motor, since, deadline,
                         partial(self._claim, p.pin, p.level)) for p in _pins_of(self.pins, part)]

    def _claim(self, pin: int, level: int) -> None:
        if self._handle is None:
            raise ConnectionError("no gpiochip open")
        self._lgpio.gpio_claim_output(self._handle, pin, level)

    def close(self) -> None:
        """Close the chip: the kernel then keeps or reverts the levels as it is configured to."""
        handle, self._handle = self._handle, None
        if handle is not None:
            self._lgpio.gpiochip_close(handle)


class Pca9685Safer:
    """One PCA9685 through the guardian's own bus handle: all outputs off, then each motor
    channel fully off (so clearing the all-off later does not restart a motor)."""

    needs_release = False

    def __init__(self, chip: ChipConfig, channels: Sequence[ChannelOff],
                 open_bus: Callable[[int | str], Any]) -> None:
        self.chip, self.channels, self._open_bus = chip, list(channels), open_bus
        self._bus: Any = None

    @property
    def motor(self) -> str:
        """The first motor on this connection."""
        return self.channels[0].motor

    def describe(self) -> str:
        """Its chip and bus."""
        return f"[[pca9685]] {self.chip.name!r} on I2C bus {self.chip.bus}"

    def open(self) -> None:
        """Open the bus now (an ioctl handle: the daemon's own stays valid beside it) and read
        MODE1 once: the chip answers at its address, and a bus that connects lazily (the
        simulated one) is connected before any death."""
        from tether.protocols.pca9685 import MODE1

        self._bus = self._open_bus(self.chip.bus)
        try:
            self._bus.read_byte_data(self.chip.address, MODE1)
        except BaseException:
            self.close()
            raise

    def make_safe(self, since: float, deadline: float, part: Part = "all") -> list[Action]:
        """ALL_LED_OFF_H full-off (the first part), then each channel's OFF_H full-off."""
        from tether.protocols.pca9685 import ALL_LED_OFF_H, FULL, channel_register

        where = f"[[pca9685]] {self.chip.name!r}"
        motors = ", ".join(sorted({c.motor for c in self.channels}))
        done = [] if part == "rest" else [
            _attempt(f"{where} all channels", motors, since, deadline,
                     partial(self._write, ALL_LED_OFF_H, [FULL]))]
        if part != "first":
            done += [_attempt(f"{where} channel {off.channel}", off.motor, since, deadline,
                              partial(self._write, channel_register(off.channel),
                                      [0, 0, 0, FULL]))
                     for off in self.channels]
        return done

    def _write(self, register: int, values: list[int]) -> None:
        if self._bus is None:
            raise ConnectionError(f"I2C bus {self.chip.bus} is not open")
        if len(values) == 1:
            self._bus.write_byte_data(self.chip.address, register, values[0])
        else:
            self._bus.write_i2c_block_data(self.chip.address, register, values)

    def close(self) -> None:
        """Close the guardian's bus handle (the chip keeps its registers)."""
        bus, self._bus = self._bus, None
        if bus is not None:
            bus.close()


class SerialSafer:
    """One serial port, opened by the guardian too (without the flock the daemon's exclusive
    open takes, so both hold it): at a death each controller's stop frame goes at once, without
    waiting for the reap or for the controller's own timeout. A handle gone stale (a USB adapter
    re-plugged since) is reopened once."""

    needs_release = False

    def __init__(self, port: PortConfig, frames: Sequence[StopFrame], path: str,
                 timeout: float = 0.2) -> None:
        self.port, self.frames, self.path, self.timeout = port, list(frames), path, timeout
        self._link: Any = None

    @property
    def motor(self) -> str:
        """The first motor on this connection."""
        return self.frames[0].motor

    def describe(self) -> str:
        """Its port."""
        return f"[[serial]] {self.port.name!r} ({self.path})"

    def open(self) -> None:
        """Open the port now, before the daemon does."""
        self._link = self._opened()

    def _opened(self) -> Any:
        import serial

        return serial.Serial(self.path, self.port.baudrate, timeout=self.timeout,
                             write_timeout=self.timeout, exclusive=False)

    def make_safe(self, since: float, deadline: float, part: Part = "all") -> list[Action]:
        """Every stop frame on the held handle (reopened once if it fails): written to the
        kernel's buffer in the first part (microseconds), drained onto the line in the rest."""
        where = f"[[serial]] {self.port.name!r} ({self.path})"
        done = [] if part == "rest" else [
            _attempt(where, f.motor, since, deadline, partial(self._send, f))
            for f in self.frames]
        if part != "first":
            done.append(_attempt(f"{where} drained", self.motor, since, deadline, self._drain))
        return done

    def _send(self, frame: StopFrame) -> None:
        try:
            if self._link is None:
                raise OSError(f"{self.path} is not open")
            self._link.write(frame.frame)
        except Exception:
            self.close()
            self._link = self._opened()
            self._link.write(frame.frame)

    def _drain(self) -> None:
        if self._link is None:
            raise OSError(f"{self.path} is not open")
        self._link.flush()

    def close(self) -> None:
        """Close the guardian's handle (idempotent)."""
        link, self._link = self._link, None
        if link is not None:
            with contextlib.suppress(Exception):
                link.close()


def group(states: Iterable[SafeState]) -> tuple[list[PinLevel], dict[str, list[ChannelOff]],
                                                dict[str, list[StopFrame]]]:
    """Safe states by connection: the pins, each chip's channels, each port's frames."""
    pins: list[PinLevel] = []
    chips: dict[str, list[ChannelOff]] = {}
    ports: dict[str, list[StopFrame]] = {}
    for state in states:
        if isinstance(state, PinLevel):
            pins.append(state)
        elif isinstance(state, ChannelOff):
            chips.setdefault(state.chip, []).append(state)
        else:
            ports.setdefault(state.port, []).append(state)
    return sorted(pins, key=lambda p: p.order), chips, ports
