"""Reading the simulated hardware from any process: duties, their history, the rover's pose, the
serial controllers' own timeouts; and injecting faults (an I2C NACK, a pulled serial cable).

``SimClient(address)`` connects to the inspection socket a sim process printed on its ready
line. Its outputs, rovers and encoded wheels read like the in-process fakes
(``outputs["left"].duty``, ``rovers["base"].state()``, ``wheels["left"].blocked = True``), each
read a round trip to the process that owns the fakes, so what
they say stays true after the daemon dies. When the client closes it keeps the outputs' last
readings, so a test can still ask what the wheels were left at after the process has gone.
"""

from __future__ import annotations

from typing import Any

from tether.fakes.channel import DutyChannel, DutySample
from tether.fakes.rover import RoverState
from tether.sim.lines import LineConnection


class SimClient:
    """The simulated hardware's inspection API, as objects."""

    def __init__(self, address: str, timeout: float = 10.0) -> None:
        self.address = address
        self._connection = LineConnection(address, timeout)
        self._last: dict[str, DutyChannel] | None = None
        try:
            hello = self.call("hello")
        except BaseException:
            self._connection.close()
            raise
        self.pid: int = hello["pid"]
        self.outputs = {name: SimOutput(self, name) for name in hello["outputs"]}
        self.rovers = {name: SimRoverView(self, name) for name in hello["rovers"]}
        self.wheels = {name: SimWheelView(self, name) for name in hello["wheels"]}
        self.ports = {name: SimSerialPort(self, name) for name in hello["ports"]}
        self.buses = {name: SimBus(self, name) for name in hello["buses"]}

    def call(self, op: str, **fields: Any) -> Any:
        """One request of the inspection API (tether.sim.inspection) and its answer."""
        return self._connection.call(op, **fields)

    @property
    def closed(self) -> bool:
        """Whether close() was called (reads then come from the last readings)."""
        return self._connection.closed

    def duties(self) -> dict[str, float]:
        """Every motor output's signed duty now."""
        if self._last is not None:
            return {name: channel.duty for name, channel in self._last.items()}
        found: dict[str, float] = self.call("duties")
        return found

    def moving(self) -> bool:
        """Any output with duty."""
        return any(duty != 0.0 for duty in self.duties().values())

    def zero_since(self, names: list[str] | None = None) -> float | None:
        """When every named output (default: all) last reached 0, or None while one has duty."""
        if self._last is not None:
            times = [self._last[n].zero_since() for n in (names or self._last)]
            return None if any(t is None for t in times) else max(t for t in times if t is not None)
        found: float | None = self.call("zero_since", names=names)
        return found

    def pin(self, gpio: int | str) -> dict[str, float]:
        """A fake pigpiod pin now: level, state (duty if it pulses), mode."""
        found: dict[str, float] = self.call("pin", gpio=gpio)
        return found

    def sizes(self) -> dict[str, int]:
        """What the fakes keep (samples, changes, bytes), for a leak check."""
        found: dict[str, int] = self.call("sizes")
        return found

    def last_reading(self, name: str) -> DutyChannel | None:
        """The output as it was when the client closed (None while it is open)."""
        return None if self._last is None else self._last[name]

    def close(self) -> None:
        """Keep every output's last readings, then hang up; idempotent, and quiet if the
        process has already gone (the last readings are then those of the last read)."""
        if self._last is None and not self.closed:
            try:
                self._last = {name: output.snapshot() for name, output in self.outputs.items()}
            except (ConnectionError, OSError):
                self._last = {}  # nothing more can be known
        self._connection.close()

    def __enter__(self) -> SimClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class SimOutput:
    """One motor output in the sim process; reads like a DutyChannel (a DutyRecord)."""

    def __init__(self, client: SimClient, name: str) -> None:
        self.client, self.name = client, name

    @property
    def duty(self) -> float:
        """Signed duty at the motor terminals now."""
        last = self.client.last_reading(self.name)
        return last.duty if last is not None else self.client.duties()[self.name]

    @property
    def history(self) -> list[DutySample]:
        """Every change of duty, oldest first."""
        return self.since(None)

    def since(self, when: float | None) -> list[DutySample]:
        """The changes after `when` (None: all)."""
        last = self.client.last_reading(self.name)
        if last is not None:
            return [s for s in last.history if when is None or s.time > when]
        samples = self.client.call("history", name=self.name, since=when)
        return [DutySample(t, d) for t, d in samples]

    def duty_at(self, when: float) -> float:
        """Signed duty at time `when`."""
        last = self.client.last_reading(self.name)
        if last is not None:
            return last.duty_at(when)
        found: float = self.client.call("duty_at", name=self.name, time=when)
        return found

    def zero_since(self) -> float | None:
        """When the duty last became 0, or None if it is not 0 now."""
        return self.client.zero_since([self.name])

    def snapshot(self) -> DutyChannel:
        """A DutyChannel holding this output's history as of now, in this process."""
        history = self.history
        channel = DutyChannel(history[0].time if history else 0.0)
        channel.history = history or channel.history
        return channel


class SimRoverView:
    """A base's simulated rover in the sim process; reads like a FakeRover."""

    def __init__(self, client: SimClient, name: str) -> None:
        self.client, self.name = client, name

    def state(self) -> RoverState:
        """The rover now."""
        return RoverState(**self.client.call("rover", name=self.name))

    def state_at(self, when: float) -> RoverState:
        """The rover at any time since it was built."""
        return RoverState(**self.client.call("rover", name=self.name, time=when))

    def travelled(self, since: float, until: float | None = None) -> float:
        """Path length in mm covered between two times (until defaults to now)."""
        found: float = self.client.call("travelled", name=self.name, since=since, until=until)
        return found


def _knob(name: str, doc: str) -> Any:
    """A SimWheelView property that reads and sets one of the wheel's knobs in the sim process."""

    def read(view: SimWheelView) -> Any:
        return view.state()[name]

    def write(view: SimWheelView, value: float | bool) -> None:
        view.client.call("set_wheel", name=view.name, knob=name, value=value)

    return property(read, write, doc=doc)


class SimWheelView:
    """An encoded motor's simulated wheel in the sim process; its knobs set like a SimWheel's
    (``wheel.load = 0.3``, ``wheel.blocked = True``), each change at the process's time of it."""

    load = _knob("load", "The fraction of speed the load takes (0: free).")
    slope = _knob("slope", "The fraction of top speed a climb takes while driven.")
    battery = _knob("battery", "The supply as a fraction of full charge.")
    slip = _knob("slip", "The fraction of the wheel's turning the ground does not follow.")
    blocked = _knob("blocked", "True while the wheel is held still (against a wall).")

    def __init__(self, client: SimClient, name: str) -> None:
        self.client, self.name = client, name

    def state(self) -> dict[str, Any]:
        """The knobs, speed and travel now (mm on a base, revolutions on a lone motor)."""
        found: dict[str, Any] = self.client.call("wheel", name=self.name)
        return found

    def speed(self) -> float:
        """Signed surface speed now (units/s)."""
        return float(self.state()["speed"])

    def travel(self) -> float:
        """Signed surface travel now (what the encoder counts, in wheel units)."""
        return float(self.state()["travel"])


class SimSerialPort:
    """A serial port's fake controller in the sim process: its state and its cable."""

    def __init__(self, client: SimClient, name: str) -> None:
        self.client, self.name = client, name

    def state(self) -> dict[str, Any]:
        """plugged, timeout (the controller's own, as armed, s), timeouts (times it fired),
        received (bytes), path."""
        found: dict[str, Any] = self.client.call("serial", port=self.name)
        return found

    @property
    def plugged(self) -> bool:
        """True while the port exists."""
        return bool(self.state()["plugged"])

    def unplug(self) -> None:
        """Pull the cable: the pty vanishes, writes fail, until replug()."""
        self.client.call("unplug", port=self.name)

    def replug(self) -> None:
        """Put the cable back at the same path."""
        self.client.call("replug", port=self.name)

    def unplug_after(self, count: int) -> None:
        """Pull the cable once `count` more bytes have arrived."""
        self.client.call("unplug_after", port=self.name, count=count)


class SimBus:
    """A fake I2C bus in the sim process: its chips' NACK switches."""

    def __init__(self, client: SimClient, name: str) -> None:
        self.client, self.name = client, name

    def start_nacking(self, address: int) -> None:
        """The chip at `address` NACKs every transfer until stop_nacking()."""
        self.client.call("nacking", bus=self.name, address=address, on=True)

    def stop_nacking(self, address: int) -> None:
        """The chip answers again."""
        self.client.call("nacking", bus=self.name, address=address, on=False)

    def nack_next(self, address: int, count: int) -> None:
        """NACK the chip's next `count` transfers (a glitch); 0 ends a glitch."""
        self.client.call("nack_next", bus=self.name, address=address, count=count)
