"""A PID for a motor's speed loop: gains, an integral clamp against windup, output limits."""

from __future__ import annotations

import math
from dataclasses import dataclass

from tether.contract.checks import check_finite
from tether.errors import InvalidCommand


def check_gain(value: object, where: str) -> float:
    """A finite number >= 0 (a negative gain turns the loop into a runaway), else
    InvalidCommand naming it."""
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or value < 0
    ):
        raise InvalidCommand(f"{where}={value!r}: expected a finite number >= 0")
    return float(value)


@dataclass(frozen=True, slots=True)
class PidGains:
    """kp per unit of error, ki per unit of error-second, kd per unit of error per second."""

    kp: float
    ki: float = 0.0
    kd: float = 0.0


class PID:
    """Output = feedforward + kp*e + clamp(ki*integral(e)) - kd*d(measured)/dt, within limits.

    The integral term is held within +/-``integral_limit`` and grows only into the headroom the
    rest of the output leaves, so a saturated output (a long stall) does not wind it up. The
    derivative acts on the measurement, not the error, so a setpoint step gives no kick. Not
    locked: one motor's control loop owns it.
    """

    def __init__(
        self,
        name: str,
        gains: PidGains,
        *,
        integral_limit: float = 1.0,
        output_min: float = -1.0,
        output_max: float = 1.0,
    ) -> None:
        where = f"pid {name!r}"
        self.name = name
        self.gains = PidGains(
            check_gain(gains.kp, f"{where} kp"),
            check_gain(gains.ki, f"{where} ki"),
            check_gain(gains.kd, f"{where} kd"),
        )
        self.integral_limit = check_gain(integral_limit, f"{where} integral_limit")
        low = check_finite(output_min, f"{where} output_min")
        high = check_finite(output_max, f"{where} output_max")
        if not low < high:
            raise InvalidCommand(
                f"{where} output limits [{output_min!r}, {output_max!r}]: expected min < max"
            )
        self.output_min, self.output_max = low, high
        self.integral = 0.0
        self._previous: float | None = None

    def reset(self) -> None:
        """Forget the integral and the last measurement (on stop, or a new command)."""
        self.integral = 0.0
        self._previous = None

    def update(
        self, setpoint: float, measured: float, dt: float, feedforward: float = 0.0
    ) -> float:
        """The output for this step of `dt` seconds."""
        where = f"pid {self.name!r}"
        target = check_finite(setpoint, f"{where} setpoint")
        now = check_finite(measured, f"{where} measured")
        forward = check_finite(feedforward, f"{where} feedforward")
        step = check_finite(dt, f"{where} dt")
        if step <= 0:
            raise InvalidCommand(f"{where} dt={dt!r}: expected a finite number > 0")
        error = target - now
        kp, ki, kd = self.gains.kp, self.gains.ki, self.gains.kd
        derivative = 0.0 if self._previous is None else -kd * (now - self._previous) / step
        self._previous = now
        fixed = forward + kp * error + derivative
        self.integral = self._integrate(ki * error * step, fixed)
        return max(self.output_min, min(self.output_max, fixed + self.integral))

    def _integrate(self, change: float, fixed: float) -> float:
        """The integral after adding `change`: within +/-integral_limit, and growing no further
        than the headroom the rest of the output leaves (it never pushes a saturated output
        further, and is never pulled back just because the rest moved)."""
        limit = self.integral_limit
        grown = max(-limit, min(limit, self.integral + change))
        if grown > self.integral:
            return min(grown, max(self.integral, self.output_max - fixed))
        if grown < self.integral:
            return max(grown, min(self.integral, self.output_min - fixed))
        return grown
