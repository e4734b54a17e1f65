"""python -m tether.guardian.observe [--hang-timeout S] < PULSE_PIPE

The guardian's hang rule without the kill: reads a daemon's pulse from stdin until EOF and
prints, in one line, how often the guardian would have killed it (a proof of life silent for
hang_timeout), the longest silence of each, and the beats heard. The soak runs it beside its
in-process daemon to count false kills under load; it is its own process, as the guardian is.
"""

from __future__ import annotations

import argparse
import os
import select
import sys
import time
from collections.abc import Sequence

from tether.guardian.pulse import Beats


def observe(fd: int, hang_timeout: float) -> str:
    """Read until EOF; the report line. Armed by the first beat; from then on the guardian's
    rule: a proof of life whose deadline (computed before the wait) has passed is a kill, even
    if a late beat arrives with it. One kill per silence: a source counted in a kill counts
    again only after it has beaten again (the guardian would have restarted the daemon)."""
    last: dict[bytes, float] = {}
    heard = dict.fromkeys(Beats.NAMES, 0)
    counted: set[bytes] = set()
    kills = 0
    longest = dict.fromkeys(Beats.NAMES, 0.0)
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    while True:
        due = {b: t + hang_timeout for b, t in last.items() if b not in counted}
        wait = max(0.0, min(due.values()) - time.monotonic()) * 1000 if due else None
        events = poller.poll(wait)
        now = time.monotonic()
        if events:
            data = os.read(fd, 4096)
            if not data:
                break
            if not last:
                last = dict.fromkeys(Beats.NAMES, now)
            for byte in Beats.NAMES:
                if byte in data:
                    longest[byte] = max(longest[byte], now - last[byte])
                    last[byte], heard[byte] = now, heard[byte] + data.count(byte)
                    counted.discard(byte)
        overdue = {b for b, deadline in due.items() if now >= deadline}
        if overdue:
            kills += 1  # the guardian would have SIGKILLed the daemon here
            counted |= set(Beats.NAMES) - {b for b in Beats.NAMES if last[b] == now}
    return (f"guardian kills (false, hang_timeout {hang_timeout * 1000:.0f} ms): {kills}; "
            "longest silence: " + ", ".join(f"{Beats.NAMES[b]} {s * 1000:.1f} ms"
                                            for b, s in longest.items())
            + f"; beats heard: { {Beats.NAMES[b]: n for b, n in heard.items()} }")


def main(argv: Sequence[str] | None = None) -> int:
    """Observe stdin; print the report line."""
    parser = argparse.ArgumentParser(prog="python -m tether.guardian.observe",
                                     description=(__doc__ or "").split("\n\n")[1])
    parser.add_argument("--hang-timeout", type=float, default=0.2)
    args = parser.parse_args(argv)
    print(observe(sys.stdin.fileno(), args.hang_timeout), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
