"""The scheduler: one state machine per base (free, starting, driving, ending, settling), advanced
one tick at a time on the main thread. It hands each base to one client at a time, ends the
session by a random cause (with a fault at the end sometimes), and checks the end: a stop record
for (that session, that base) and duty 0 on every output within BOUND, then no motion until the
next client gets the base. Anything else is recorded as a missed stop."""

from __future__ import annotations

import contextlib
import queue
import random
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from soak.endings import BOUND, Ending, Tally, stop_began, zero_time
from soak.faults import Faults
from soak.results import ms
from soak.rover import BASES, TETHER_WINDOWS
from soak.workers import IDLE_TIMEOUT, START_TIMEOUT, Worker, Workers

SETTLE = 0.5  # a stopped base must stay stopped this long before the next client gets it
TICK = 0.02  # the scheduler's period
DRAIN_LIMIT = 60.0  # after the run, the last sessions must end within this
END_FAULT_CHANCE = 0.35  # the chance that a session's end comes with a fault on its base
FAULT_EVERY = 2.0  # mean seconds between faults injected into a driving base
ACTIONS = {"tether": {"kill": 5, "hang": 4, "end": 4, "drop": 3, "pause": 4},
           "viam": {"kill": 5, "hang": 4, "close": 6, "pause": 4}}


@dataclass
class Slot:
    """One base and the session driving it: free, starting, driving, ending, settling."""

    base: str
    outputs: list[Any]
    state: str = "free"
    worker: Worker | None = None
    kind: str = ""
    reason: str = ""
    paused_until: float = 0.0
    ending: Ending | None = None
    session: str = ""
    since: float = 0.0
    due: float = 0.0
    sent: bool = False
    cause: str = ""
    cause_at: float = 0.0
    fault: str = ""
    hung: bool = False
    zeros: list[float] = field(default_factory=list)


class Soak:
    """Drives the slots' state machines, one tick at a time, on the main thread."""

    def __init__(self, daemon: Any, seed: int, tally: Tally) -> None:
        self.daemon = daemon
        self.api = daemon.daemon.api
        self.rng = random.Random(seed)
        self.tally = tally
        outputs = daemon.sim.outputs  # read in the simulated-hardware process
        self.slots = [Slot(name, [outputs[f"{name}_left"], outputs[f"{name}_right"]])
                      for name in BASES]
        self.clients = Workers(daemon.address, len(self.slots) + 3, self.rng, tally)
        self.events: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self.stops: dict[str, tuple[float, list[Any]]] = {}
        self.faults = Faults(daemon.robot, daemon.sim)
        self.faults.install()
        self.next_fault = time.monotonic() + self.rng.expovariate(1 / FAULT_EVERY)
        self.api.sessions.add_listener(self.events.put)

    # -- the loop -----------------------------------------------------------------------------

    def run(self, seconds: float, on_sample: Callable[[], None]) -> None:
        """Soak for seconds (sampling RSS each tenth), then end every session (bounded)."""
        began = time.monotonic()
        samples = [began + seconds * i / 10 for i in range(1, 10)]
        while time.monotonic() < began + seconds:
            self.tick(draining=False)
            if samples and time.monotonic() >= samples[0]:
                on_sample()
                samples.pop(0)
        until = time.monotonic() + DRAIN_LIMIT
        while time.monotonic() < until and any(s.state != "free" for s in self.slots):
            self.tick(draining=True)
        for slot in self.slots:
            if slot.state != "free":
                self.record(slot, None, f"missed: still {slot.state} when the drain ended")

    def tick(self, draining: bool) -> None:
        """Read the clients and the stop records, advance every slot, inject faults."""
        now = time.monotonic()
        self.read_workers()
        self.take_stops(now)
        self.faults.tick(now)
        for slot in self.slots:
            getattr(self, f"step_{slot.state}")(slot, time.monotonic(), draining)
        if not draining:
            self.maybe_fault(now)
        self.clients.tend(now)
        time.sleep(TICK)

    # -- clients ------------------------------------------------------------------------------

    def read_workers(self) -> None:
        """Route every new line to its worker and slot."""
        for worker in self.clients.all:
            for line in worker.lines():
                self.on_line(worker, line)

    def on_line(self, worker: Worker, line: str) -> None:
        """One line from a client process."""
        word, _, rest = line.partition(" ")
        slot = worker.slot
        if word == "ready" and worker.state == "spawning":
            worker.become("idle")
        elif word == "driving" and slot is not None and slot.state == "starting":
            self.on_driving(slot, worker, rest)
        elif word == "ending" and slot is not None and slot.state == "ending":
            slot.cause_at = float(rest)
        elif word == "idle":
            self.on_idle(worker, rest)
        elif word == "hwerror":
            self.tally.events["commands refused during a fault (hardware error)"] += 1
        elif word not in ("bye", ""):
            worker.tail.append(line)

    def on_idle(self, worker: Worker, reason: str) -> None:
        """A client's session is over; it may drive again."""
        slot = worker.slot
        self.tally.events[f"client saw its session end: {reason.split(maxsplit=1)[0]}"] += 1
        if slot is not None and slot.state == "starting":
            self.tally.events["session starts that failed"] += 1
            self.free(slot, time.monotonic())
        elif slot is not None and slot.state == "driving":
            self.begin_end(slot, "lost", time.monotonic())
        if worker.slot is not None and worker.slot.state in ("ending", "settling"):
            worker.slot.worker = None
        worker.slot = None
        if worker.state in ("busy", "recovering"):
            worker.become("idle")

    # -- slot states --------------------------------------------------------------------------

    def step_free(self, slot: Slot, now: float, draining: bool) -> None:
        """Give the base to a client."""
        if draining or now < slot.due:
            return
        worker = self.clients.take()
        if worker is None:
            return
        worker.slot, slot.worker, slot.sent = slot, worker, False
        slot.state, slot.since, slot.session, slot.fault, slot.hung = (
            "starting", now, "", "", False)

    def step_starting(self, slot: Slot, now: float, draining: bool) -> None:
        """Tell the client to drive once it is ready; give up after START_TIMEOUT."""
        worker = slot.worker
        if worker is None or worker.state == "dead" or now - slot.since > START_TIMEOUT:
            self.tally.events["session starts that failed"] += 1
            if worker is not None:
                worker.close()
            self.free(slot, now)
            return
        if not slot.sent and worker.state == "idle":
            power = self.rng.choice((0.3, 0.5, 0.7, -0.4))
            window = self.rng.choice(TETHER_WINDOWS)
            worker.send(f"drive {slot.base} {power} {window}")
            worker.become("busy")
            slot.sent = True

    def on_driving(self, slot: Slot, worker: Worker, said: str) -> None:
        """The client drives: learn its session from the daemon and plan its end."""
        now = time.monotonic()
        owner = self.api.sessions.owner_of(slot.base)
        slot.session = owner.id if owner is not None else said
        if said not in ("-", slot.session):
            self.tally.events["client and daemon disagree on the session id"] += 1
        if not any(o.duty != 0.0 for o in slot.outputs):
            self.tally.events["drives whose base did not move (fault on the first command)"] += 1
        self.tally.sessions[worker.kind] += 1
        slot.kind, slot.paused_until = worker.kind, 0.0
        slot.state, slot.since = "driving", now
        slot.due = now + self.rng.uniform(1.0, 5.0)

    def step_driving(self, slot: Slot, now: float, draining: bool) -> None:
        """Watch for unplanned ends; act when due."""
        worker = slot.worker
        if slot.session in self.stops:
            paused = now < slot.paused_until + 1.0
            self.begin_end(slot, "pause" if paused else "lost",
                           self.stops[slot.session][1][0].deadline)
        elif worker is None or worker.state == "dead" or worker.process.poll() is not None:
            self.begin_end(slot, "crash", now)
        elif now >= slot.due or (draining and worker.cont_at is None):
            self.act(slot, worker, now, draining)

    def act(self, slot: Slot, worker: Worker, now: float, draining: bool) -> None:
        """Kill, hang, end, drop or pause the client, with a fault at the end sometimes."""
        weights = dict(ACTIONS[worker.kind])
        if draining:
            weights.pop("pause")
        action = self.rng.choices(list(weights), list(weights.values()))[0]
        self.tally.actions[f"{action} ({worker.kind})"] += 1
        if action == "pause":
            worker.signal(signal.SIGSTOP)
            worker.cont_at = slot.paused_until = now + self.rng.uniform(0.05, 0.2)
            slot.due = worker.cont_at + self.rng.uniform(0.5, 3.0)
            return
        if self.rng.random() < END_FAULT_CHANCE:
            slot.fault = self.faults.inject(slot.base, self.rng, now, "at a session end")
        worker.cont_at = None
        self.perform(slot, worker, action)

    def perform(self, slot: Slot, worker: Worker, action: str) -> None:
        """Do it, noting the time it was done."""
        at = time.monotonic()
        if action == "kill":
            worker.process.kill()
            worker.become("dead")
            worker.slot, slot.worker = None, None
        elif action == "hang":
            worker.signal(signal.SIGSTOP)
            worker.become("hung")
            slot.hung = True
        else:
            worker.send(action)
        self.begin_end(slot, action, at)

    def begin_end(self, slot: Slot, cause: str, at: float) -> None:
        """The session is over (or will be at its deadline): its stop is now owed."""
        slot.state, slot.since, slot.cause, slot.cause_at = "ending", time.monotonic(), cause, at

    def step_ending(self, slot: Slot, now: float, draining: bool) -> None:
        """Wait for the stop record and, after it, duty 0 on every output; BOUND at most."""
        stops = self.stops.get(slot.session, (0.0, []))[1]
        mine = [e for e in stops if e.resource == slot.base]
        if len(mine) != len(stops):
            self.tally.events["stop records for a resource the session did not drive"] += 1
        if mine and slot.cause in ("hang", "pause", "lost"):
            slot.cause_at = mine[0].deadline
        zeros = [zero_time(o, stop_began(mine[0])) for o in slot.outputs] if mine else []
        if zeros and all(z is not None for z in zeros):
            self.resolve(slot, mine[0], [z for z in zeros if z is not None], now)
        elif now - slot.since > BOUND + (max(TETHER_WINDOWS) if slot.hung else 0.0):
            why = "no stop record" if not mine else f"duty {[o.duty for o in slot.outputs]}"
            self.record(slot, None, f"missed: {why} {BOUND:g} s after the {slot.cause}")
            self.recover(slot, now)

    def resolve(self, slot: Slot, event: Any, zeros: list[float], now: float) -> None:
        """Classify the stop, release a hung client, then let the base settle."""
        slot.zeros = zeros
        slot.reason = event.reason.value
        outcome = event.outcome.value
        if outcome == "stopped":
            result = "stopped"
        elif BASES[slot.base] in ("sabertooth", "roboclaw") and \
                self.faults.unplugged_near(slot.base, event.entered or now, event.finished or now):
            result = "controller"
        else:  # the outputs are at 0 but tether could not confirm it (a late acknowledgement)
            result = f"unconfirmed: the record says {outcome}: {(event.error or '')[-90:]}"
            self.tally.events[f"stops that reached duty 0 though the record says {outcome}"] += 1
            if len(self.tally.log_samples) < 8:
                self.tally.log_samples.append(f"{slot.base}: {result}")
        self.record(slot, max(slot.zeros), result)
        self.release(slot)
        slot.state, slot.since = "settling", now

    def record(self, slot: Slot, stopped: float | None, result: str) -> None:
        """Keep the checked end (a later miss of the same end replaces its verdict)."""
        delay = None if stopped is None or stopped < slot.cause_at - 0.001 else stopped - \
            slot.cause_at
        if stopped is not None and delay is None:
            self.tally.events["ends whose base was already at duty 0 (a fault stopped it)"] += 1
        if slot.ending is not None and slot.state == "settling":
            slot.ending.verdict = result
        else:
            slot.ending = Ending(slot.cause, slot.kind, slot.base, slot.fault, delay, result,
                                 slot.reason)
            self.tally.endings.append(slot.ending)
        if result.startswith("missed"):
            print(f"MISSED STOP: {slot.base} session {slot.session} ({slot.kind}, {slot.cause}, "
                  f"fault {slot.fault or 'none'}): {result}", flush=True)

    def recover(self, slot: Slot, now: float) -> None:
        """After a missed stop: stop the base directly so the soak can go on."""
        self.faults.clear()
        with contextlib.suppress(Exception):
            self.daemon.robot.bases[slot.base].stop()
        if slot.worker is not None and slot.hung:
            slot.worker.close()
        slot.hung = False
        slot.zeros = [o.zero_since() for o in slot.outputs]
        slot.state, slot.since = "settling", now

    def release(self, slot: Slot) -> None:
        """A hung client is killed or resumed (it must then see its session gone)."""
        worker = slot.worker
        if worker is None or not slot.hung:
            return
        slot.hung = False
        if self.rng.random() < 0.5:
            self.tally.actions["hung client then killed"] += 1
            worker.close()
            worker.slot, slot.worker = None, None
        else:  # it stays with the base until it reports idle, or drives in a new session
            self.tally.actions["hung client then resumed"] += 1
            worker.become("recovering")
            worker.signal(signal.SIGCONT)

    def step_settling(self, slot: Slot, now: float, draining: bool) -> None:
        """The stopped base must not move again before the next client gets it, except in a
        new session of its own client; that client must report idle (bounded) first."""
        moved = any(o.zero_since() != z for o, z in zip(slot.outputs, slot.zeros, strict=True))
        missed = slot.ending is not None and slot.ending.verdict.startswith("missed")
        if moved and not self.adopt(slot, now) and not missed:
            self.record(slot, None, self.moved_again(slot))
            self.recover(slot, now)
            return
        waited = now - slot.since
        if slot.state == "settling" and slot.worker is not None and waited > SETTLE + IDLE_TIMEOUT:
            self.tally.events["client processes killed for not answering"] += 1
            slot.worker.close()
            slot.worker.slot, slot.worker = None, None
        if slot.state == "settling" and waited >= SETTLE and slot.worker is None:
            self.free(slot, now)

    def moved_again(self, slot: Slot) -> str:
        """Why a stopped base moving again is a missed stop, with what the daemon says."""
        owner = self.api.sessions.owner_of(slot.base)
        after = min((s.time for o, z in zip(slot.outputs, slot.zeros, strict=True)
                     for s in o.history if z is not None and s.time > z), default=0.0)
        return (f"missed: the base moved again {ms(after - max(slot.zeros))} after its stop, "
                f"owned by {'no session' if owner is None else 'session ' + owner.id[:8]} "
                f"(duties {[round(o.duty, 2) for o in slot.outputs]}): a command that ran after "
                "its session's stop")

    def adopt(self, slot: Slot, now: float) -> bool:
        """The base moves in a new session of the client that had it (viam-sdk starts one by
        itself after SESSION_EXPIRED, e.g. once a hung process resumes): track that session."""
        owner = self.api.sessions.owner_of(slot.base)
        worker = slot.worker
        if owner is None or owner.id == slot.session or worker is None or worker.state == "dead":
            return False
        self.tally.events["sessions a resumed client started by itself (viam-sdk)"] += 1
        self.tally.sessions[worker.kind] += 1
        self.stops.pop(slot.session, None)
        worker.become("busy")
        slot.session, slot.fault, slot.hung, slot.ending = owner.id, "", False, None
        slot.state, slot.since, slot.due = "driving", now, now + self.rng.uniform(1.0, 5.0)
        return True

    def free(self, slot: Slot, now: float) -> None:
        """The base may go to the next client."""
        if slot.worker is not None and slot.worker.slot is slot:
            slot.worker.slot = None
            if slot.worker.state == "busy":
                slot.worker.become("recovering")
        self.stops.pop(slot.session, None)
        slot.worker, slot.ending, slot.state = None, None, "free"
        slot.due = now + self.rng.uniform(0.0, 0.3)

    # -- stop records and faults --------------------------------------------------------------

    def take_stops(self, now: float) -> None:
        """File the daemon's stop records by session; forget unclaimed ones after a while."""
        while True:
            try:
                event = self.events.get_nowait()
            except queue.Empty:
                break
            self.stops.setdefault(event.session_id, (now, []))[1].append(event)
        claimed = {s.session for s in self.slots}
        for session, (seen, _) in list(self.stops.items()):
            if session not in claimed and now - seen > 30.0:
                self.tally.events["stop records of sessions no client reported driving"] += 1
                del self.stops[session]

    def maybe_fault(self, now: float) -> None:
        """Now and then, a fault on a driving base."""
        if now < self.next_fault:
            return
        self.next_fault = now + self.rng.expovariate(1 / FAULT_EVERY)
        driving = [s for s in self.slots if s.state == "driving"]
        if driving:
            self.faults.inject(self.rng.choice(driving).base, self.rng, now, "while driving")

    def quit_all(self) -> None:
        """Ask idle clients to exit, kill the rest; wait (bounded) for all."""
        self.clients.quit_all(self.read_workers, TICK)

    def close(self) -> None:
        """Every client process gone, every fault cleared, the listener removed."""
        self.clients.close()
        self.faults.clear()
        with contextlib.suppress(ValueError):
            self.api.sessions.remove_listener(self.events.put)
