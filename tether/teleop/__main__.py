"""`python -m tether.teleop drive|record-gamepad|demo`: the teleop commands before (and besides)
their `tether` subcommands."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from tether.errors import TetherError
from tether.teleop import cli


def main(argv: Sequence[str] | None = None) -> int:
    """Parse and run one teleop command."""
    parser = argparse.ArgumentParser(prog="python -m tether.teleop")
    parser.add_argument("-v", "--verbose", action="store_true", help="log teleop events")
    commands = parser.add_subparsers(dest="command", required=True)
    cli.add_drive_arguments(commands.add_parser("drive", help="gamepad or keyboard teleop"))
    cli.add_record_arguments(commands.add_parser("record-gamepad", help="record a pad's events"))
    demo = commands.add_parser("demo", help="replay a recorded drive through the full stack")
    cli.add_demo_arguments(demo)
    demo.add_argument("--window", type=float, default=0.5, help="heartbeat window in seconds")
    demo.add_argument("--hardware", default="gpio", help="which fake hardware to simulate")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING)
    try:
        if args.command == "drive":
            return cli.run_drive(args)
        if args.command == "record-gamepad":
            return cli.run_record(args)
        return cli.run_demo(args)
    except TetherError as exc:
        print(f"tether: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
