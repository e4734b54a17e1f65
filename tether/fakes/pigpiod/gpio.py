"""The fake pigpiod's 54 GPIOs: modes, pulls, levels, PWM and servo pulses as pigpio.c V79 keeps
them, every change of a pin timestamped on one injectable clock.

A pin's *state* is what a motor driver chip sees: the PWM duty (0..1) of a pulsing pin, else its
level. A pin's *level* is what READ, BR1 and notifications report; the fake does not toggle a
PWM pin at its frequency, so a pulsing pin reads high while its duty is above 0.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from enum import Enum

import tether.fakes.pigpiod.protocol as pp
from tether.fakes.channel import MAX_HISTORY

PinListener = Callable[[str, float, float], None]
#: Called with (gpio, time, levels of GPIO 0-31) after a level change of GPIO 0-31.
EdgeSink = Callable[[int, float, int], None]

# pigpio.c's PWM sample-rate tables; pigpiod's default sample rate is 5 µs.
_SAMPLE_US, _PULSES_PER_CYCLE = 5, 25
_PWM_CYCLES = (1, 2, 4, 5, 8, 10, 16, 20, 25, 32, 40, 50, 80, 100, 160, 200, 400, 800)
PWM_REAL_RANGES = (25, 50, 100, 125, 200, 250, 400, 500, 625, 800, 1000, 1250, 2000, 2500,
                   4000, 5000, 10000, 20000)
#: The frequencies software PWM can run at (8000 Hz ... 10 Hz at 5 µs sampling).
PWM_FREQUENCIES = tuple(
    int(1_000_000 / (_PULSES_PER_CYCLE * _SAMPLE_US * cycles) + 0.5) for cycles in _PWM_CYCLES
)
_DEFAULT_FREQUENCY_INDEX = 5  # 800 Hz
#: GPIO -> (hardware PWM channel, the ALT mode that routes it) from pigpio.c's PWMDef table.
HARDWARE_PWM_PINS = {
    12: (0, pp.ALT0), 13: (1, pp.ALT0), 18: (0, pp.ALT5), 19: (1, pp.ALT5),
    40: (0, pp.ALT0), 41: (1, pp.ALT0), 45: (1, pp.ALT0), 52: (0, pp.ALT1), 53: (1, pp.ALT1),
}


class PigpioError(Exception):
    """A command refused with a pigpio error code (the reply carries `code`)."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(f"{pp.ERROR_NAMES.get(code, code)} ({code}): {message}")
        self.code = code


class Function(Enum):
    """What pigpio drives a pin with (pigpio.c's gpioInfo[].is)."""

    UNDEFINED = "undefined"
    WRITE = "write"
    PWM = "pwm"
    SERVO = "servo"
    HARDWARE_PWM = "hardware_pwm"


@dataclass(frozen=True, slots=True)
class PinChange:
    """The pin's state (a PWM duty 0..1, or a level 0/1) from `time` on."""

    time: float
    state: float


@dataclass(slots=True)
class _Pin:
    gpio: int
    mode: int
    pull: int
    level: int
    latch: int = 0
    external: int | None = None
    function: Function = Function.UNDEFINED
    width: int = 0
    range: int = pp.DEFAULT_DUTYCYCLE_RANGE
    frequency_index: int = _DEFAULT_FREQUENCY_INDEX
    glitch_steady_us: int = 0
    state: float = 0.0
    history: list[PinChange] = field(default_factory=list)


@dataclass(slots=True)
class _HardwareChannel:
    frequency: int = 0
    duty: int = 0
    real_range: int = 0


def _at_reset(gpio: int, now: float) -> _Pin:
    """A pin as a BCM2711 leaves reset: an input, pulled up on GPIO 0-8, down elsewhere."""
    pull = pp.PUD_UP if gpio <= 8 else pp.PUD_DOWN
    level = 1 if pull == pp.PUD_UP else 0
    return _Pin(
        gpio, pp.INPUT, pull, level, state=float(level), history=[PinChange(now, float(level))]
    )


def gpio_number(name: int | str) -> int:
    """A BCM number from 5, '5', 'GPIO5' or 'BCM5'."""
    text = str(name).upper().removeprefix("GPIO").removeprefix("BCM")
    if isinstance(name, bool) or not text.isdigit() or int(text) > pp.MAX_GPIO:
        raise ValueError(f"pin {name!r}: expected a BCM GPIO number 0-{pp.MAX_GPIO}")
    return int(text)


class PigpioPins:
    """The GPIO block behind the fake pigpiod; thread-safe (one re-entrant lock).

    It is also a pin source for tether.fakes.hbridge: `clock()`, `state(pin)` and
    `watch(pins, listener)` are what an H-bridge model reads.
    """

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.monotonic,
        revision: int = pp.PI4B_REVISION,
        update_mask: int = pp.PI4B_UPDATE_MASK,
        tick_at_start: int = 0,
    ) -> None:
        self.clock = clock
        self.revision = revision
        self.update_mask = update_mask
        self._lock = threading.RLock()
        self._started = clock()
        self._tick_at_start = tick_at_start
        self._pins = [_at_reset(gpio, self._started) for gpio in range(pp.MAX_GPIO + 1)]
        self._levels = sum(pin.level << pin.gpio for pin in self._pins[: pp.MAX_USER_GPIO + 1])
        self._hardware = [_HardwareChannel(), _HardwareChannel()]
        self._listeners: dict[int, list[PinListener]] = {}
        self._edge_sinks: list[EdgeSink] = []

    # --- what tests and models read -------------------------------------------------------

    def tick(self, when: float | None = None) -> int:
        """pigpio's tick (µs, wrapping at 2**32) at clock time `when` (default now)."""
        elapsed = (self.clock() if when is None else when) - self._started
        return (self._tick_at_start + round(elapsed * 1_000_000)) & 0xFFFFFFFF

    def level(self, pin: int | str) -> int:
        """What READ returns for the pin now."""
        return self._pins[gpio_number(pin)].level

    def state(self, pin: int | str) -> float:
        """The pin's duty (0..1) if it pulses, else its level: what a driver chip sees."""
        return self._pins[gpio_number(pin)].state

    def mode(self, pin: int | str) -> int:
        """The pin's mode (pigpio INPUT 0, OUTPUT 1, ALT...)."""
        return self._pins[gpio_number(pin)].mode

    def function(self, pin: int | str) -> Function:
        """What drives the pin: a level write, software PWM, servo pulses, hardware PWM."""
        return self._pins[gpio_number(pin)].function

    def glitch_filter(self, pin: int | str) -> int:
        """The steady time (µs) FG set; stored, not applied to notifications."""
        return self._pins[gpio_number(pin)].glitch_steady_us

    def history(self, pin: int | str) -> list[PinChange]:
        """Every state the pin had, with times on the clock (at most MAX_HISTORY kept)."""
        with self._lock:
            return list(self._pins[gpio_number(pin)].history)

    def levels(self, first: int = 0) -> int:
        """Levels of GPIO first..first+31 as a bitmap (BR1 with 0, BR2 with 32)."""
        with self._lock:
            if first == 0:
                return self._levels
            return sum(pin.level << (pin.gpio - first) for pin in self._pins[first:])

    def watch(self, pins: Sequence[int | str], listener: PinListener) -> None:
        """Call listener(pin_name, time, state) after each state change of any of these pins."""
        with self._lock:
            for pin in pins:
                self._listeners.setdefault(gpio_number(pin), []).append(listener)

    def add_edge_sink(self, sink: EdgeSink) -> None:
        """Call sink(gpio, time, levels) after every level change of GPIO 0-31."""
        with self._lock:
            self._edge_sinks.append(sink)

    # --- the outside world driving inputs -------------------------------------------------

    def drive(self, pin: int | str, level: int | None, at: float | None = None) -> None:
        """Drive an input from outside (an encoder, a switch); None lets its pull decide."""
        self.drive_edges(pin, [(self.clock() if at is None else at, level)])

    def drive_edges(self, pin: int | str, edges: Iterable[tuple[float, int | None]]) -> None:
        """Drive an input through (time, level) steps, in order, each with its own time."""
        gpio = gpio_number(pin)
        steps = list(edges)
        for _when, level in steps:
            if level not in (0, 1, None):
                raise ValueError(f"gpio {gpio} level={level!r}: expected 0, 1 or None")
        with self._lock:
            target = self._pins[gpio]
            if target.mode == pp.OUTPUT and any(level is not None for _, level in steps):
                raise ValueError(f"gpio {gpio} is an output: only inputs can be driven")
            for when, level in steps:
                target.external = level
                self._settle(target, when)

    # --- pigpio's commands (pigpio.c's gpio* functions; permission checks are the caller's)

    def set_mode(self, gpio: int, mode: int) -> int:
        """MODES: a new mode switches off whatever drove the pin."""
        pin = self._gpio(gpio)
        if mode > pp.ALT3:
            raise PigpioError(pp.PI_BAD_MODE, f"gpio {gpio} mode={mode}: expected 0-7")
        with self._lock:
            if mode != pin.mode:
                self._switch_off(pin)
                pin.function = Function.UNDEFINED
            pin.mode = mode
            self._settle(pin)
        return 0

    def get_mode(self, gpio: int) -> int:
        """MODEG."""
        return self._gpio(gpio).mode

    def set_pull(self, gpio: int, pud: int) -> int:
        """PUD: an undriven input follows its new pull; with none it keeps its level."""
        pin = self._gpio(gpio)
        if pud > pp.PUD_UP:
            raise PigpioError(pp.PI_BAD_PUD, f"gpio {gpio} pud={pud}: expected 0-2")
        with self._lock:
            pin.pull = pud
            self._settle(pin)
        return 0

    def read(self, gpio: int) -> int:
        """READ."""
        return self._gpio(gpio).level

    def write(self, gpio: int, level: int) -> int:
        """WRITE: makes the pin an output at that level, ending any PWM or servo pulses."""
        pin = self._gpio(gpio)
        if level > 1:
            raise PigpioError(pp.PI_BAD_LEVEL, f"gpio {gpio} level={level}: expected 0 or 1")
        with self._lock:
            if pin.function is not Function.WRITE:
                self._switch_off(pin)
                pin.function = Function.WRITE
            pin.latch = level
            pin.mode = pp.OUTPUT
            self._settle(pin)
        return 0

    def set_pwm(self, gpio: int, width: int) -> int:
        """PWM: duty `width` out of the pin's range."""
        pin = self._user_gpio(gpio)
        if width > pin.range:
            raise PigpioError(
                pp.PI_BAD_DUTYCYCLE, f"gpio {gpio} dutycycle={width}: expected 0-{pin.range}"
            )
        with self._lock:
            if pin.function is not Function.PWM:
                self._switch_off(pin)
                pin.function = Function.PWM
            if not width:  # stopping PWM (or starting it at 0) drives the pin low
                pin.latch = 0
            pin.mode = pp.OUTPUT
            pin.width = width
            self._settle(pin)
        return 0

    def get_pwm_dutycycle(self, gpio: int) -> int:
        """GDC."""
        pin = self._user_gpio(gpio)
        if pin.function is Function.PWM:
            return pin.width
        if pin.function is Function.HARDWARE_PWM:
            return self._hardware[HARDWARE_PWM_PINS[gpio][0]].duty
        raise PigpioError(pp.PI_NOT_PWM_GPIO, f"gpio {gpio} is not a PWM gpio")

    def set_pwm_range(self, gpio: int, new_range: int) -> int:
        """PRS: rescales a running duty; returns the real range at the pin's frequency."""
        pin = self._user_gpio(gpio)
        if not pp.MIN_DUTYCYCLE_RANGE <= new_range <= pp.MAX_DUTYCYCLE_RANGE:
            raise PigpioError(
                pp.PI_BAD_DUTYRANGE,
                f"gpio {gpio} range={new_range}: expected {pp.MIN_DUTYCYCLE_RANGE}-"
                f"{pp.MAX_DUTYCYCLE_RANGE}",
            )
        with self._lock:
            if pin.width and pin.function is Function.PWM:
                pin.width = new_range * pin.width // pin.range
            pin.range = new_range
            self._settle(pin)
        return PWM_REAL_RANGES[pin.frequency_index]

    def get_pwm_range(self, gpio: int) -> int:
        """PRG."""
        pin = self._user_gpio(gpio)
        return pp.HW_PWM_RANGE if pin.function is Function.HARDWARE_PWM else pin.range

    def get_pwm_real_range(self, gpio: int) -> int:
        """PRRG."""
        pin = self._user_gpio(gpio)
        if pin.function is Function.HARDWARE_PWM:
            return self._hardware[HARDWARE_PWM_PINS[gpio][0]].real_range
        return PWM_REAL_RANGES[pin.frequency_index]

    def set_pwm_frequency(self, gpio: int, frequency: int) -> int:
        """PFS: snaps to the nearest frequency of the sample-rate table and returns it."""
        pin = self._user_gpio(gpio)
        with self._lock:
            pin.frequency_index = nearest_pwm_frequency_index(frequency)
        return PWM_FREQUENCIES[pin.frequency_index]

    def get_pwm_frequency(self, gpio: int) -> int:
        """PFG."""
        pin = self._user_gpio(gpio)
        if pin.function is Function.HARDWARE_PWM:
            return self._hardware[HARDWARE_PWM_PINS[gpio][0]].frequency
        return PWM_FREQUENCIES[pin.frequency_index]

    def set_servo(self, gpio: int, width: int) -> int:
        """SERVO: pulses of `width` µs at 50 Hz; 0 stops them."""
        pin = self._user_gpio(gpio)
        if width and not pp.MIN_SERVO_PULSEWIDTH <= width <= pp.MAX_SERVO_PULSEWIDTH:
            raise PigpioError(
                pp.PI_BAD_PULSEWIDTH,
                f"gpio {gpio} pulsewidth={width}: expected 0 or {pp.MIN_SERVO_PULSEWIDTH}-"
                f"{pp.MAX_SERVO_PULSEWIDTH}",
            )
        with self._lock:
            if pin.function is not Function.SERVO:
                self._switch_off(pin)
                pin.function = Function.SERVO
                if not width:
                    pin.latch = 0
            pin.mode = pp.OUTPUT
            pin.width = width
            self._settle(pin)
        return 0

    def get_servo(self, gpio: int) -> int:
        """GPW."""
        pin = self._user_gpio(gpio)
        if pin.function is not Function.SERVO:
            raise PigpioError(pp.PI_NOT_SERVO_GPIO, f"gpio {gpio} is not a servo gpio")
        return pin.width

    def hardware_pwm(self, gpio: int, frequency: int, duty: int) -> int:
        """HP: the PWM peripheral on a pin that has it; frequency 0 stops it."""
        pin = self._gpio(gpio)
        if gpio not in HARDWARE_PWM_PINS:
            raise PigpioError(pp.PI_NOT_HPWM_GPIO, f"gpio {gpio} has no hardware PWM")
        if duty > pp.HW_PWM_RANGE:
            raise PigpioError(pp.PI_BAD_HPWM_DUTY, f"dutycycle={duty}: expected 0-1000000")
        if frequency and not 1 <= frequency <= pp.HW_PWM_MAX_FREQ_2711:
            raise PigpioError(
                pp.PI_BAD_HPWM_FREQ, f"frequency={frequency}: expected 0 or 1-187500000"
            )
        number, mode = HARDWARE_PWM_PINS[gpio]
        with self._lock:
            if frequency:
                real_range = int(pp.CLK_PLLD_FREQ_2711 / (2.0 * frequency) + 0.5)
                self._hardware[number] = _HardwareChannel(
                    int(pp.CLK_PLLD_FREQ_2711 / (2.0 * real_range) + 0.5), duty, real_range
                )
                if pin.function is not Function.HARDWARE_PWM:
                    self._switch_off(pin)
                    pin.mode = mode
                    pin.function = Function.HARDWARE_PWM
            elif pin.function is Function.HARDWARE_PWM:
                self._hardware[number] = _HardwareChannel()
                pin.function = Function.UNDEFINED
            for other in HARDWARE_PWM_PINS:  # a channel drives every pin routed to it
                self._settle(self._pins[other])
        return 0

    def set_glitch_filter(self, gpio: int, steady_us: int) -> int:
        """FG: recorded (gpiozero's bounce_time), not applied to reports."""
        pin = self._user_gpio(gpio)
        if steady_us > pp.MAX_STEADY:
            raise PigpioError(
                pp.PI_BAD_FILTER, f"gpio {gpio} steady={steady_us}: expected 0-{pp.MAX_STEADY}"
            )
        pin.glitch_steady_us = steady_us
        return 0

    # --- internals --------------------------------------------------------------------------

    def _gpio(self, gpio: int) -> _Pin:
        if gpio > pp.MAX_GPIO:
            raise PigpioError(pp.PI_BAD_GPIO, f"gpio={gpio}: expected 0-{pp.MAX_GPIO}")
        return self._pins[gpio]

    def _user_gpio(self, gpio: int) -> _Pin:
        if gpio > pp.MAX_USER_GPIO:
            raise PigpioError(pp.PI_BAD_USER_GPIO, f"gpio={gpio}: expected 0-{pp.MAX_USER_GPIO}")
        return self._pins[gpio]

    def _switch_off(self, pin: _Pin) -> None:
        """End PWM or servo pulses (pigpio.c's switchFunctionOff): the pin drives low."""
        if pin.function in (Function.PWM, Function.SERVO) and pin.width:
            pin.latch = 0
        if pin.function is not Function.WRITE:
            pin.width = 0

    def _drive_of(self, pin: _Pin) -> tuple[int, float]:
        """(level, state) the pin has now, from what drives it."""
        if pin.function is Function.HARDWARE_PWM:
            channel = self._hardware[HARDWARE_PWM_PINS[pin.gpio][0]]
            duty = channel.duty / pp.HW_PWM_RANGE if channel.frequency else 0.0
            return int(duty > 0), duty
        if pin.mode == pp.OUTPUT:
            if pin.function is Function.PWM and pin.width:
                return 1, pin.width / pin.range
            if pin.function is Function.SERVO and pin.width:
                return 1, pin.width / 20_000  # a 50 Hz pulse train's duty
            return pin.latch, float(pin.latch)
        if pin.external is not None:
            level = pin.external
        elif pin.pull == pp.PUD_OFF:
            level = pin.level
        else:
            level = int(pin.pull == pp.PUD_UP)
        return level, float(level)

    def _settle(self, pin: _Pin, when: float | None = None) -> None:
        """Recompute the pin's level and state; record and announce what changed."""
        level, state = self._drive_of(pin)
        now = self.clock() if when is None else when
        if level != pin.level:
            pin.level = level
            if pin.gpio <= pp.MAX_USER_GPIO:
                self._levels ^= 1 << pin.gpio
                for sink in self._edge_sinks:
                    sink(pin.gpio, now, self._levels)
        if state != pin.state:
            pin.state = state
            pin.history.append(PinChange(now, state))
            if len(pin.history) > MAX_HISTORY:
                del pin.history[: MAX_HISTORY // 2]
            for listener in self._listeners.get(pin.gpio, ()):
                listener(f"GPIO{pin.gpio}", now, state)


def nearest_pwm_frequency_index(frequency: int) -> int:
    """pigpio.c's gpioSetPWMfrequency: the closest table entry, the higher one on a tie."""
    if frequency > PWM_FREQUENCIES[0]:
        return 0
    if frequency < PWM_FREQUENCIES[-1]:
        return len(PWM_FREQUENCIES) - 1
    differences = [abs(frequency - f) for f in PWM_FREQUENCIES]
    return differences.index(min(differences))
