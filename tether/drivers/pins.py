"""gpiozero pin factories chosen by name and imported only when chosen."""

from __future__ import annotations

import importlib
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
        return factory_class(**options)
    except TypeError as exc:
        raise ConfigError(f"pin_factory={name!r} options {options!r}: {exc}") from exc
    except Exception as exc:
        raise HardwareError(f"pin_factory={name!r} could not start: {exc}") from exc
