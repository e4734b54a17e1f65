"""The teleop loop: pad events in, a command out at a fixed rate, safe by construction.

- Motion only while the deadman is held, after a fresh press (a pad that connects, or comes
  back, with the deadman already held does not move the rover).
- Releasing the deadman or losing the pad (its device goes: unplugged, or dropped by the kernel
  when a wireless link times out) stops the base at once; the stop is repeated every tick until
  one is acknowledged. Silence is not loss: evdev reports changes only, so a stick held steady
  sends nothing; only an opt-in `pad_timeout` stops a pad silent that long while driving.
- Commands stream every period (not only on change): each one is also the session's heartbeat,
  and the pad is read by this same loop, so a hung pad driver (or a hung loop) stops sending and
  the session window stops the rover.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from tether.errors import ConnectionLost, SessionExpired, TetherError
from tether.input.events import ButtonChanged, Connected, Disconnected, PadEvent, PadState
from tether.input.source import PadSource
from tether.teleop.drive import Drive
from tether.teleop.settings import TeleopSettings
from tether.teleop.shaping import shape

log = logging.getLogger("tether.teleop")
HISTORY = 20_000


@dataclass(frozen=True, slots=True)
class Sent:
    """One call the teleop made: 'power' (with its values), 'stop' or 'heartbeat'."""

    time: float
    action: str
    linear: float = 0.0
    angular: float = 0.0
    ok: bool = True


@dataclass(frozen=True, slots=True)
class Note:
    """Something the driver should know about, and when it happened."""

    time: float
    what: str


class Teleop:
    """Reads a pad, drives a Drive; `run()` until a duration, a condition or `request_stop()`."""

    def __init__(
        self,
        pad: PadSource,
        drive: Drive,
        settings: TeleopSettings | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.pad = pad
        self.drive = drive
        self.settings = settings or TeleopSettings()
        self.clock = clock
        self.state = PadState()
        self.armed = False
        self.stop_pending = False
        self.lapsed = False
        self.command = (0.0, 0.0)
        self.sent: deque[Sent] = deque(maxlen=HISTORY)
        self.notes: deque[Note] = deque(maxlen=HISTORY)
        self._released_since_stop = True
        self._stop_requested = False

    # -- events ------------------------------------------------------------------------------

    def handle(self, event: PadEvent) -> None:
        """Fold one pad event in; a deadman release or an unplug stops the base right away."""
        self.state.apply(event)
        deadman = self.settings.deadman
        if isinstance(event, Connected):
            self.armed = False
            self._released_since_stop = deadman not in event.pressed
            self._note(event.time, f"pad connected: {event.name}")
        elif isinstance(event, Disconnected):
            self._released_since_stop = False
            self._safety_stop(event.time, f"pad disconnected ({event.reason}): stopping, "
                              "waiting for it to come back")
        elif isinstance(event, ButtonChanged) and event.button == deadman:
            if not event.pressed:
                self._released_since_stop = True
                if self.armed:
                    self._safety_stop(event.time, "deadman released: stopping")
            elif self._released_since_stop and self.state.connected:
                self.armed = True
                self._note(event.time, "deadman pressed: driving")

    # -- ticks -------------------------------------------------------------------------------

    def tick(self, now: float | None = None) -> None:
        """One stream period: a stop (until acknowledged), a command, or a heartbeat."""
        now = self.clock() if now is None else now
        self._check_silence_limit(now)
        if self.stop_pending:
            self._stop(now)
            self._heartbeat(now)
        elif self.armed and self.state.held(self.settings.deadman):
            turbo = self.state.held(self.settings.turbo)
            linear, angular = shape(
                self.state.axis(self.settings.linear_axis),
                self.state.axis(self.settings.angular_axis),
                self.settings, turbo=turbo,
            )
            self._power(now, linear, angular)
        else:
            self._heartbeat(now)

    def run(
        self,
        duration: float | None = None,
        until: Callable[[], bool] | None = None,
        on_tick: Callable[[Teleop], None] | None = None,
    ) -> None:
        """Read and stream until `duration` s pass, `until()` is true or request_stop(); stops."""
        period = self.settings.period
        start = self.clock()
        next_tick = start
        try:
            while not self._stop_requested and not (until is not None and until()):
                now = self.clock()
                if duration is not None and now - start >= duration:
                    break
                if now >= next_tick:
                    self.tick(now)
                    next_tick = max(next_tick + period, now + period / 2)
                    if on_tick is not None:
                        on_tick(self)
                    continue
                wait = next_tick - now
                if duration is not None:
                    wait = min(wait, start + duration - now)
                for event in self.pad.read(wait):
                    self.handle(event)
        finally:
            self._final_stop()

    def request_stop(self) -> None:
        """Make run() return (stopping the base) at its next iteration; thread-safe."""
        self._stop_requested = True

    def status(self) -> str:
        """One line for a terminal: what the rover is being told and why."""
        if not self.state.connected:
            return "STOPPED  waiting for the pad"
        if self.stop_pending:
            return "STOPPING"
        if self.armed and self.state.held(self.settings.deadman):
            linear, angular = self.command
            turbo = "  TURBO" if self.state.held(self.settings.turbo) else ""
            return f"DRIVING  linear {linear:+.2f}  angular {angular:+.2f}{turbo}"
        hint = "press" if self._released_since_stop else "release, then press"
        return f"STOPPED  {hint} the deadman ({self.settings.deadman}) to drive"

    # -- internals ---------------------------------------------------------------------------

    def _check_silence_limit(self, now: float) -> None:
        timeout = self.settings.pad_timeout
        last = self.state.last_event
        if timeout is None or last is None or not self.armed or self.command == (0.0, 0.0):
            return
        if now - last >= timeout:
            self._released_since_stop = False
            self._safety_stop(now, f"pad silent for {now - last:.2f} s while driving (pad_timeout "
                              f"{timeout:g} s): stopping (release and press the deadman to drive "
                              "again)")

    def _safety_stop(self, when: float, why: str) -> None:
        self.armed = False
        self.stop_pending = True
        self._note(when, why)
        self._stop(self.clock())

    def _stop(self, now: float) -> None:
        try:
            self.drive.stop()
        except ConnectionLost:
            raise
        except (TetherError, OSError) as exc:
            self.sent.append(Sent(now, "stop", ok=False))
            log.warning("stop not acknowledged (%s); repeating every tick", exc)
            return
        self.sent.append(Sent(now, "stop"))
        self.stop_pending = False
        self.command = (0.0, 0.0)

    def _power(self, now: float, linear: float, angular: float) -> None:
        try:
            self.drive.set_power(linear, angular)
        except SessionExpired:
            self._lapsed(now)
            return
        except ConnectionLost:
            raise
        except (TetherError, OSError) as exc:
            self.sent.append(Sent(now, "power", linear, angular, ok=False))
            self._released_since_stop = not self.state.held(self.settings.deadman)
            self._safety_stop(now, f"command failed ({exc}): stopping")
            return
        self.lapsed = False
        self.command = (linear, angular)
        self.sent.append(Sent(now, "power", linear, angular))

    def _heartbeat(self, now: float) -> None:
        if self.lapsed:
            return
        try:
            self.drive.heartbeat()
        except SessionExpired:
            self._lapsed(now)
            return
        self.sent.append(Sent(now, "heartbeat"))

    def _lapsed(self, now: float) -> None:
        self.lapsed = True
        self.armed = False
        self.command = (0.0, 0.0)
        self._released_since_stop = not self.state.held(self.settings.deadman)
        self._note(now, "session lapsed: the rover was stopped at its window "
                        "(release and press the deadman to drive again)")

    def _final_stop(self) -> None:
        try:
            self.drive.stop()
            self.sent.append(Sent(self.clock(), "stop"))
        except (TetherError, OSError) as exc:
            log.warning("final stop failed: %s", exc)
        self.armed = False
        self.command = (0.0, 0.0)

    def _note(self, when: float, what: str) -> None:
        self.notes.append(Note(when, what))
        log.info("%s", what)
