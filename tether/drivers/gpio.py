"""H-bridge DC motors on Pi GPIO through gpiozero output devices, on any pin factory."""

from __future__ import annotations

import contextlib
from typing import Any, Unpack

from gpiozero import DigitalOutputDevice, PWMOutputDevice

from tether.drivers.motor import Motor, MotorTuning, log
from tether.drivers.pins import make_pin_factory, off_writer, pins_over_a_socket
from tether.drivers.validate import check_option
from tether.errors import ConfigError

Pin = int | str

#: Pin layouts by name, with the H-bridges that use them.
LAYOUTS = {
    "in1_in2": "IN1 and IN2 both PWM (DRV8833, L9110S, MX1508)",
    "in1_in2_pwm": "IN1/IN2 for direction + a PWM enable (L298N ENA/ENB, TB6612 PWMA/PWMB)",
    "dir_pwm": "DIR + PWM, phase/enable (Cytron MDD10A/MDD3A, DRV8838, Pololu DRV8876)",
}


def _layout(name: str, in1: Pin | None, in2: Pin | None, pwm: Pin | None, dr: Pin | None) -> str:
    pins = {"in1": in1, "in2": in2, "pwm": pwm, "direction": dr}
    given = {k: v for k, v in pins.items() if v is not None}  # BCM 0 is a pin
    if set(given) == {"in1", "in2"}:
        return "in1_in2"
    if set(given) == {"in1", "in2", "pwm"}:
        return "in1_in2_pwm"
    if set(given) == {"direction", "pwm"}:
        return "dir_pwm"
    shown = ", ".join(f"{k}={v!r}" for k, v in given.items()) or "none"
    raise ConfigError(
        f"motor {name!r} pins ({shown}): expected in1+in2 (both PWM), in1+in2+pwm, "
        "or direction+pwm"
    )


class GpioMotor(Motor):
    """A motor behind an H-bridge on GPIO pins; every pin goes inactive on stop().

    The layout follows from the pins given (see LAYOUTS). ``enable`` is an optional extra
    digital enable or standby pin (TB6612 STBY, an nSLEEP), active high unless
    ``enable_active_high=False``; it is driven active only while the motor is powered.
    """

    def __init__(
        self,
        name: str,
        *,
        pin_factory: Any,
        in1: Pin | None = None,
        in2: Pin | None = None,
        pwm: Pin | None = None,
        direction: Pin | None = None,
        enable: Pin | None = None,
        enable_active_high: bool = True,
        pwm_frequency: float = 1000,
        **tuning: Unpack[MotorTuning],
    ) -> None:
        super().__init__(name, **tuning)
        self.layout = _layout(name, in1, in2, pwm, direction)
        frequency = int(check_option(pwm_frequency, f"motor {name!r} pwm_frequency", 1, 100_000))
        factory = make_pin_factory(pin_factory) if isinstance(pin_factory, str) else pin_factory
        #: Writes through pigpiod wait for another process: callers on an event loop use a thread.
        self.slow_io = pins_over_a_socket(factory)
        self._devices: list[Any] = []
        self._enable: DigitalOutputDevice | None = None
        self._forward = True
        #: The value each device was last set to here, when known: a repeated command skips
        #: the writes that would change nothing (on pigpio, each is two or three round trips).
        self._written: dict[Any, float] = {}
        try:
            if self.layout == "in1_in2":
                self._a = self._add(PWMOutputDevice(in1, frequency=frequency, pin_factory=factory))
                self._b = self._add(PWMOutputDevice(in2, frequency=frequency, pin_factory=factory))
            elif self.layout == "in1_in2_pwm":
                self._a = self._add(DigitalOutputDevice(in1, pin_factory=factory))
                self._b = self._add(DigitalOutputDevice(in2, pin_factory=factory))
                self._speed = self._add(
                    PWMOutputDevice(pwm, frequency=frequency, pin_factory=factory)
                )
            else:
                self._a = self._add(DigitalOutputDevice(direction, pin_factory=factory))
                self._speed = self._add(
                    PWMOutputDevice(pwm, frequency=frequency, pin_factory=factory)
                )
            if enable is not None:
                self._enable = self._add(
                    DigitalOutputDevice(
                        enable, active_high=enable_active_high, initial_value=False,
                        pin_factory=factory,
                    )
                )
        except BaseException:
            self._release()
            raise
        speed = [self._speed] if self.layout != "in1_in2" else []
        stop_order = speed + [d for d in self._devices if d not in speed]
        self._offs = [(device, off_writer(device)) for device in stop_order]
        self.pins = {
            role: pin
            for role, pin in (
                ("in1", in1), ("in2", in2), ("pwm", pwm), ("direction", direction),
                ("enable", enable),
            )
            if pin is not None
        }

    def _add(self, device: Any) -> Any:
        self._devices.append(device)
        return device

    def _write_duty(self, duty: float) -> None:
        forward = duty > 0
        magnitude = abs(duty)
        if self.layout == "in1_in2":
            if forward:
                self._set(self._b, 0)
                self._set(self._a, magnitude)
            else:
                self._set(self._a, 0)
                self._set(self._b, magnitude)
        else:
            if forward != self._forward:
                self._set(self._speed, 0)
            if self.layout == "in1_in2_pwm":
                self._set(self._a, forward)
                self._set(self._b, not forward)
            else:
                self._set(self._a, forward)
            self._set(self._speed, magnitude)
        self._forward = forward
        if self._enable is not None:
            self._set(self._enable, 1)

    def _set(self, device: Any, value: float) -> None:
        """Write value unless this motor already wrote it; a failed write leaves it unknown."""
        if self._written.get(device) == value:
            return
        self._written.pop(device, None)
        device.value = value
        self._written[device] = value

    def _stop_hw(self) -> None:
        """Every pin off, unconditionally (never trusting what was written before)."""
        first_error: Exception | None = None
        for device, off in self._offs:
            self._written.pop(device, None)
            try:
                off()
            except Exception as exc:
                first_error = first_error or exc
            else:
                self._written[device] = 0
        if first_error is not None:
            raise first_error

    def _release(self) -> None:
        for device in self._devices:
            with contextlib.suppress(Exception):
                device.off()
        for device in self._devices:
            try:
                device.close()
            except Exception:
                log.exception("motor %r: closing %r failed", self.name, device)
        self._devices.clear()
