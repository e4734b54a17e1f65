"""An acceleration limit for wheel power: commands ramp, stops never do."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

log = logging.getLogger("tether.drivers")

Wheels = tuple[float, float]


def step_toward(current: Wheels, target: Wheels, max_change: float) -> Wheels:
    """Move each wheel's power toward its target by at most max_change."""
    return (
        _approach(current[0], target[0], max_change),
        _approach(current[1], target[1], max_change),
    )


def _approach(value: float, target: float, max_change: float) -> float:
    if abs(target - value) <= max_change:
        return target
    return value + max_change if target > value else value - max_change


class PowerRamp:
    """Moves (left, right) power toward a target at `rate` per second on a thread of its own.

    Each step is applied while holding the device lock it is given, so a stop() that holds the
    same lock and calls cancel() can never be overtaken by a late ramp step.
    """

    def __init__(
        self,
        apply: Callable[[float, float], None],
        rate: float,
        device_lock: threading.RLock,
        *,
        on_error: Callable[[Exception], None],
        step: float = 0.02,
    ) -> None:
        self._apply = apply
        self._rate = rate
        self._device_lock = device_lock
        self._on_error = on_error
        self._step = step
        self._cond = threading.Condition()
        self._current: Wheels = (0.0, 0.0)
        self._target: Wheels = (0.0, 0.0)
        self._closed = False
        self._thread: threading.Thread | None = None

    @property
    def current(self) -> Wheels:
        """The power last applied."""
        return self._current

    def set_target(self, left: float, right: float) -> None:
        """Aim for (left, right); the first step is applied now (caller holds the device lock)."""
        with self._cond:
            self._target = (left, right)
            first = step_toward(self._current, self._target, self._rate * self._step)
            self._current = first
            if self._thread is None and not self._closed:
                self._thread = threading.Thread(target=self._run, name="tether-ramp", daemon=True)
                self._thread.start()
            self._cond.notify()
        self._apply(*first)

    def cancel(self) -> None:
        """Forget the target and treat the wheels as stopped (the caller writes the zeros)."""
        with self._cond:
            self._current = self._target = (0.0, 0.0)

    def close(self) -> None:
        """End the ramp thread."""
        with self._cond:
            self._closed = True
            self._cond.notify()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(1.0)

    def _run(self) -> None:
        last = time.monotonic()
        while True:
            with self._cond:
                while not self._closed and self._current == self._target:
                    self._cond.wait()
                    last = time.monotonic()
                if self._closed:
                    return
            time.sleep(self._step)
            with self._device_lock, self._cond:
                if self._closed:
                    return
                now = time.monotonic()
                elapsed = min(now - last, 2 * self._step)
                last = now
                nxt = step_toward(self._current, self._target, self._rate * elapsed)
                if nxt == self._current:
                    continue
                self._current = nxt
                try:
                    self._apply(*nxt)
                except Exception as exc:
                    self._current = self._target = (0.0, 0.0)
                    self._on_error(exc)
