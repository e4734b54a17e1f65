"""A stand-in daemon for the guardian's tests: it drives a fake pigpiod's pins, beats like the
real daemon (or, told to, stops beating one way or another), and says READY.

    python child.py HOST PORT MODE     MODE: beat | no-loop-beats | no-watchdog-beats |
                                             never-ready | exit-at-once | stop-on-term |
                                             heavy (beat, with 400 MiB written: a slow teardown)
"""

from __future__ import annotations

import signal
import sys
import threading
import time

import pigpio

from tether.guardian.pulse import LOOP, READY, STOPPING, WATCHDOG, Pulse


def main() -> int:
    host, port, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    if mode == "exit-at-once":
        return 2
    pulse = Pulse.from_environ()
    assert pulse is not None, "started without a guardian"
    pulse.die_with_guardian()
    if mode == "heavy":
        held = bytearray(400 << 20)
        held[::4096] = b"\x01" * len(range(0, len(held), 4096))  # every page resident
    pulse.start_sentinels()
    pi = pigpio.pi(host, port)
    pi.set_PWM_dutycycle(12, 128)
    pi.write(5, 1)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    if mode == "never-ready":
        time.sleep(60)
    beats = {"no-loop-beats": WATCHDOG, "no-watchdog-beats": LOOP}.get(mode, LOOP + WATCHDOG)
    pulse.send(beats + READY)
    print("child: ready", flush=True)
    while not stop.is_set():
        pulse.send(beats)
        time.sleep(pulse.every)
    pulse.send(STOPPING)
    pi.write(12, 0)  # a graceful end stops its own outputs
    pi.write(5, 0)
    pi.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
