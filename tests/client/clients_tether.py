"""A tether.client script in a real process: drive inside a session, then sleep, hang or loop.

usage: clients_tether.py ADDRESS WINDOW [sleep|hang] [keepalive]
"sleep": the main thread sleeps (an app that stopped calling tether);
"keepalive": opt into the background heartbeat (the documented difference).
"""

from __future__ import annotations

import sys
import time

from tether.client import connect


def main(address: str, window: float, mode: str, keepalive: bool) -> None:
    with connect(address) as rover, rover.session(window, keepalive=keepalive):
        rover.base("base").set_power(0.5, 0.0)
        print("driving", flush=True)
        time.sleep(60 if mode in ("sleep", "hang") else 0)


if __name__ == "__main__":
    main(sys.argv[1], float(sys.argv[2]), sys.argv[3], "keepalive" in sys.argv[4:])
