"""Session-layer figures against baselines measured in the same run (see issue 3's targets).

Run: python bench/session_bench.py [--quick]
"""

from __future__ import annotations

import argparse
import random
import threading
import time
from collections.abc import Callable

from figures import per_call, percentile

from tether.session import SessionManager, safety_monitor, to_context


class Probe:
    """A resource whose stop() records when it was entered."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.entered: float | None = None
        self.done = threading.Event()

    def stop(self) -> None:
        self.entered = time.monotonic()
        self.done.set()

    def is_moving(self) -> bool:
        return self.entered is None

    def close(self) -> None:
        self.stop()




def stop_latency(sessions: int, spread: float) -> list[float]:
    """Deadline -> stop() entered, for `sessions` live sessions expiring one by one."""
    probes = [Probe(f"m{i}") for i in range(sessions)]
    deadlines = []
    with SessionManager(stop_timeout=5) as mgr:
        for i, probe in enumerate(probes):
            session = mgr.start(heartbeat_window=0.3 + spread * i / sessions)
            with to_context(session):
                safety_monitor(probe)
            deadlines.append(session.deadline)
        for probe in probes:
            probe.done.wait(10)
    return [p.entered - d for p, d in zip(probes, deadlines, strict=True) if p.entered is not None]


def polling_reference(sessions: int, spread: float, interval: float = 0.01) -> list[float]:
    """The reference server's way: a loop that checks every deadline every 10 ms."""
    start = time.monotonic()
    deadlines = [start + 0.3 + spread * i / sessions for i in range(sessions)]
    pending = set(range(sessions))
    delays = [0.0] * sessions
    while pending:
        time.sleep(interval)
        now = time.monotonic()
        for i in [i for i in pending if deadlines[i] <= now]:
            delays[i] = time.monotonic() - deadlines[i]
            pending.discard(i)
    return delays


def bare_timer_oversleep(samples: int) -> list[float]:
    """How late a bare Event.wait(timeout) wakes: the floor any timer-driven design sits on."""
    event = threading.Event()
    late = []
    for i in range(samples):
        want = 0.001 + (i % 5) * 0.0005
        began = time.monotonic()
        event.wait(want)
        late.append(time.monotonic() - began - want)
    return late


def heartbeat_rate(sessions: int, seconds: float) -> tuple[float, float]:
    """Heartbeats per second on one thread with `sessions` live; and a locked-dict baseline."""
    with SessionManager(max_sessions=sessions, watchdog=True) as mgr:
        ids = [mgr.start(heartbeat_window=60).id for _ in range(sessions)]
        random.shuffle(ids)
        beat = mgr.heartbeat
        count = 0
        until = time.perf_counter() + seconds
        began = time.perf_counter()
        while time.perf_counter() < until:
            for session_id in ids:
                beat(session_id)
            count += len(ids)
        rate = count / (time.perf_counter() - began)
    table = dict.fromkeys(ids, 0.0)
    lock = threading.Lock()
    count = 0
    until = time.perf_counter() + seconds
    began = time.perf_counter()
    while time.perf_counter() < until:
        for session_id in ids:
            with lock:
                table[session_id] = time.monotonic() + 60
        count += len(ids)
    return rate, count / (time.perf_counter() - began)




def monitored_call_cost(loops: int) -> tuple[float, float]:
    """Bare two-motor gpiozero command vs. the same with to_context + safety_monitor + heartbeat."""
    from gpiozero import Motor
    from gpiozero.pins.mock import MockFactory, MockPWMPin

    factory = MockFactory(revision="d04170", pin_class=MockPWMPin)
    left = Motor(17, 18, pin_factory=factory)
    right = Motor(22, 23, pin_factory=factory)
    powers = [0.5, 0.4]
    flip = [0]

    def bare() -> None:
        flip[0] ^= 1
        left.value = powers[flip[0]]
        right.value = powers[flip[0]]

    class Pair:
        name = "base"

        def stop(self) -> None:
            left.stop()
            right.stop()

        def is_moving(self) -> bool:
            return bool(left.is_active or right.is_active)

        def close(self) -> None:
            self.stop()

    pair = Pair()
    with SessionManager() as mgr:
        session = mgr.start(heartbeat_window=60)
        session_id = session.id

        def monitored() -> None:
            with to_context(session):
                safety_monitor(pair)
                mgr.heartbeat(session_id)
                bare()

        bare_cost = per_call(bare, loops)
        monitored_cost = per_call(monitored, loops)
    left.close()
    right.close()
    return bare_cost, monitored_cost


def idle_cpu(seconds: float) -> tuple[float, float]:
    """Process CPU fraction over `seconds` with a one-session manager vs. without one."""

    def heartbeating(beat: Callable[[], None]) -> float:
        began_cpu, began = time.process_time(), time.monotonic()
        while time.monotonic() - began < seconds:
            time.sleep(0.4)
            beat()
        return (time.process_time() - began_cpu) / (time.monotonic() - began)

    baseline = heartbeating(lambda: None)
    with SessionManager() as mgr:
        session = mgr.start(heartbeat_window=2.0)
        with_manager = heartbeating(session.heartbeat)
    return with_manager, baseline


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    args = parser.parse_args()
    sessions = 100 if args.quick else 1000
    live = 1000 if args.quick else 10_000
    idle_seconds = 1.0 if args.quick else 10.0

    delays = stop_latency(sessions, spread=0.7)
    reference = polling_reference(sessions, spread=0.7)
    floor = bare_timer_oversleep(200)
    p50, p99 = percentile(delays, 0.5) * 1e3, percentile(delays, 0.99) * 1e3
    ref99 = percentile(reference, 0.99) * 1e3
    print(f"1. deadline -> stop() entered, {sessions} live sessions ({len(delays)} stops):")
    print(f"   p50 {p50:.3f} ms  p99 {p99:.3f} ms  max {max(delays) * 1e3:.3f} ms"
          f"   target p99 <= 2 ms: {'MET' if p99 <= 2 else 'MISSED'}")
    print(f"   baseline bare Event.wait oversleep p50 {percentile(floor, 0.5) * 1e3:.3f} ms"
          f"  p99 {percentile(floor, 0.99) * 1e3:.3f} ms")
    print(f"   reference 10 ms polling p50 {percentile(reference, 0.5) * 1e3:.3f} ms"
          f"  p99 {ref99:.3f} ms  (tether p99 is {ref99 / p99:.1f}x lower)")

    rate, locked_dict = heartbeat_rate(live, seconds=1.0)
    print(f"2. heartbeats/s with {live} live sessions, one thread: {rate:,.0f}/s"
          f"   target >= 50,000/s: {'MET' if rate >= 50_000 else 'MISSED'}")
    print(f"   baseline locked dict update {locked_dict:,.0f}/s (ratio {rate / locked_dict:.2f})")

    bare, monitored = monitored_call_cost(2_000 if args.quick else 20_000)
    added = (monitored - bare) * 1e6
    print(f"3. monitored call on a gpiozero MockFactory motor pair: bare {bare * 1e6:.2f} us,"
          f" monitored {monitored * 1e6:.2f} us, added {added:.2f} us"
          f"   target <= 10 us: {'MET' if added <= 10 else 'MISSED'}")

    busy, baseline = idle_cpu(idle_seconds)
    print(f"4. idle manager, one session (2 s window, heartbeat every 0.4 s), {idle_seconds:.0f} s:"
          f" {busy * 100:.3f} % of a core (without manager {baseline * 100:.3f} %)"
          f"   target < 1 %: {'MET' if busy < 0.01 else 'MISSED'}")


if __name__ == "__main__":
    main()
