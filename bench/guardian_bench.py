"""What the guardian buys: daemon death and hang -> every output at duty 0, with and without it.

Each run starts `tether serve --sim` on a rover whose hardware outlives it (the
simulated-hardware process: two GPIO motors on the fake pigpiod through the real pigpio library,
two on a PCA9685 HAT on the fake I2C bus, a Sabertooth, a RoboClaw and an SMC on ptys;
tests/faults/guarded_rig.py), drives all seven outputs at 0.5 from a client, then kills or hangs
the daemon and reads from the fakes' histories when the last output reached 0. The baseline is
the same run with `--no-guardian`.

Run: python bench/guardian_bench.py [--quick] [--runs N]
"""

from __future__ import annotations

import argparse
import os
import select
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.faults.guarded_rig import (
    Hardware,
    all_safe_after,
    driving,
    gone,
    until,
)
from tether.demo.guardian import SERVING

GPIO_NAMES, HAT_NAMES, SERIAL_NAMES = ("left", "right"), ("hat_left", "hat_right"), \
    ("saber", "claw", "smc")


def _p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]


def _percentiles(values: list[float]) -> str:
    ordered = sorted(values)
    return (f"p50 {statistics.median(ordered) * 1000:.1f} ms, p99 {_p99(values) * 1000:.1f} ms, "
            f"max {ordered[-1] * 1000:.1f} ms")


def _verdict(values: list[float], target: float) -> str:
    return "MET" if _p99(values) <= target else "MISSED"


def _runs(count: int, once: Callable[[Hardware], float], restart: str = "never") -> list[float]:
    results = []
    for _ in range(count):
        with tempfile.TemporaryDirectory() as tmp:
            hardware = Hardware(Path(tmp), restart=restart)
            try:
                results.append(once(hardware))
            finally:
                hardware.close()
    return results


class GuardedDeath:
    """SIGKILL the guarded daemon: seconds until every output read 0, until the kernel had torn
    the process down (its pidfd readable: nobody can know of the death sooner), and per family."""

    def __init__(self) -> None:
        self.teardown: list[float] = []
        self.gpio: list[float] = []
        self.hat: list[float] = []
        self.serial: list[float] = []

    def __call__(self, hardware: Hardware) -> float:
        with driving(hardware) as serve:
            pidfd = os.pidfd_open(serve.daemon_pid)
            try:
                died = time.monotonic()
                os.kill(serve.daemon_pid, signal.SIGKILL)
                select.select([pidfd], [], [], 5.0)
                self.teardown.append(time.monotonic() - died)
            finally:
                os.close(pidfd)
            delay = all_safe_after(hardware, died)
            zero = hardware.zero_since()
            self.gpio.append(max(zero[n] or died for n in GPIO_NAMES) - died)
            self.hat.append(max(zero[n] or died for n in HAT_NAMES) - died)
            self.serial.append(max(zero[n] or died for n in SERIAL_NAMES) - died)
            return delay


def guarded_hang(hardware: Hardware) -> float:
    """SIGSTOP the guarded daemon; seconds until every output read 0."""
    with driving(hardware) as serve:
        hung = time.monotonic()
        os.kill(serve.daemon_pid, signal.SIGSTOP)
        return all_safe_after(hardware, hung)


class Unguarded:
    """SIGKILL the daemon alone: what is still driven after 1 s, when the serial ones stopped."""

    def __init__(self) -> None:
        self.gpio_driven = 0
        self.serial_stops: list[float] = []

    def __call__(self, hardware: Hardware) -> float:
        with driving(hardware, guardian=False) as serve:
            died = time.monotonic()
            os.kill(serve.daemon_pid, signal.SIGKILL)
            time.sleep(1.0)
            duties, zero = hardware.duties(), hardware.zero_since()
            self.gpio_driven += sum(duties[n] > 0.4 for n in (*GPIO_NAMES, *HAT_NAMES))
            stopped = [zero[n] for n in ("saber", "claw")]
            self.serial_stops += [t - died for t in stopped if t is not None]
            return 0.0


def restart_to_serving(hardware: Hardware) -> float:
    """SIGKILL a guarded daemon with restart = always; seconds until the new one serves."""
    with driving(hardware) as serve:
        before = sum(bool(SERVING.search(line)) for line in serve.lines)
        died = time.monotonic()
        os.kill(serve.daemon_pid, signal.SIGKILL)
        gone(serve.daemon_pid)
        until(lambda: sum(bool(SERVING.search(line)) for line in serve.lines) > before, 30,
              lambda: "no second daemon served:\n" + "".join(serve.lines))
        return time.monotonic() - died


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="5 runs of each, for a smoke run")
    parser.add_argument("--runs", type=int, default=20, help="runs of each fault (default 20)")
    args = parser.parse_args()
    runs = 5 if args.quick else args.runs
    print(f"guardian bench: {runs} runs of each fault, python {sys.version.split()[0]}, "
          f"{os.cpu_count()} CPUs; on the simulated-hardware process: 2 GPIO motors (pigpio), 2 "
          f"on a PCA9685 HAT, a Sabertooth, a RoboClaw (both with a 0.6 s serial timeout) and an "
          f"SMC; default hang_timeout 0.2 s")
    unguarded = Unguarded()
    _runs(runs, unguarded)
    death = GuardedDeath()
    deaths = _runs(runs, death)
    print(f"1. daemon SIGKILL -> every output at duty 0, with the guardian: "
          f"{_percentiles(deaths)}   target p99 <= 10 ms: {_verdict(deaths, 0.010)}; "
          f"baseline without it: "
          f"{unguarded.gpio_driven} of {4 * runs} GPIO and HAT wheels still at 0.5 after 1 s "
          f"(never stopped), serial controllers stopped by their own timeout at "
          f"{_percentiles(unguarded.serial_stops)}")
    print(f"2. the kernel's teardown of the killed daemon (SIGKILL -> its pidfd readable; the "
          f"guardian does not wait for it, it watches the daemon's sentinel threads): "
          f"{_percentiles(death.teardown)}; "
          f"GPIO wheels at 0: {_percentiles(death.gpio)}; HAT wheels at 0: "
          f"{_percentiles(death.hat)}; serial controllers at 0: "
          f"{_percentiles(death.serial)}   no target")
    hangs = _runs(runs, guarded_hang)
    print(f"3. daemon SIGSTOP (hang) -> every output at duty 0, with the guardian: "
          f"{_percentiles(hangs)}   target p99 <= hang_timeout + 20 ms = 220 ms: "
          f"{_verdict(hangs, 0.220)}; without it the GPIO wheels never stop (a stopped daemon's "
          f"session watchdog is stopped too)")
    restarts = _runs(max(3, runs // 4), restart_to_serving, restart="always")
    print(f"4. daemon SIGKILL with restart = \"always\" -> a new daemon serving: "
          f"{_percentiles(restarts)} (0.25 s backoff included)   no target")


if __name__ == "__main__":
    main()
