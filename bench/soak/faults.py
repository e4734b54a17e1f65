"""Faults injected through the fakes' own switches: a base's stop() that raises (FaultyStop, in
front of the daemon's driver), and, in the simulated-hardware process through its inspection
API, a PCA9685 that NACKs its next transfers (FakeSMBus.nack_next) and a serial controller's port
unplugged and replugged (the fake device's unplug/replug)."""

from __future__ import annotations

import random
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from soak.rover import BASES, HAT_ADDRESS, SERIAL_PORTS

if TYPE_CHECKING:  # tether is imported when used: a client process loads none of the fakes
    from tether.fakes.faulty_stop import FaultyStop
    from tether.sim.client import SimBus, SimClient, SimSerialPort


@dataclass
class Faults:
    """Every fault the soak can inject; each is transient and bounded, as tether promises to
    ride out: a stop that raises fewer times than the retries, a NACK of at most 3 transfers,
    a serial unplug of at most 0.4 s (the controller's own timeout covers a stop it drops)."""

    robot: Any
    sim: SimClient
    stops: dict[str, FaultyStop] = field(default_factory=dict)
    bus: SimBus | None = None
    ports: dict[str, SimSerialPort] = field(default_factory=dict)
    replug_at: dict[str, float] = field(default_factory=dict)
    unplugs: dict[str, list[tuple[float, float]]] = field(default_factory=dict)
    counts: Counter[str] = field(default_factory=Counter)

    def install(self) -> None:
        """Find the switches: a FaultyStop in front of each GPIO base, the HAT's bus, the ports."""
        from tether.fakes.faulty_stop import FaultyStop

        for name, backend in BASES.items():
            if backend == "gpio":
                self.stops[name] = FaultyStop.install(self.robot.bases[name])
        self.bus = self.sim.buses["1"]
        self.ports = {port: self.sim.ports[port] for port in SERIAL_PORTS}

    def inject(self, base: str, rng: random.Random, now: float, when: str) -> str:
        """One fault on that base's hardware; its name."""
        backend = BASES[base]
        if backend == "gpio":
            self.stops[base].arm(rng.randint(1, 2))
            name = "stop-raises"
        elif backend == "hat":
            assert self.bus is not None
            self.bus.nack_next(HAT_ADDRESS, rng.randint(1, 3))
            name = "i2c-nack"
        else:
            self.unplug(base, now, rng.uniform(0.05, 0.4))
            name = "serial-unplug"
        self.counts[f"{name} ({when})"] += 1
        return name

    def unplug(self, port: str, now: float, seconds: float) -> None:
        """Yank the port's cable for a while."""
        if port in self.replug_at:
            return
        self.ports[port].unplug()
        self.replug_at[port] = now + seconds
        self.unplugs.setdefault(port, []).append((now, float("inf")))

    def tick(self, now: float) -> None:
        """Replug the ports whose time is up."""
        for port, due in list(self.replug_at.items()):
            if now >= due:
                self.ports[port].replug()
                del self.replug_at[port]
                start, _ = self.unplugs[port][-1]
                self.unplugs[port][-1] = (start, time.monotonic())
                del self.unplugs[port][:-8]

    def unplugged_near(self, port: str, start: float, end: float) -> bool:
        """Whether the port was out at any time in [start - 0.2, end + 0.2]."""
        return any(a <= end + 0.2 and b >= start - 0.2 for a, b in self.unplugs.get(port, []))

    def clear(self) -> None:
        """Replug everything and disarm every switch."""
        self.tick(float("inf"))
        for stop in self.stops.values():
            stop.arm(0)
        if self.bus is not None:
            self.bus.nack_next(HAT_ADDRESS, 0)
