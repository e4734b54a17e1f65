"""The inspection API of the simulated-hardware process: what a test or the demo reads (duties,
their history, the rover's pose, an encoded wheel, pins, the controllers' own timeouts) and the
faults it injects (an I2C chip that NACKs, a serial cable pulled, a wheel loaded or blocked),
over JSON lines (tether.sim.lines).

Everything read here comes from the fakes themselves, so it stays true when the daemon dies.
"""

from __future__ import annotations

import dataclasses
import os
from typing import Any

from tether.fakes.wheel import WheelLoad
from tether.sim.hardware import SimHardware
from tether.sim.lines import Handler

#: What a test may change on a simulated wheel (tether.fakes.wheel.WheelLoad's fields).
WHEEL_KNOBS = tuple(field.name for field in dataclasses.fields(WheelLoad))


class Inspection:
    """The API's answers, each a small method over the sim process's fakes."""

    def __init__(self, hardware: SimHardware) -> None:
        self.hardware = hardware

    def handlers(self) -> dict[str, Handler]:
        """op name -> its handler, for tether.sim.lines.LineServer."""
        ops = ("hello", "duties", "history", "zero_since", "duty_at", "rover", "travelled",
               "pin", "pin_history", "nacking", "nack_next", "serial", "unplug", "replug",
               "unplug_after", "sizes", "wheel", "set_wheel")
        return {op: self._unpacking(getattr(self, op)) for op in ops}

    @staticmethod
    def _unpacking(method: Any) -> Handler:
        return lambda request: method(**request)

    # -- reading ------------------------------------------------------------------------------

    def hello(self) -> dict[str, Any]:
        """What there is to read: outputs, rovers, serial ports, I2C buses, and the pid."""
        hardware = self.hardware
        return {"pid": os.getpid(), "outputs": list(hardware.outputs),
                "rovers": list(hardware.rovers), "wheels": list(hardware.wheels),
                "ports": list(hardware.ports()),
                "buses": hardware.buses(), "pins": hardware.pigpiod is not None}

    def duties(self) -> dict[str, float]:
        """Every motor output's signed duty now."""
        return {name: output.duty for name, output in self.hardware.outputs.items()}

    def history(self, name: str, since: float | None = None) -> list[tuple[float, float]]:
        """(time, duty) of every change of one output (after `since`, if given)."""
        samples = list(self._output(name).history)
        return [(s.time, s.duty) for s in samples if since is None or s.time > since]

    def zero_since(self, names: list[str] | None = None) -> float | None:
        """When every named output (default: all) last reached 0, or None if one is not at 0."""
        outputs = [self._output(n) for n in (names or self.hardware.outputs)]
        times = [output.zero_since() for output in outputs]
        return None if any(t is None for t in times) else max(t for t in times if t is not None)

    def duty_at(self, name: str, time: float) -> float:
        """One output's duty at a past time."""
        duty: float = self._output(name).duty_at(time)
        return duty

    def rover(self, name: str, time: float | None = None) -> dict[str, float]:
        """A base's simulated rover (pose, wheel speeds, odometer) now or at a past time."""
        rover = self._rover(name)
        return dataclasses.asdict(rover.state() if time is None else rover.state_at(time))

    def travelled(self, name: str, since: float, until: float | None = None) -> float:
        """Path length (mm) the rover covered between two times (until: now)."""
        travelled: float = self._rover(name).travelled(since, until)
        return travelled

    def wheel(self, name: str) -> dict[str, Any]:
        """An encoded motor's simulated wheel now: its knobs (load, slope, battery, slip,
        blocked), speed and travel (mm on a base, revolutions on a lone motor)."""
        wheel = self._wheel(name)
        now = wheel.clock()
        return {**dataclasses.asdict(wheel.world), "speed": wheel.speed_at(now),
                "travel": wheel.travel_at(now)}

    def pin(self, gpio: int | str) -> dict[str, float]:
        """A fake pigpiod pin: its level, its state (duty if it pulses) and its mode."""
        pins = self._pins()
        return {"level": pins.level(gpio), "state": pins.state(gpio), "mode": pins.mode(gpio)}

    def pin_history(self, gpio: int | str) -> list[tuple[float, float]]:
        """(time, state) of every change of a fake pigpiod pin."""
        return [(c.time, c.state) for c in self._pins().history(gpio)]

    def serial(self, port: str) -> dict[str, Any]:
        """A serial port's fake controller: plugged, its own timeout (armed, s) and how often
        it fired, bytes received."""
        device = self._port(port)
        timeout = getattr(device, "timeout", getattr(device, "command_timeout", None))
        return {"plugged": device.plugged, "timeout": timeout, "timeouts": device.timeouts,
                "received": len(device.received), "path": device.path}

    def sizes(self) -> dict[str, int]:
        """What the fakes keep (samples, changes, bytes): flat over a long run, or a leak."""
        hardware = self.hardware
        pins = hardware.devices.get("pins")
        return {
            "duty_samples": sum(len(o.history) for o in hardware.outputs.values()),
            "rover_changes": sum(len(getattr(r, "_changes", ())) for r in hardware.rovers.values()),
            "pin_changes": 0 if pins is None else sum(len(pins.history(g)) for g in range(54)),
            "serial_bytes": sum(len(d.received) for d in hardware.ports().values()),
        }

    # -- injecting faults -------------------------------------------------------------------

    def nacking(self, bus: str, address: int, on: bool) -> None:
        """The chip at `address` NACKs every transfer (on) or answers again (off)."""
        target = self.hardware.bus_named(str(bus))
        (target.nacking.add if on else target.nacking.discard)(address)

    def nack_next(self, bus: str, address: int, count: int) -> None:
        """The chip at `address` NACKs its next `count` transfers (a glitch)."""
        self.hardware.bus_named(str(bus)).nack_next(address, count)

    def unplug(self, port: str) -> None:
        """Pull the port's cable: the pty vanishes until replug."""
        self._port(port).unplug()

    def replug(self, port: str) -> None:
        """Put the cable back: the same path opens again."""
        self._port(port).replug()

    def unplug_after(self, port: str, count: int) -> None:
        """Pull the cable once `count` more bytes have arrived (mid-packet if you like)."""
        self._port(port).unplug_after(count)

    def set_wheel(self, name: str, knob: str, value: float | bool) -> None:
        """Change one of a wheel's knobs (load, slope, battery, slip, blocked) from now on."""
        if knob not in WHEEL_KNOBS:
            raise KeyError(f"wheel knob {knob!r}: expected one of {', '.join(WHEEL_KNOBS)}")
        setattr(self._wheel(name), knob, value)

    # -- lookups that name what exists when they fail ----------------------------------------

    def _output(self, name: str) -> Any:
        return _named(self.hardware.outputs, name, "motor output")

    def _rover(self, name: str) -> Any:
        return _named(self.hardware.rovers, name, "rover ([[base]])")

    def _wheel(self, name: str) -> Any:
        return _named(self.hardware.wheels, name, "encoded motor's wheel")

    def _port(self, name: str) -> Any:
        return _named(self.hardware.ports(), name, "serial port")

    def _pins(self) -> Any:
        if self.hardware.pigpiod is None:
            raise KeyError("no GPIO pins: no motor of this config is on GPIO")
        return self.hardware.pigpiod.pins


def _named(found: dict[str, Any], name: str, what: str) -> Any:
    if name not in found:
        raise KeyError(f"{what} {name!r}: expected one of {', '.join(found) or 'none'}")
    return found[name]

