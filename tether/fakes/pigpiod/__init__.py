"""A fake pigpiod: pigpio's socket protocol on TCP, so the real `pigpio` library and gpiozero's
PiGPIOFactory drive its pins, and H-bridge models turn those pins into motor duties.

Like pigpiod, it keeps every pin's PWM and level when a client disconnects or dies. Start it in a
test with ``FakePigpiod().start()`` (a free port on 127.0.0.1) or from a shell with
``python -m tether.fakes.pigpiod --port PORT --motor left=l298n:in1=5,in2=6,pwm=12``.
Importing it imports neither pigpio nor gpiozero.
"""

from __future__ import annotations

from tether.fakes.pigpiod.commands import CommandLog
from tether.fakes.pigpiod.gpio import Function, PigpioError, PigpioPins, PinChange
from tether.fakes.pigpiod.motors import MotorWiring, build_bridges
from tether.fakes.pigpiod.server import FakePigpiod
from tether.fakes.pigpiod.signals import SquareWave

__all__ = [
    "CommandLog",
    "FakePigpiod",
    "Function",
    "MotorWiring",
    "PigpioError",
    "PigpioPins",
    "PinChange",
    "SquareWave",
    "build_bridges",
]
