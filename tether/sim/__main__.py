"""python -m tether.sim CONFIG        the simulated hardware of a rover config, until Ctrl-C
python -m tether.sim --owned        (what `tether serve --sim` starts) the config comes pickled
                                    on stdin; the process ends once its owner has closed stdin
                                    (or died) and nobody is connected to any of its sockets

Prints one line with every address when ready (tether.sim.addresses), then nothing.
"""

from __future__ import annotations

import argparse
import pickle
import signal
import sys
import threading
from collections.abc import Sequence
from types import FrameType

from tether.errors import TetherError
from tether.robot.build import TIME_CONSTANT
from tether.robot.config import RobotConfig, load_config
from tether.sim.hardware import SimHardware
from tether.sim.inspection import Inspection
from tether.sim.process import FAILED

#: How often (s) an owned process looks whether it is still needed.
LOOK_EVERY = 0.05


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tether.sim",
        description="The simulated hardware of a rover config in a process of its own: a fake "
        "pigpiod, a fake I2C bus, serial controllers on ptys, the rover model.",
    )
    parser.add_argument("config", nargs="?", help="the rover's TOML config")
    parser.add_argument("--owned", action="store_true",
                        help="read the config pickled from stdin; end when stdin closes and "
                        "nobody is connected")
    parser.add_argument("--time-constant", type=float, default=TIME_CONSTANT,
                        help="the simulated wheels' lag in seconds")
    arguments = parser.parse_args(argv)
    if (arguments.config is None) == (not arguments.owned):
        parser.error("give either CONFIG or --owned")
    return arguments


def _owned_config() -> RobotConfig:
    """The config its owner wrote on stdin: 8 bytes of length, then the pickle."""
    size = int.from_bytes(sys.stdin.buffer.read(8), "big")
    config = pickle.loads(sys.stdin.buffer.read(size))
    if not isinstance(config, RobotConfig):
        raise TypeError(f"stdin held a {type(config).__name__}: expected a RobotConfig")
    return config


def main(argv: Sequence[str] | None = None) -> int:
    """Serve until told to stop (or, owned, until nobody needs the hardware); 2 on a bad config,
    1 if a seam cannot be opened."""
    arguments = _arguments(argv)
    try:
        config = _owned_config() if arguments.owned else load_config(arguments.config)
        hardware = SimHardware(config, time_constant=arguments.time_constant)
    except TetherError as error:
        return _failed(str(error), arguments.owned, 2)
    try:
        addresses = hardware.serve(Inspection(hardware).handlers())
    except OSError as error:
        hardware.close()
        return _failed(f"{config.source}: [sim]: cannot open the simulated hardware's sockets: "
                       f"{error}", arguments.owned, 1)
    print(addresses.line(), flush=True)
    try:
        _serve(hardware, arguments.owned)
    finally:
        hardware.close()
    return 0


def _failed(message: str, owned: bool, code: int) -> int:
    """Say why the hardware could not start: to the owner in place of the ready line (it makes
    the one-line error), or on stderr."""
    if owned:
        print(f"{FAILED}{message}", flush=True)
    else:
        print(f"tether sim: {message}", file=sys.stderr)
    return code


def _serve(hardware: SimHardware, owned: bool) -> None:
    stopping = threading.Event()

    def stop(_signum: int, _frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, signal.SIG_IGN if owned else stop)
    owner_gone = threading.Event()
    if owned:
        def wait_for_owner() -> None:
            while sys.stdin.buffer.read(4096):
                pass
            owner_gone.set()

        threading.Thread(target=wait_for_owner, name="tether-sim-owner", daemon=True).start()
    while not stopping.wait(LOOK_EVERY):
        if owner_gone.is_set() and hardware.clients() == 0:
            return


if __name__ == "__main__":
    sys.exit(main())
