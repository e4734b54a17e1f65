"""The `tether` command line."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from tether import __version__
from tether.errors import TetherError

SIM_HARDWARE = ("gpio", "adafruit-hat", "waveshare-hat", "sabertooth", "roboclaw", "smc")


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tether", description=__doc__)
    parser.add_argument("--version", action="version", version=f"tether {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log session events")
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser(
        "demo", help="drive the simulated rover, drop the session, time the stop"
    )
    demo.add_argument("--window", type=float, default=0.25, help="heartbeat window in seconds")
    demo.add_argument(
        "--drive-time", type=float, default=1.0, help="seconds of heartbeating before going silent"
    )
    demo.add_argument(
        "--hardware", default="gpio", help="which fake to drive: " + ", ".join(SIM_HARDWARE)
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `tether` console script."""
    args = _build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        if args.command == "demo":
            from tether.demo import run_demo

            run_demo(window=args.window, drive_time=args.drive_time, hardware=args.hardware)
    except TetherError as exc:
        print(f"tether: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
