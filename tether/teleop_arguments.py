"""The arguments of `tether drive`, `tether record-gamepad` and `tether demo --gamepad`.

Every `tether` command builds every subcommand's parser, `tether serve` (the daemon and its
guardian) too: these helpers import only argparse, not the teleop stack (on a Pi's CPU share,
that import is most of a second of the daemon's start). tether.teleop.cli re-exports them.
"""

from __future__ import annotations

import argparse


def add_drive_arguments(parser: argparse.ArgumentParser) -> None:
    """`tether drive --gamepad|--keyboard [--address ADDR | --sim | --config FILE] ...`."""
    how = parser.add_mutually_exclusive_group(required=True)
    how.add_argument("--gamepad", action="store_true", help="drive with a gamepad (evdev)")
    how.add_argument("--keyboard", action="store_true", help="drive from this terminal")
    where = parser.add_argument_group("which rover (default: the daemon at 127.0.0.1:8080)")
    where.add_argument("--address", help="a tether daemon: HOST:PORT or unix:PATH")
    where.add_argument("--sim", action="store_true",
                       help="in-process, on fake hardware (the demo rover, or --config's)")
    where.add_argument("--config", help="in-process: build this rover config here and drive it")
    where.add_argument("--base", default="base", help="the base to drive (default: base)")
    where.add_argument("--window", type=float, default=0.5,
                       help="session heartbeat window in seconds (default 0.5)")
    where.add_argument("--api-key", help="ID:SECRET for a daemon that needs keys")
    where.add_argument("--tls", help="CA or self-signed certificate of the daemon (PEM)")
    pad = parser.add_argument_group("gamepad")
    pad.add_argument("--device", help="pad name (substring) or /dev/input/eventN; default: first")
    pad.add_argument("--mapping", help="a mapping file (TOML) for pads tether does not know")
    pad.add_argument("--deadman", default="lb", help="deadman button (default lb)")
    pad.add_argument("--turbo", default="rb", help="turbo button, needs the deadman too (rb)")
    pad.add_argument("--deadzone", type=float, default=0.1, help="radial deadzone (0.1)")
    pad.add_argument("--expo", type=float, default=0.3, help="expo curve 0..1 (0.3)")
    pad.add_argument("--pad-timeout", type=float, default=0.0,
                     help="stop if the pad is silent this long while driving, for a receiver "
                     "that hides a lost pad; also stops a stick held steady that long; "
                     "0: off (default)")
    drive = parser.add_argument_group("driving")
    drive.add_argument("--rate", type=float, default=20.0, help="commands per second (20)")
    drive.add_argument("--max-linear", type=float, default=0.5, help="power limit (0.5)")
    drive.add_argument("--max-angular", type=float, default=0.5, help="turning limit (0.5)")
    drive.add_argument("--turbo-linear", type=float, default=1.0, help="with turbo (1.0)")
    drive.add_argument("--turbo-angular", type=float, default=0.8, help="with turbo (0.8)")
    drive.add_argument("--key-timeout", type=float, default=0.6,
                       help="keyboard: stop this long after the last key (0.6)")
    drive.add_argument("--duration", type=float, help="stop and exit after this many seconds")


def add_record_arguments(parser: argparse.ArgumentParser) -> None:
    """`tether record-gamepad OUTPUT [--device D] [--mapping F] [--duration S]`."""
    parser.add_argument("output", help="file to write ('-' for stdout)")
    parser.add_argument("--device", help="pad name (substring) or /dev/input/eventN")
    parser.add_argument("--mapping", help="a mapping file (TOML)")
    parser.add_argument("--duration", type=float, help="stop after this many seconds")


def add_demo_arguments(parser: argparse.ArgumentParser) -> None:
    """The options `tether demo --gamepad` adds (tether demo already has --window, --hardware)."""
    parser.add_argument("--gamepad", action="store_true",
                        help="replay a recorded gamepad drive through daemon, client and sim")
    parser.add_argument("--recording", help="with --gamepad: replay this file instead")
