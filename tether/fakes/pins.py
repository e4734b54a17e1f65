"""A gpiozero pin factory whose every pin change is recorded with an absolute time."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from gpiozero.pins.mock import MockFactory, MockPWMPin

from tether.fakes.channel import MAX_HISTORY

PinListener = Callable[[str, float, float], None]


@dataclass(frozen=True, slots=True)
class PinChange:
    """The pin's level (0..1, a PWM duty or a digital 0/1) from `time` on."""

    time: float
    state: float


class FakePWMPin(MockPWMPin):  # type: ignore[misc]
    """gpiozero's MockPWMPin, plus absolute-time history and change listeners."""

    def __init__(self, factory: FakePinFactory, info: Any) -> None:
        self.history: list[PinChange] = []
        super().__init__(factory, info)
        self.history.append(PinChange(factory.clock(), float(self._state)))

    def _change_state(self, value: float) -> bool:
        changed: bool = super()._change_state(value)
        if changed:
            factory: FakePinFactory = self._factory
            now = factory.clock()
            self.history.append(PinChange(now, float(value)))
            if len(self.history) > MAX_HISTORY:
                del self.history[: MAX_HISTORY // 2]
            if len(self.states) > MAX_HISTORY:  # gpiozero's own list: an encoder input's edges
                del self.states[: MAX_HISTORY // 2]
            factory._notify(self.info.name, now, float(value))
        return changed

    def drive_at(self, level: int, when: float) -> None:
        """Drive this input to `level` as of `when` (factory clock seconds): the edge callback
        gets `when` as its ticks, as a pin library stamps an edge when it happened."""
        if self._function != "input":
            raise ValueError(f"pin {self.info.name} is an output: only inputs can be driven")
        rising = bool(level)
        if self._change_state(rising):
            self._last_change = when
            wanted = ("both", "rising") if rising else ("both", "falling")
            if self._edges in wanted and self._when_changed is not None:
                self._call_when_changed()


class FakePinFactory(MockFactory):  # type: ignore[misc]
    """A Pi 5 MockFactory (PWM on every pin) for CI; never chosen unless asked for by name."""

    def __init__(
        self, revision: str = "d04170", *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.clock = clock
        self._listeners: dict[str, list[PinListener]] = {}
        self._listeners_lock = threading.Lock()
        super().__init__(revision=revision, pin_class=FakePWMPin)

    def fake_pin(self, name: int | str) -> FakePWMPin:
        """The pin (created on first use) for a GPIO number or name."""
        pin: FakePWMPin = self.pin(name)
        return pin

    def state(self, name: int | str) -> float:
        """The pin's level now, as a float."""
        return float(self.fake_pin(name).state)

    def history(self, name: int | str) -> list[PinChange]:
        """Every level the pin had, with absolute times on the factory's clock."""
        return list(self.fake_pin(name).history)

    def level(self, name: int | str) -> int:
        """The pin's level now, 0 or 1 (a PWM output reads 1 while its duty is above 0)."""
        return int(self.fake_pin(name).state > 0)

    def drive_edges(self, name: int | str, edges: Iterable[tuple[float, int]]) -> None:
        """Drive an input through (time, level) steps, in order, each with its own time (an
        encoder's edges, as the fake pigpiod's drive_edges does)."""
        pin = self.fake_pin(name)
        for when, level in edges:
            pin.drive_at(level, when)

    def watch(self, names: Sequence[int | str], listener: PinListener) -> None:
        """Call listener(pin_name, time, state) after each change of any of these pins."""
        with self._listeners_lock:
            for name in names:
                key = self.fake_pin(name).info.name
                self._listeners.setdefault(key, []).append(listener)

    def assert_states(self, name: int | str, expected: Sequence[float]) -> None:
        """Assert the pin's whole history of levels, length included (gpiozero's check zips)."""
        actual = [change.state for change in self.fake_pin(name).history]
        if actual != [float(s) for s in expected]:
            raise AssertionError(
                f"pin {name!r} went through {actual} ({len(actual)} states), "
                f"expected {list(expected)} ({len(expected)} states)"
            )

    def _notify(self, pin_name: str, now: float, state: float) -> None:
        for listener in self._listeners.get(pin_name, ()):
            listener(pin_name, now, state)
