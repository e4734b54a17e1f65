"""PCA9685 motor HATs on I2C (smbus2): the chip driver and HatMotor with named HAT layouts."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any, Unpack

from tether.drivers.actuator import OWED_STOP_RETRY_SECONDS, OwedStop
from tether.drivers.motor import Motor, MotorTuning
from tether.errors import ConfigError, HardwareError
from tether.protocols import pca9685 as reg

log = logging.getLogger("tether.drivers")

#: Per HAT, motor name -> (pwm, in1, in2) channels. Adafruit lists them as (PWM, IN2, IN1);
#: which IN means "forward" differs between Adafruit's own libraries, so flip with `invert`.
HAT_LAYOUTS: dict[str, dict[str, tuple[int, int, int]]] = {
    "adafruit": {"M1": (8, 10, 9), "M2": (13, 11, 12), "M3": (2, 4, 3), "M4": (7, 5, 6)},
    "waveshare": {"A": (0, 1, 2), "B": (5, 3, 4)},
}
HAT_ADDRESSES = {"adafruit": 0x60, "waveshare": 0x40}

__all__ = ["HAT_ADDRESSES", "HAT_LAYOUTS", "OWED_STOP_RETRY_SECONDS", "PCA9685", "HatMotor"]


class PCA9685:
    """One PCA9685 on an I2C bus (a bus number, a /dev path, or an SMBus-like object).

    Start-up turns every channel off in one write, enables auto-increment and totem-pole
    outputs, then sets the PWM frequency with the sleep/prescale/restart sequence.
    """

    def __init__(self, bus: Any = 1, address: int = 0x40, *, frequency: float = 1000) -> None:
        if not 0x03 <= address <= 0x77:
            raise ConfigError(f"PCA9685 address={address!r}: expected an I2C address 0x03-0x77")
        self.address = address
        self._owns_bus = isinstance(bus, int | str)
        self.bus_name = str(bus) if self._owns_bus else getattr(bus, "name", type(bus).__name__)
        self._bus = _open_bus(bus) if self._owns_bus else bus
        self._lock = threading.RLock()
        self._closed = False
        prescale = reg.prescale_for(frequency)
        try:
            self.all_off()
            self._write(reg.MODE2, reg.OUTDRV, "write MODE2")
            self._write(reg.MODE1, reg.AUTO_INCREMENT | reg.ALLCALL, "wake (MODE1)")
            time.sleep(0.0005)
            self._set_prescale(prescale)
        except BaseException:
            self._release_bus()
            raise
        self.frequency = reg.frequency_for(prescale)

    @property
    def lock(self) -> threading.RLock:
        """Held across a motor's multi-channel update so motors on one chip never interleave."""
        return self._lock

    def set_frequency(self, frequency: float) -> None:
        """Change the PWM frequency (24-1526 Hz); the chip sleeps for the prescale write."""
        prescale = reg.prescale_for(frequency)
        with self._lock:
            self._set_prescale(prescale)
            self.frequency = reg.frequency_for(prescale)

    def set_duty(self, channel: int, duty: float) -> None:
        """One channel to duty in [0, 1] (0 and 1 exact, via the full-off/full-on bits)."""
        first = reg.channel_register(channel)
        data = list(reg.encode_duty(duty))
        with self._lock:
            self._call(
                "write_i2c_block_data", f"set channel {channel}", self.address, first, data
            )

    def all_off(self) -> None:
        """Every channel off in a single write (ALL_LED_OFF_H full-off bit)."""
        self._write(reg.ALL_LED_OFF_H, reg.FULL, "all channels off")

    def close(self) -> None:
        """Turn every channel off, then release the bus; idempotent."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            try:
                self.all_off()
            finally:
                self._release_bus()

    def _set_prescale(self, prescale: int) -> None:
        old = self._read(reg.MODE1, "read MODE1")
        self._write(reg.MODE1, (old & 0x7F) | reg.SLEEP, "sleep for prescale")
        self._write(reg.PRE_SCALE, prescale, "write PRE_SCALE")
        self._write(reg.MODE1, old, "wake after prescale")
        time.sleep(0.0005)
        self._write(reg.MODE1, old | reg.RESTART, "restart after prescale")

    def _write(self, register: int, value: int, what: str) -> None:
        with self._lock:
            self._call("write_byte_data", what, self.address, register, value)

    def _read(self, register: int, what: str) -> int:
        with self._lock:
            value: int = self._call("read_byte_data", what, self.address, register)
            return value

    def _call(self, method: str, what: str, *args: Any) -> Any:
        try:
            return getattr(self._bus, method)(*args)
        except OSError as exc:
            raise HardwareError(
                exc.errno,
                f"PCA9685 0x{self.address:02x} on I2C bus {self.bus_name}: {what}: {exc.strerror}",
            ) from exc

    def _release_bus(self) -> None:
        if self._owns_bus:
            try:
                self._bus.close()
            except OSError:
                log.debug("closing I2C bus %s failed", self.bus_name, exc_info=True)


def _open_bus(bus: int | str) -> Any:
    """Open a real I2C bus with smbus2, imported only now."""
    try:
        from smbus2 import SMBus
    except ImportError as exc:
        raise ConfigError(f"I2C bus {bus!r}: smbus2 is not installed ({exc})") from exc
    try:
        return SMBus(bus)
    except OSError as exc:
        raise HardwareError(f"I2C bus {bus!r} cannot be opened: {exc}") from exc


class HatMotor(Motor):
    """A DC motor on a PCA9685 HAT driving a TB6612: a PWM channel plus IN1/IN2 channels.

    Name the motor by HAT layout (``hat="adafruit", motor="M1"`` or ``hat="waveshare",
    motor="A"``) or give ``channels=(pwm, in1, in2)``. IN1 high is forward; ``invert`` flips.
    A stop the bus refuses (NACK) is owed: retried in the background until the chip answers.
    """

    def __init__(
        self,
        name: str,
        *,
        chip: PCA9685,
        hat: str | None = None,
        motor: str | None = None,
        channels: tuple[int, int, int] | None = None,
        **tuning: Unpack[MotorTuning],
    ) -> None:
        super().__init__(name, **tuning)
        self.chip = chip
        self.pwm, self.in1, self.in2 = _channels(name, hat, motor, channels)
        self._forward: bool | None = None
        self._owed_stop = OwedStop(name, self._write_stop)
        with chip.lock:
            self._stop_hw()

    def _write_duty(self, duty: float) -> None:
        forward = duty > 0
        with self.chip.lock:
            if self._forward is not None and forward != self._forward:
                self.chip.set_duty(self.pwm, 0.0)
            self.chip.set_duty(self.in1, 1.0 if forward else 0.0)
            self.chip.set_duty(self.in2, 0.0 if forward else 1.0)
            self.chip.set_duty(self.pwm, abs(duty))
            self._forward = forward
            self._owed_stop.settle()

    def _stop_hw(self) -> None:
        with self.chip.lock:
            self._owed_stop.owe()  # until the PWM write lands
            try:
                self._write_stop()
            except HardwareError:
                if self._owed_stop.owed:
                    self._all_off_fallback()
                    self._owed_stop.keep_retrying(self._lock, lambda: self._closed)
                raise

    def _write_stop(self) -> None:
        """PWM off first: that alone stops the motor, so the stop is no longer owed; then the
        direction inputs."""
        with self.chip.lock:
            self.chip.set_duty(self.pwm, 0.0)
            self._owed_stop.settle()
            self.chip.set_duty(self.in1, 0.0)
            self.chip.set_duty(self.in2, 0.0)
            self._forward = None

    def _all_off_fallback(self) -> None:
        """The PWM write failed: try the one-write all-off (stops every motor on the chip)."""
        try:
            self.chip.all_off()
            log.warning("motor %r: stop write failed; every channel of the chip turned off",
                        self.name)
        except HardwareError as exc:
            log.error("motor %r: all-off fallback failed too: %s", self.name, exc)

    def _release(self) -> None:
        """The chip is shared; whoever built it closes it."""


def _channels(
    name: str, hat: str | None, motor: str | None, channels: tuple[int, int, int] | None
) -> tuple[int, int, int]:
    if channels is not None:
        if hat is not None or motor is not None:
            raise ConfigError(f"motor {name!r}: give either channels=(pwm, in1, in2) or hat+motor")
        valid = all(isinstance(c, int) and c in reg.CHANNELS for c in channels)
        if len(channels) != 3 or len(set(channels)) != 3 or not valid:
            raise ConfigError(
                f"motor {name!r} channels={channels!r}: expected three different channels 0-15"
            )
        return channels
    if hat not in HAT_LAYOUTS:
        raise ConfigError(f"motor {name!r} hat={hat!r}: expected one of {sorted(HAT_LAYOUTS)}")
    layout = HAT_LAYOUTS[hat]
    if motor not in layout:
        raise ConfigError(f"motor {name!r} motor={motor!r}: {hat} HAT has {', '.join(layout)}")
    return layout[motor]
