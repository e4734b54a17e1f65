"""The fake side of an encoder: it follows a simulated wheel and makes what the real encoder
would (edges on fake pins, or a fake controller's counts), so the real driver reads it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from tether.fakes.encoded_wheel import SimWheelCounts

if TYPE_CHECKING:
    from tether.fakes.pigpiod.signals import EdgeInputs, EncoderSignal
    from tether.fakes.roboclaw import FakeRoboClaw
    from tether.fakes.wheel import SimWheel


class FakeEncoder(Protocol):
    """An encoder's fake, made by its row's fake builder before the wheel it sits on exists;
    build_robot ties it to the wheel once the rover is built."""

    def follow(self, wheel: SimWheel, ticks_per_unit: float) -> None:
        """Count `ticks_per_unit` (signed: the shaft's direction) per unit of the wheel's
        travel, from now on."""
        ...

    def stop(self) -> None:
        """Stop counting (idempotent)."""
        ...


class PinEncoder:
    """A GPIO encoder's fake: its edges on the fake pins (in this process, or the fake
    pigpiod's), following the wheel's rotation at its real rate."""

    def __init__(self, pins: EdgeInputs, a: int, b: int | None = None, *, name: str) -> None:
        from tether.fakes.pigpiod.signals import EncoderSignal

        self.signal: EncoderSignal = EncoderSignal(pins, a, b, name=name)

    def follow(self, wheel: SimWheel, ticks_per_unit: float) -> None:
        """Send the wheel's edges from now on."""
        self.signal.follow(lambda when: wheel.travel_at(when) * ticks_per_unit)

    def stop(self) -> None:
        """Stop sending edges."""
        self.signal.stop()


class ControllerEncoder:
    """A fake RoboClaw channel's encoder: its counts come from the wheel the rover rolls on."""

    def __init__(self, controller: FakeRoboClaw, channel: int) -> None:
        self.controller, self.channel = controller, channel

    def follow(self, wheel: SimWheel, ticks_per_unit: float) -> None:
        """The controller's model reads the wheel from now on."""
        self.controller.wheels[self.channel] = SimWheelCounts(wheel, ticks_per_unit)

    def stop(self) -> None:
        """The controller is closed with the robot."""
