"""The fake pigpiod's command table: pigpio.c's myDoCommand for the commands it simulates.

Everything pigpio.py and gpiozero's PiGPIOFactory send to drive pins is here; any other command
(I2C, SPI, serial, waves, scripts, files...) is answered PI_UNKNOWN_COMMAND, as pigpio.c answers
a number it does not know, and counted in the CommandLog so tests can see it was refused.
"""

from __future__ import annotations

import struct
import threading
from collections import Counter
from collections.abc import Callable

import tether.fakes.pigpiod.protocol as pp
from tether.fakes.pigpiod.gpio import PigpioError, PigpioPins
from tether.fakes.pigpiod.notify import Notifier
from tether.fakes.pigpiod.protocol import Command

Handler = Callable[[int, int, bytes], int]


class CommandLog:
    """How many times each command came, and which answers were errors."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._seen: Counter[str] = Counter()
        self._errors: Counter[tuple[str, int]] = Counter()

    def record(self, cmd: int, result: int) -> None:
        """Count one request and its answer."""
        name = pp.command_name(cmd)
        with self._lock:
            self._seen[name] += 1
            if result < 0:
                self._errors[name, result] += 1

    def seen(self) -> dict[str, int]:
        """Requests per command name."""
        with self._lock:
            return dict(self._seen)

    def errors(self) -> dict[tuple[str, int], int]:
        """Error answers per (command name, error code)."""
        with self._lock:
            return dict(self._errors)

    def refused(self) -> dict[str, int]:
        """Requests answered PI_UNKNOWN_COMMAND, per command name."""
        return {
            name: count
            for (name, code), count in self.errors().items()
            if code == pp.PI_UNKNOWN_COMMAND
        }


class Commands:
    """Runs one request against the pins and notifier; returns pigpio's result."""

    def __init__(self, pins: PigpioPins, notifier: Notifier) -> None:
        self.pins = pins
        self.notifier = notifier
        gpio, note = pins, notifier
        self._handlers: dict[int, Handler] = {
            Command.MODES: self._permitted(gpio.set_mode),
            Command.MODEG: lambda p1, _p2, _x: gpio.get_mode(p1),
            Command.PUD: self._permitted(gpio.set_pull),
            Command.READ: lambda p1, _p2, _x: gpio.read(p1),
            Command.WRITE: self._permitted(gpio.write),
            Command.PWM: self._permitted(gpio.set_pwm),
            Command.PRS: self._permitted(gpio.set_pwm_range),
            Command.PFS: self._permitted(gpio.set_pwm_frequency),
            Command.SERVO: self._permitted(gpio.set_servo),
            Command.WDOG: lambda p1, p2, _x: note.set_watchdog(p1, p2),
            Command.BR1: lambda _p1, _p2, _x: gpio.levels(0),
            Command.BR2: lambda _p1, _p2, _x: gpio.levels(32),
            Command.TICK: lambda _p1, _p2, _x: gpio.tick(),
            Command.HWVER: lambda _p1, _p2, _x: gpio.revision,
            Command.NB: lambda p1, p2, _x: note.begin(p1, p2),
            Command.NP: lambda p1, _p2, _x: note.pause(p1),
            Command.NC: lambda p1, _p2, _x: note.close(p1),
            Command.PRG: lambda p1, _p2, _x: gpio.get_pwm_range(p1),
            Command.PFG: lambda p1, _p2, _x: gpio.get_pwm_frequency(p1),
            Command.PRRG: lambda p1, _p2, _x: gpio.get_pwm_real_range(p1),
            Command.PIGPV: lambda _p1, _p2, _x: pp.VERSION,
            Command.GDC: lambda p1, _p2, _x: gpio.get_pwm_dutycycle(p1),
            Command.GPW: lambda p1, _p2, _x: gpio.get_servo(p1),
            Command.HP: self._hardware_pwm,
            Command.FG: lambda p1, p2, _x: gpio.set_glitch_filter(p1, p2),
        }

    def simulated(self) -> list[str]:
        """Names of the commands this fake answers (NOIB is answered by the server)."""
        return sorted([Command(cmd).name for cmd in self._handlers] + [Command.NOIB.name])

    def run(self, cmd: int, p1: int, p2: int, extension: bytes) -> int:
        """pigpio's result for one request: >= 0, or a negative pigpio error code."""
        handler = self._handlers.get(cmd)
        if handler is None:
            return pp.PI_UNKNOWN_COMMAND
        try:
            return handler(p1, p2, extension)
        except PigpioError as refused:
            return refused.code

    def _permitted(self, command: Callable[[int, int], int]) -> Handler:
        """A command that updates a GPIO, refused on GPIOs outside the board's update mask."""

        def checked(gpio: int, value: int, _extension: bytes) -> int:
            self._check_permitted(gpio)
            return command(gpio, value)

        return checked

    def _check_permitted(self, gpio: int) -> None:
        if gpio <= pp.MAX_GPIO and not self.pins.update_mask >> gpio & 1:
            raise PigpioError(pp.PI_NOT_PERMITTED, f"gpio {gpio}: no permission to update")

    def _hardware_pwm(self, gpio: int, frequency: int, extension: bytes) -> int:
        """HP carries the duty (0..1000000) in a 4-byte extension."""
        self._check_permitted(gpio)
        (duty,) = struct.unpack("<I", extension[:4].ljust(4, b"\0"))
        return self.pins.hardware_pwm(gpio, frequency, duty)
