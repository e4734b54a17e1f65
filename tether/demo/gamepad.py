"""`tether demo --gamepad`: replay a recorded drive through the whole stack and time the stops.

A fake pad replays the recording into the teleop loop, which drives tether's client, which
talks to a daemon (in --sim mode, on its own thread) over a real socket; the simulated rover's
wheel duties, read from the simulated-hardware process, tell when each stop really happened.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from tether.fakes.channel import DutyRecord
from tether.fakes.rover import RoverState
from tether.input.fake import FakeGamepad
from tether.input.recording import load_recording
from tether.teleop.loop import Note, Teleop
from tether.teleop.settings import TeleopSettings

STOP_CAUSES = ("deadman released", "pad disconnected", "pad silent")


def bundled_recording() -> Path:
    """The recording shipped in the package (the same as examples/recordings/demo_drive.txt)."""
    return Path(str(resources.files("tether.teleop") / "recordings" / "demo_drive.txt"))


def stopped_after(outputs: Iterable[DutyRecord], when: float) -> float | None:
    """The first time at or after `when` at which every output's duty was 0 (None: never)."""
    times = []
    for output in outputs:
        if output.duty_at(when) == 0.0:
            times.append(when)
            continue
        later = (s.time for s in output.history if s.time > when and s.duty == 0.0)
        found = next(later, None)
        if found is None:
            return None
        times.append(found)
    return max(times)


@dataclass(frozen=True)
class StopDelay:
    """One stop the teleop made: why, when (s from the start), and pad event -> duty 0 (s)."""

    why: str
    at: float
    delay: float | None


@dataclass(frozen=True)
class GamepadDemoResult:
    """The path (t, x mm, y mm, heading deg) sampled every tick, the stops, the end pose."""

    path: list[tuple[float, float, float, float]]
    stops: list[StopDelay]
    end: RoverState
    moved_before_deadman: bool
    notes: list[Note]


def _pose(state: RoverState, start: float) -> tuple[float, float, float, float]:
    heading = round(math.degrees(state.heading_rad), 1) + 0.0
    return (state.time - start, round(state.x_mm) + 0.0, round(state.y_mm) + 0.0, heading)


def run_gamepad_demo(
    recording: str | Path | None = None,
    *,
    window: float = 0.5,
    hardware: str = "gpio",
    settings: TeleopSettings | None = None,
    say: Callable[[str], None] = print,
) -> GamepadDemoResult:
    """Replay `recording` (default: the bundled one) via daemon + client onto the sim rover."""
    from tether.client import connect
    from tether.robot.presets import demo_config
    from tether.server.background import BackgroundDaemon
    from tether.teleop.drive import client_drive

    path = Path(recording) if recording is not None else bundled_recording()
    length = load_recording(path).duration
    settings = settings or TeleopSettings()
    daemon = BackgroundDaemon(demo_config(hardware, window), sim=True, listen="127.0.0.1:0")
    rover = daemon.sim.rovers["base"]
    outputs = list(daemon.sim.outputs.values())
    samples: list[tuple[float, float, float, float]] = []
    try:
        pad = FakeGamepad.replay(path)
        say(f"replaying {path.name} ({length:.1f} s) from a fake {pad.name!r} through tether's "
            f"client to the daemon at {daemon.address} (simulated {hardware} rover, session "
            f"window {window * 1000:.0f} ms, commands at {settings.rate_hz:g} Hz)")
        with connect(daemon.address) as client, client_drive(client, "base", window) as drive:
            teleop = Teleop(pad, drive, settings)
            start = time.monotonic()
            teleop.run(
                duration=length + 0.3,
                on_tick=lambda t: samples.append(_pose(rover.state(), pad.started or start)),
            )
            start = pad.started or start
        time.sleep(0.2)  # let the rover coast to rest
        end = rover.state()
        first_press = next(
            (n.time for n in teleop.notes if n.what.startswith("deadman pressed")), end.time
        )
        early = rover.travelled(since=start, until=first_press)
        stops = [
            StopDelay(n.what, n.time - start, _delay(outputs, n))
            for n in teleop.notes if n.what.startswith(STOP_CAUSES)
        ]
    finally:
        daemon.close()
    result = GamepadDemoResult(samples, stops, end, early > 0.5, list(teleop.notes))
    _report(result, start, say)
    return result


def _delay(outputs: Sequence[DutyRecord], note: Note) -> float | None:
    """The pad event (or, for a silent pad, its detection) -> every wheel at duty 0."""
    stopped = stopped_after(outputs, note.time)
    return None if stopped is None else stopped - note.time


def _report(result: GamepadDemoResult, start: float, say: Callable[[str], None]) -> None:
    say("    t s     x mm     y mm   heading  what happened")
    noted = sorted(result.notes, key=lambda n: n.time)
    shown = 0.0
    for t, x, y, heading in result.path:
        while noted and noted[0].time - start <= t:
            note = noted.pop(0)
            say(f"  {t:5.2f}  {x:7.0f}  {y:7.0f}  {heading:7.1f}°  {note.what}")
            shown = t
        if t - shown >= 0.5:
            say(f"  {t:5.2f}  {x:7.0f}  {y:7.0f}  {heading:7.1f}°")
            shown = t
    verdict = "it moved (a bug)" if result.moved_before_deadman else "nothing moved"
    say(f"turbo and full stick without the deadman: {verdict}")
    say("stop delays (pad event -> every wheel at duty 0):")
    for stop in result.stops:
        delay = "never stopped!" if stop.delay is None else f"{stop.delay * 1000:.1f} ms"
        say(f"  at {stop.at:5.2f} s  {delay:>10}  {stop.why}")
    end = result.end
    _, x, y, heading = _pose(end, 0.0)
    say(f"end pose: x {x:.0f} mm, y {y:.0f} mm, heading {heading:.0f}°, odometer "
        f"{end.odometer_mm:.0f} mm")
