"""Contract-suite rigs for GpioMotor through the real pigpio library and gpiozero's PiGPIOFactory,
against the fake pigpiod over TCP: no mock pin factory on this path.

Each rig's cleanup fails the test if the fake refused any command gpiozero sent; COMMANDS_SEEN
adds up what was sent over the whole run.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from gpiozero.pins.pigpio import PiGPIOFactory

from tests.drivers.rigs import MotorRig
from tether.drivers.gpio import GpioMotor
from tether.fakes.hbridge import DRV8833, L298N, TB6612, HBridge, PhaseEnableBridge, PinSource
from tether.fakes.pigpiod import FakePigpiod

#: Requests per pigpio command name, over every pigpio rig of the run.
COMMANDS_SEEN: Counter[str] = Counter()
#: gpiozero sets every PWM pin's range to 10000, so duties are multiples of 1/10000.
PWM_STEP = 1 / 10_000


def _pigpio_rig(
    chip: Callable[[PinSource], HBridge], pins: dict[str, Any], options: dict[str, Any]
) -> MotorRig:
    daemon = FakePigpiod().start()
    factory: PiGPIOFactory | None = None
    try:
        bridge = chip(daemon.pins)
        factory = PiGPIOFactory(host=daemon.host, port=daemon.port)
        motor = GpioMotor("m", pin_factory=factory, **pins, **options)
    except BaseException:
        if factory is not None:
            factory.close()
        daemon.stop()
        raise
    used = list(pins.values())

    def activity() -> int:
        return sum(len(daemon.history(pin)) for pin in used)

    def cleanup() -> None:
        factory.close()  # the client first: pigpio.py spins on a socket its daemon closed
        daemon.wait_for_clients(0)
        daemon.stop()
        COMMANDS_SEEN.update(daemon.log.seen())
        refused = daemon.log.refused()
        assert not refused, f"the fake pigpiod answered PI_UNKNOWN_COMMAND to {refused}"

    return MotorRig(motor, lambda: bridge.duty, activity, PWM_STEP, cleanup)


RIGS: dict[str, Callable[..., MotorRig]] = {
    "pigpio-in1_in2": lambda **options: _pigpio_rig(
        lambda pins: DRV8833(pins, 5, 6), {"in1": 5, "in2": 6}, options
    ),
    "pigpio-in1_in2_pwm": lambda **options: _pigpio_rig(
        lambda pins: L298N(pins, 5, 6, 12), {"in1": 5, "in2": 6, "pwm": 12}, options
    ),
    "pigpio-in1_in2_pwm+standby": lambda **options: _pigpio_rig(
        lambda pins: TB6612(pins, 5, 6, 12, enable=25),
        {"in1": 5, "in2": 6, "pwm": 12, "enable": 25},
        options,
    ),
    "pigpio-dir_pwm+active_low_enable": lambda **options: _pigpio_rig(
        lambda pins: PhaseEnableBridge(pins, 5, 12, enable=25, enable_active_high=False),
        {"direction": 5, "pwm": 12, "enable": 25},
        {"enable_active_high": False, **options},
    ),
}
