"""The PID on a first-order motor model: step response, no windup, no derivative kick."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tether.control import PID, PidGains
from tether.errors import InvalidCommand

DT = 0.01
TAU = 0.1  # the motor's time constant, seconds


def run(
    step: Callable[[float, float], float],
    setpoints: list[tuple[float, float]],
    gain: float = 1.0,
) -> list[tuple[float, float, float]]:
    """Drive a first-order plant (speed -> gain * output) with `step(setpoint, speed)` every
    DT; setpoints are (from_time, value). Returns (time, speed, output) samples."""
    end = setpoints[-1][0] + 3.0
    speed, t, samples = 0.0, 0.0, []
    while t < end:
        target = [value for start, value in setpoints if start <= t][-1]
        output = step(target, speed)
        speed += (gain * output - speed) * DT / TAU
        t += DT
        samples.append((t, speed, output))
    return samples


def test_proportional_only_settles_short_by_the_textbook_amount() -> None:
    pid = PID("left", PidGains(kp=4.0))
    samples = run(lambda sp, y: pid.update(sp, y, DT), [(0.0, 0.5)])
    assert samples[-1][1] == pytest.approx(0.5 * 4 / (1 + 4), rel=1e-3)  # 0.4, not 0.5


def test_pi_step_response_reaches_the_setpoint_without_much_overshoot() -> None:
    pid = PID("left", PidGains(kp=1.0, ki=10.0))
    samples = run(lambda sp, y: pid.update(sp, y, DT), [(0.0, 0.5)])
    settled = next(t for t, y, _ in samples if abs(y - 0.5) < 0.01)
    assert settled < 0.6
    assert max(y for _, y, _ in samples) < 0.5 * 1.10
    assert samples[-1][1] == pytest.approx(0.5, abs=1e-4)
    assert all(-1.0 <= out <= 1.0 for _, _, out in samples)


def test_a_long_saturation_does_not_wind_the_integral_up() -> None:
    """A loaded wheel (half speed at full power) asked for the impossible for 3 s, then for a
    reachable speed. While the output is saturated the integral stops where it saturates the
    output (1 - kp * 0.5 = 0.5), not at its limit (1.0), and the PID recovers as fast as from
    rest (0.56 s); a naive integral that kept growing takes 3.01 s."""
    gains = PidGains(kp=1.0, ki=10.0)
    pid = PID("left", gains, integral_limit=1.0)
    integrals: list[float] = []

    def clamped(sp: float, y: float) -> float:
        out = pid.update(sp, y, DT)
        integrals.append(pid.integral)
        return out

    naive_integral = [0.0]

    def naive(sp: float, y: float) -> float:
        naive_integral[0] += gains.ki * (sp - y) * DT
        return max(-1.0, min(1.0, gains.kp * (sp - y) + naive_integral[0]))

    plan = [(0.0, 1.0), (3.0, 0.25)]
    ours = recovery(run(clamped, plan, gain=0.5), 3.0, 0.25)
    theirs = recovery(run(naive, plan, gain=0.5), 3.0, 0.25)
    assert integrals[round(3.0 / DT) - 2] == pytest.approx(0.5, abs=0.01)
    assert ours < 1.0
    assert theirs > 2.5, "the scenario winds a naive integral up"


def test_the_integral_clamp_holds_on_a_blocked_wheel() -> None:
    """A blocked wheel never turns: the integral stops at integral_limit (0.3), below the
    headroom the saturated output would leave it (0.9 with kp * error = 0.1)."""
    pid = PID("left", PidGains(kp=0.1, ki=5.0), integral_limit=0.3)
    outputs = [pid.update(1.0, 0.0, DT) for _ in range(300)]
    assert pid.integral == pytest.approx(0.3)
    assert outputs[-1] == pytest.approx(0.4)


def test_a_saturated_loop_still_reaches_the_most_the_motor_can_give() -> None:
    """The integral grows into the headroom exactly: the output reaches 1.0, so the loaded
    wheel reaches its top speed (0.5), not a little under it."""
    pid = PID("left", PidGains(kp=1.0, ki=10.0))
    samples = run(lambda sp, y: pid.update(sp, y, DT), [(0.0, 1.0)], gain=0.5)
    assert samples[-1][2] == pytest.approx(1.0)
    assert samples[-1][1] == pytest.approx(0.5, rel=1e-3)


def recovery(samples: list[tuple[float, float, float]], after: float, target: float) -> float:
    """Seconds after `after` until the speed stays within 5 % of `target`."""
    outside = [t for t, y, _ in samples if t > after and abs(y - target) > 0.05 * target]
    return (max(outside) if outside else after) - after


def test_the_derivative_acts_on_the_measurement_so_a_setpoint_step_gives_no_kick() -> None:
    pid = PID("left", PidGains(kp=0.0, kd=0.1))
    assert pid.update(0.0, 0.0, DT) == 0.0
    assert pid.update(1.0, 0.0, DT) == 0.0
    assert pid.update(1.0, 0.02, DT) == pytest.approx(-0.1 * 0.02 / DT)


def test_feedforward_and_output_limits() -> None:
    pid = PID("left", PidGains(kp=1.0), output_min=-0.5, output_max=0.7)
    assert pid.update(0.3, 0.3, DT, feedforward=0.4) == pytest.approx(0.4)
    assert pid.update(5.0, 0.0, DT) == 0.7
    assert pid.update(-5.0, 0.0, DT) == -0.5


def test_reset_forgets_the_integral() -> None:
    pid = PID("left", PidGains(kp=0.0, ki=1.0))
    pid.update(1.0, 0.0, 0.5)
    assert pid.integral == pytest.approx(0.5)
    pid.reset()
    assert pid.integral == 0.0


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: PID("left", PidGains(kp=-0.1)), "pid 'left' kp=-0.1: expected a finite number"),
        (lambda: PID("left", PidGains(kp=1, ki=float("nan"))), "ki=nan: expected a finite"),
        (lambda: PID("left", PidGains(kp=1, kd=float("inf"))), "kd=inf: expected a finite"),
        (lambda: PID("left", PidGains(kp=1), integral_limit=-1), "integral_limit=-1"),
        (lambda: PID("left", PidGains(kp=1), output_min=1, output_max=1), "expected min < max"),
        (lambda: PID("left", PidGains(kp=1)).update(float("nan"), 0, DT), "setpoint=nan"),
        (lambda: PID("left", PidGains(kp=1)).update(1, float("inf"), DT), "measured=inf"),
        (lambda: PID("left", PidGains(kp=1)).update(1, 0, 0), "dt=0: expected a finite number > 0"),
    ],
)
def test_bad_gains_and_inputs_are_refused_naming_the_value(
    make: Callable[[], object], message: str
) -> None:
    with pytest.raises(InvalidCommand, match=message):
        make()
