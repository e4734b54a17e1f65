"""python -m tether.fakes.pigpiod --port PORT [--motor NAME=CHIP:role=pin,...] [--config FILE]

Prints one line with its address when ready (``fake pigpiod listening on 127.0.0.1:8888 ...``),
then one line per duty change of each named motor, until SIGTERM or SIGINT.
"""

from __future__ import annotations

import argparse
import queue
import signal
import sys
import threading
from collections.abc import Sequence
from types import FrameType

import tether.fakes.pigpiod.protocol as pp
from tether.errors import ConfigError
from tether.fakes.channel import DutyListener
from tether.fakes.pigpiod.motors import (
    MotorWiring,
    build_bridges,
    wiring_from_file,
    wiring_from_option,
)
from tether.fakes.pigpiod.server import FakePigpiod


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tether.fakes.pigpiod",
        description="A fake pigpio daemon: pigpio.pi() and gpiozero's PiGPIOFactory drive its "
        "pins, and the H-bridge models named here turn them into motor duties.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=pp.DEFAULT_PORT,
                        help="port to listen on (0: a free one); default 8888 as pigpiod")
    parser.add_argument("--motor", action="append", default=[], metavar="NAME=CHIP:ROLE=PIN,...",
                        help="a motor's H-bridge model, e.g. left=l298n:in1=5,in2=6,pwm=12 "
                        "(chips: l298n, tb6612, drv8833, phase_enable); repeat per motor")
    parser.add_argument("--config", help="a TOML file of [motors.NAME] tables with the same keys")
    parser.add_argument("--quiet", action="store_true", help="print only the ready line")
    return parser.parse_args(argv)


def _wirings(arguments: argparse.Namespace) -> list[MotorWiring]:
    wirings = wiring_from_file(arguments.config) if arguments.config else []
    wirings += [wiring_from_option(text) for text in arguments.motor]
    names = [w.name for w in wirings]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ConfigError(f"motor name(s) {', '.join(repeated)} given more than once")
    return wirings


def _printer(name: str, daemon: FakePigpiod, lines: queue.Queue[str]) -> DutyListener:
    """Queue a line per duty change (printed by the main thread, so a slow pipe stalls no pin)."""

    def put(when: float, duty: float) -> None:
        lines.put(f"motor {name} duty {duty:+.4f} tick {daemon.pins.tick(when)}")

    return put


def main(argv: Sequence[str] | None = None) -> int:
    """Serve until told to stop; 2 on a bad option, 1 if the port cannot be had."""
    arguments = _arguments(argv)
    try:
        wirings = _wirings(arguments)
    except ConfigError as error:
        print(f"fake pigpiod: {error}", file=sys.stderr)
        return 2
    daemon = FakePigpiod(arguments.host, arguments.port)
    lines: queue.Queue[str] = queue.Queue()
    for name, bridge in build_bridges(daemon.pins, wirings).items():
        if not arguments.quiet:
            bridge.subscribe(_printer(name, daemon, lines))
    try:
        daemon.start()
    except OSError as error:
        print(f"fake pigpiod: cannot listen on {arguments.host}:{arguments.port}: {error}",
              file=sys.stderr)
        return 1
    motors = "; ".join(w.describe() for w in wirings) or "none"
    print(f"fake pigpiod listening on {daemon.address} (motors: {motors})", flush=True)
    stopping = threading.Event()

    def stop(_signum: int, _frame: FrameType | None) -> None:
        stopping.set()
        lines.put("")

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    while not stopping.is_set():
        try:
            line = lines.get(timeout=0.5)
        except queue.Empty:
            continue
        if line:
            print(line, flush=True)
    daemon.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
