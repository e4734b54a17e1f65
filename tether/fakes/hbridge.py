"""H-bridge chip models: turn the fake pins' levels into the signed duty a motor would see."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from typing import Protocol, TypedDict, Unpack

from tether.fakes.channel import DutyChannel

Pin = int | str


class StandbyPin(TypedDict, total=False):
    """The optional standby/sleep pin every bridge model takes, and its active level."""

    enable: Pin | None
    enable_active_high: bool


class PinSource(Protocol):
    """Pins a chip model watches: FakePinFactory, or the fake pigpiod's PigpioPins."""

    def clock(self) -> float: ...

    def state(self, pin: Pin, /) -> float: ...

    def watch(
        self, pins: Sequence[Pin], listener: Callable[[str, float, float], None], /
    ) -> None: ...


class HBridge(DutyChannel, ABC):
    """One motor channel of a driver chip, watching its input pins on a PinSource.

    ``enable`` is an optional standby/sleep pin: the outputs are off unless it is at its active
    level (high, or low with ``enable_active_high=False``).
    """

    def __init__(
        self,
        factory: PinSource,
        pins: dict[str, Pin],
        *,
        enable: Pin | None = None,
        enable_active_high: bool = True,
    ) -> None:
        super().__init__(factory.clock())
        self.factory = factory
        self.pins = dict(pins)
        self.enable = enable
        self.enable_active_high = enable_active_high
        watched = [*pins.values(), *([enable] if enable is not None else [])]
        factory.watch(watched, self._on_pin)
        self._record(factory.clock())

    def level(self, role: str) -> float:
        """The level of one input pin (by its role: in1, pwm, ...)."""
        return self.factory.state(self.pins[role])

    def _enabled(self) -> bool:
        if self.enable is None:
            return True
        return (self.factory.state(self.enable) > 0.5) == self.enable_active_high

    def _on_pin(self, _name: str, now: float, _state: float) -> None:
        self._record(now)

    def _record(self, now: float) -> None:
        self.set_duty(now, self._duty_from_pins() if self._enabled() else 0.0)

    @abstractmethod
    def _duty_from_pins(self) -> float:
        """Signed duty implied by the input pins."""


class InInBridge(HBridge):
    """IN1/IN2, both PWM (DRV8833, L9110S): IN1 drives forward, IN2 reverse, both high brakes."""

    def __init__(
        self,
        factory: PinSource,
        in1: Pin,
        in2: Pin,
        **standby: Unpack[StandbyPin],
    ) -> None:
        super().__init__(factory, {"in1": in1, "in2": in2}, **standby)

    def _duty_from_pins(self) -> float:
        return self.level("in1") - self.level("in2")


class InInPwmBridge(HBridge):
    """IN1/IN2 pick the direction, a PWM enable sets the duty (L298N ENA, TB6612 PWMA)."""

    def __init__(
        self,
        factory: PinSource,
        in1: Pin,
        in2: Pin,
        pwm: Pin,
        **standby: Unpack[StandbyPin],
    ) -> None:
        super().__init__(factory, {"in1": in1, "in2": in2, "pwm": pwm}, **standby)

    def _duty_from_pins(self) -> float:
        forward, backward = self.level("in1") > 0.5, self.level("in2") > 0.5
        if forward == backward:
            return 0.0
        return self.level("pwm") if forward else -self.level("pwm")


class PhaseEnableBridge(HBridge):
    """Phase/enable (Cytron MDD10A, DRV8838): DIR high is forward, PWM sets the duty."""

    def __init__(
        self,
        factory: PinSource,
        direction: Pin,
        pwm: Pin,
        **standby: Unpack[StandbyPin],
    ) -> None:
        super().__init__(factory, {"direction": direction, "pwm": pwm}, **standby)

    def _duty_from_pins(self) -> float:
        return self.level("pwm") if self.level("direction") > 0.5 else -self.level("pwm")


class L298N(InInPwmBridge):
    """One channel of an L298N board: IN1/IN2 + ENA (remove the ENA jumper to PWM it)."""


class TB6612(InInPwmBridge):
    """One channel of a TB6612FNG: AIN1/AIN2 + PWMA, with STBY as the optional enable."""


class DRV8833(InInBridge):
    """One channel of a DRV8833: AIN1/AIN2 both PWM, nSLEEP as the optional enable."""
