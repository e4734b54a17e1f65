"""Arguments and entry points for `tether drive`, `tether record-gamepad`, `tether demo --gamepad`.

tether/cli.py adds the subcommands with these helpers; `python -m tether.teleop` runs them too.
"""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from tether.errors import ConfigError, ConnectionLost
from tether.teleop.drive import Drive
from tether.teleop.settings import TeleopSettings
from tether.teleop_arguments import add_demo_arguments, add_drive_arguments, add_record_arguments

if TYPE_CHECKING:
    from tether.fakes.rover import FakeRover
    from tether.input.source import PadSource
    from tether.teleop.loop import Teleop

DEFAULT_ADDRESS = "127.0.0.1:8080"

__all__ = [
    "add_demo_arguments", "add_drive_arguments", "add_record_arguments", "open_drive",
    "run_demo", "run_drive", "run_record", "settings_from_args",
]


def settings_from_args(args: argparse.Namespace) -> TeleopSettings:
    """TeleopSettings from the drive arguments (each checked, errors name the option)."""
    return TeleopSettings(
        rate_hz=args.rate, deadzone=args.deadzone, expo=args.expo,
        max_linear=args.max_linear, max_angular=args.max_angular,
        turbo_linear=args.turbo_linear, turbo_angular=args.turbo_angular,
        deadman=args.deadman, turbo=args.turbo,
        pad_timeout=args.pad_timeout or None,
    )


@contextlib.contextmanager
def open_drive(
    address: str | None = None,
    *,
    sim: bool = False,
    config: str | None = None,
    base: str = "base",
    window: float = 0.5,
    api_key: str | None = None,
    tls: str | None = None,
) -> Iterator[tuple[Drive, FakeRover | None, str]]:
    """(drive, the sim rover or None, a description): a daemon's base, or one built here."""
    if address is not None and (sim or config):
        raise ConfigError(f"--address {address!r}: drives a daemon's rover; drop --sim/--config")
    if address is not None or not (sim or config):
        from tether.client import connect
        from tether.teleop.drive import client_drive

        target = address or DEFAULT_ADDRESS
        try:
            client = connect(target, api_key=api_key, tls=tls)
        except ConnectionLost as exc:
            raise ConnectionLost(f"no tether daemon answers at {target} ({exc.__cause__}); "
                                 "start one (tether serve) or drive in-process (--sim)") from exc
        with client as rover, client_drive(rover, base, window) as drive:
            yield drive, None, f"base {base!r} of the daemon at {target}"
        return
    from tether.config import load_config
    from tether.demo_configs import demo_config
    from tether.drivers.shutdown import stop_on_exit
    from tether.robot import build_robot
    from tether.session import SessionManager
    from tether.teleop.drive import local_drive

    robot = build_robot(load_config(config) if config else demo_config("gpio", window), sim=sim)
    try:
        if base not in robot.bases:
            raise ConfigError(f"--base {base!r}: expected one of {', '.join(robot.bases)}")
        if not robot.sim:
            stop_on_exit(*robot.bases.values(), *robot.motors.values())
        where = f"base {base!r} in-process" + (" on simulated hardware" if robot.sim else "")
        with SessionManager(robot.get) as manager, \
                local_drive(robot.bases[base], manager, window) as drive:
            yield drive, robot.rovers.get(base), where
    finally:
        robot.close()


class _Printer:
    """Print each new note and each status change once (a plain terminal, not curses)."""

    def __init__(self, say: Callable[[str], None]) -> None:
        self.say = say
        self.notes = 0
        self.status = ""

    def __call__(self, teleop: Teleop) -> None:
        notes = list(teleop.notes)
        for note in notes[self.notes:]:
            self.say(note.what)
        self.notes = len(notes)
        status = teleop.status()
        if status.split("  ")[0] != self.status:
            self.status = status.split("  ")[0]
            self.say(status)


def run_drive(args: argparse.Namespace, say: Callable[[str], None] = print) -> int:
    """`tether drive`: the gamepad or keyboard teleop, until Ctrl-C, q or --duration."""
    settings = settings_from_args(args)
    pad: PadSource | None = None
    if args.gamepad:
        from tether.input.evdev_backend import EvdevGamepad
        from tether.input.mapping import load_mapping

        mapping = load_mapping(args.mapping) if args.mapping else None
        if mapping is not None:
            settings.check_controls(mapping)
        pad = EvdevGamepad(args.device, mapping=mapping)
    try:
        with open_drive(
            args.address, sim=args.sim, config=args.config, base=args.base, window=args.window,
            api_key=args.api_key, tls=args.tls,
        ) as (drive, rover, where):
            if pad is None:
                from tether.teleop.keyboard import run_keyboard

                with contextlib.suppress(KeyboardInterrupt):
                    run_keyboard(drive, settings, key_timeout=args.key_timeout,
                                 duration=args.duration, title=f"tether keyboard teleop: {where}")
            else:
                _drive_gamepad(pad, drive, settings, duration=args.duration, where=where, say=say)
            if rover is not None:
                state = rover.state()
                say(f"simulated rover at x {state.x_mm:.0f} mm, y {state.y_mm:.0f} mm, "
                    f"odometer {state.odometer_mm:.0f} mm")
    finally:
        if pad is not None:
            pad.close()
    say("stopped")
    return 0


def _drive_gamepad(
    pad: PadSource, drive: Drive, settings: TeleopSettings, *, duration: float | None,
    where: str, say: Callable[[str], None],
) -> None:
    from tether.teleop.loop import Teleop

    say(f"gamepad teleop: {where}; hold {settings.deadman} to drive, {settings.turbo} for "
        "turbo; Ctrl-C to quit")
    with contextlib.suppress(KeyboardInterrupt):
        Teleop(pad, drive, settings).run(duration, on_tick=_Printer(say))


def run_record(args: argparse.Namespace) -> int:
    """`tether record-gamepad`: record until Ctrl-C or --duration."""
    from tether.input.recording import record_gamepad

    record_gamepad(args.output, device=args.device, mapping=args.mapping, duration=args.duration)
    return 0


def run_demo(args: argparse.Namespace) -> int:
    """`tether demo --gamepad [--recording FILE] [--window S] [--hardware H]`."""
    from tether.demo.gamepad import run_gamepad_demo

    result = run_gamepad_demo(args.recording, window=args.window, hardware=args.hardware)
    return 1 if result.moved_before_deadman or any(s.delay is None for s in result.stops) else 0
