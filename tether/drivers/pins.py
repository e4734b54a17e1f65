"""gpiozero pin factories chosen by name and imported only when chosen."""

from __future__ import annotations

import functools
import importlib
import sys
from collections.abc import Callable
from typing import Any

from tether.errors import ConfigError, HardwareError

#: Factory name -> (module, class). lgpio is the one that works on a Pi 5 and current Pi OS;
#: mock is tether's recording fake and is never a default.
_FACTORIES = {
    "lgpio": ("gpiozero.pins.lgpio", "LGPIOFactory"),
    "pigpio": ("gpiozero.pins.pigpio", "PiGPIOFactory"),
    "rpigpio": ("gpiozero.pins.rpigpio", "RPiGPIOFactory"),
    "mock": ("tether.fakes.pins", "FakePinFactory"),
}
PIN_FACTORIES = tuple(_FACTORIES)
DEFAULT_PIN_FACTORY = "lgpio"


def pins_over_a_socket(factory: Any) -> bool:
    """True for gpiozero's PiGPIOFactory: every pin write is a round trip to the pigpiod
    process, which can keep the caller waiting as long as that process is not scheduled."""
    module = sys.modules.get("gpiozero.pins.pigpio")
    return module is not None and isinstance(factory, module.PiGPIOFactory)


def off_writer(device: Any) -> Callable[[], None]:
    """The quickest call that turns a gpiozero output device off. On pigpio that is one request
    to pigpiod: gpiozero's off() first asks for the pin's mode, or its PWM range and duty (two or
    three round trips, each a wait for another process on a stop path); elsewhere, off()."""
    factory: Any = getattr(device, "pin_factory", None)
    if not pins_over_a_socket(factory) or not device.active_high:
        return device.off  # type: ignore[no-any-return]
    from gpiozero import PWMOutputDevice

    pi, gpio = factory.connection, int(device.pin.info.name.removeprefix("GPIO"))
    if isinstance(device, PWMOutputDevice):  # duty 0 ends the pulses and leaves the pin low
        return functools.partial(pi.set_PWM_dutycycle, gpio, 0)
    return functools.partial(pi.write, gpio, 0)


def make_pin_factory(name: str = DEFAULT_PIN_FACTORY, **options: Any) -> Any:
    """Build the named gpiozero pin factory, importing its backend only now."""
    if name not in _FACTORIES:
        raise ConfigError(f"pin_factory={name!r}: expected one of {', '.join(PIN_FACTORIES)}")
    module_name, class_name = _FACTORIES[name]
    try:
        factory_class = getattr(importlib.import_module(module_name), class_name)
    except ImportError as exc:  # the name is right; this machine lacks its library
        raise HardwareError(
            f"pin_factory={name!r} is not installed ({exc}); install it with "
            "pip install 'tether[pi]'"
        ) from exc
    try:
        factory = factory_class(**options)
    except TypeError as exc:
        raise ConfigError(f"pin_factory={name!r} options {options!r}: {exc}") from exc
    except Exception as exc:
        raise HardwareError(f"pin_factory={name!r} could not start: {exc}") from exc
    if name == "pigpio":
        end_notifications_on_hangup(factory.connection)
    return factory


def end_notifications_on_hangup(pi: Any) -> None:
    """Make a pigpio.pi's notification thread end when its daemon closes the socket.

    pigpio.py's thread loops on ``recv`` while its ``go`` flag is set; once pigpiod (real or
    tether's fake) has gone, recv returns nothing at once, for ever: the thread spins at 100 %
    CPU until the process exits. Here the socket it reads tells the thread to stop instead."""
    notify = getattr(pi, "_notify", None)
    if notify is not None and not isinstance(notify.sl.s, _HangupAware):
        notify.sl.s = _HangupAware(notify.sl.s, notify)


class _HangupAware:
    """pigpio.py's notification socket: an empty read (or a reset) ends the reading thread."""

    def __init__(self, sock: Any, thread: Any) -> None:
        self._sock, self._thread = sock, thread

    def recv(self, size: int) -> bytes:
        """What the daemon sent; on a hangup, nothing, and the thread's flag cleared."""
        try:
            data: bytes = self._sock.recv(size)
        except OSError:
            data = b""
        if not data:
            self._thread.go = False
        return data

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)
