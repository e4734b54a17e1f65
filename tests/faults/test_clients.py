"""Client faults against the daemon: SIGKILL, SIGSTOP (hung), graceful end, two clients fighting.

Every test runs the daemon in-process (tether.server.background, simulated GPIO) with two bases:
the faulty client drives 'base' (left/right), a healthy tether.client process drives 'base2'
(left2/right2) at 10 Hz throughout, in a 2 s window (rig.HEALTHY). Measured: fault -> duty 0
on both wheels of 'base' (device time of the fake H-bridges); checked: 'base2' never dropped
to 0, and the daemon still serves (a new client drives 'base'; its graceful end stops it).
"""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import Awaitable, Callable

import pytest

from tests.faults.conftest import MakeDaemon
from tests.faults.rig import (
    AT_ONCE,
    HEALTHY,
    WINDOW,
    Processes,
    check_delay,
    dropped_since,
    record,
    stop_delay,
    two_bases,
    wait_for,
)
from tether.server.background import BackgroundDaemon
from tether.session import StopEvent, StopReason
from tether.sim.client import SimOutput

HEALTHY_POWER = 0.3


def wheels(daemon: BackgroundDaemon, base: str = "base") -> list[SimOutput]:
    suffix = "" if base == "base" else base[len("base"):]
    return [daemon.sim.outputs[f"left{suffix}"], daemon.sim.outputs[f"right{suffix}"]]


def driving(daemon: BackgroundDaemon, power: float, base: str = "base") -> bool:
    return all(abs(c.duty - power) < 1e-6 for c in wheels(daemon, base))


def stops_of(daemon: BackgroundDaemon, resource: str) -> list[StopEvent]:
    sessions = daemon.daemon.api.sessions  # type: ignore[union-attr]
    return [e for e in sessions.recent_stops() if e.resource == resource]


def recorded_stops(daemon: BackgroundDaemon, resource: str) -> list[StopEvent]:
    """The resource's stop records, once there is one (the wheels, read in the simulated-
    hardware process, can reach duty 0 a moment before the daemon's thread records the stop)."""
    wait_for(lambda: bool(stops_of(daemon, resource)), 2)
    return stops_of(daemon, resource)


def start_healthy(daemon: BackgroundDaemon, processes: Processes) -> float:
    """A tether.client process driving 'base2' at 10 Hz; returns when its wheels turn."""
    processes.client(daemon.address, "tether", "--base", "base2", "--power", str(HEALTHY_POWER),
                     *HEALTHY)
    assert wait_for(lambda: driving(daemon, HEALTHY_POWER, "base2"), 10) is not None
    return time.monotonic()


def assert_untouched(daemon: BackgroundDaemon, since: float) -> None:
    """The healthy session's base never dropped to 0 and still runs at its power."""
    sessions = daemon.daemon.api.sessions  # type: ignore[union-attr]
    for channel in wheels(daemon, "base2"):
        drops = [round(t - since, 3) for t in dropped_since(channel, since)]
        assert drops == [], (f"the healthy client's base2 stopped at +{drops} s; stops: "
                             f"{[e.describe() for e in sessions.recent_stops()]}")
    assert driving(daemon, HEALTHY_POWER, "base2")
    assert [e for e in sessions.recent_stops() if e.resource == "base2"] == []


def assert_serves(daemon: BackgroundDaemon, processes: Processes) -> None:
    """A new client drives 'base'; its graceful end stops it at once."""
    fresh = processes.client(daemon.address, "tether", "--power", "0.4", "--rate", "10")
    assert wait_for(lambda: driving(daemon, 0.4), 10) is not None, "the daemon serves again"
    ending = fresh.end()
    delay = stop_delay(wheels(daemon), ending, 5)
    assert delay is not None and delay < AT_ONCE


@pytest.fixture
def rover(make_daemon: MakeDaemon) -> BackgroundDaemon:
    return make_daemon(two_bases())


@pytest.mark.parametrize("kind", ["raw", "tether", "viam"])
def test_client_sigkill_stops_its_base_at_once(
    rover: BackgroundDaemon, processes: Processes, kind: str
) -> None:
    """SIGKILL: the kernel closes the client's connections; its session ends at once."""
    healthy_since = start_healthy(rover, processes)
    client = processes.client(rover.address, kind, "--power", "0.6")
    assert wait_for(lambda: driving(rover, 0.6), 10) is not None
    time.sleep(0.2)
    killed = client.signal(signal.SIGKILL)
    delay = stop_delay(wheels(rover), killed, 5)
    check_delay(f"client SIGKILL ({kind} client)", delay, AT_ONCE)
    assert_untouched(rover, healthy_since)
    assert_serves(rover, processes)
    assert_untouched(rover, healthy_since)


@pytest.mark.parametrize("kind", ["raw", "tether", "viam"])
def test_client_sigstop_stops_its_base_at_the_window(
    rover: BackgroundDaemon, processes: Processes, kind: str
) -> None:
    """SIGSTOP: the client hangs with its connections open; its session expires at the window.

    raw and tether.client send a command (a heartbeat) every 50 ms, viam-sdk heartbeats every
    window/5 from its own thread: the stop comes one window after the last one, not earlier.
    """
    healthy_since = start_healthy(rover, processes)
    client = processes.client(rover.address, kind, "--power", "0.6", "--on-error", "idle")
    assert wait_for(lambda: driving(rover, 0.6), 10) is not None
    time.sleep(0.2)
    frozen = client.signal(signal.SIGSTOP)
    delay = stop_delay(wheels(rover), frozen, 5)
    check_delay(f"client SIGSTOP ({kind} client)", delay, WINDOW + 0.4)
    (event,) = recorded_stops(rover, "base")
    assert event.reason is StopReason.EXPIRED, "the window stopped it (its connections are open)"
    assert client.process.poll() is None, "the hung client still holds its connections"
    assert_untouched(rover, healthy_since)
    stopped = time.monotonic()
    if kind != "viam":
        # Resumed, its next command carries the expired session id: refused, nothing moves.
        # (viam-sdk's heartbeat thread notices first and its next command starts a new session,
        # by design: that is a live application driving again, not a stale command.)
        client.signal(signal.SIGCONT)
        assert "SESSION_EXPIRED" in client.expect("error", 10)
        time.sleep(0.2)
        assert all(c.duty == 0.0 and c.history[-1].time < stopped for c in wheels(rover))
    assert_serves(rover, processes)
    assert_untouched(rover, healthy_since)


@pytest.mark.parametrize(("kind", "bound"), [
    ("raw", AT_ONCE), ("tether", AT_ONCE), ("viam", WINDOW + 0.35),
])
def test_graceful_end_stops_its_base(
    rover: BackgroundDaemon, processes: Processes, kind: str, bound: float
) -> None:
    """tether.client leaves its session block (EndSession) and the raw client closes its
    channel: the session ends now. viam-sdk's `await robot.close()` first joins its heartbeat
    thread for up to 1 s while holding the lock that thread needs (viam-sdk 0.85.1,
    SessionsClient.reset), so its heartbeats stop and the session expires at the window before
    its connections close: bounded by the window, not "at once" (the SDK's doing, not tether's).
    """
    healthy_since = start_healthy(rover, processes)
    client = processes.client(rover.address, kind, "--power", "0.6")
    assert wait_for(lambda: driving(rover, 0.6), 10) is not None
    time.sleep(0.2)
    ending = client.end()
    delay = stop_delay(wheels(rover), ending, 5)
    check_delay(f"graceful end ({kind} client)", delay, bound)
    (event,) = recorded_stops(rover, "base")
    assert event.reason is (StopReason.EXPIRED if kind == "viam" else StopReason.ENDED)
    assert_untouched(rover, healthy_since)
    assert_serves(rover, processes)


def test_two_clients_fighting_over_one_base(rover: BackgroundDaemon, processes: Processes) -> None:
    """Both command 'base' at 20 Hz: last monitor wins, so ownership ping-pongs and nothing
    stops. When one hangs, the other keeps the base with no gap: the hung one's expiry must not
    stop what it no longer owns, nor must its death. The survivor's death stops it at once."""
    healthy_since = start_healthy(rover, processes)
    first = processes.client(rover.address, "raw", "--power", "0.3", "--on-error", "idle")
    second = processes.client(rover.address, "tether", "--power", "0.6", "--on-error", "idle",
                              "--window", "2")  # the survivor: starvation must not expire it
    fighting = time.monotonic()
    seen = {0.3: False, 0.6: False}

    def both_win() -> bool:
        for power, won in list(seen.items()):
            seen[power] = won or driving(rover, power)
        return all(seen.values())

    assert wait_for(both_win, 5) is not None, "each client's command took the base in turn"
    time.sleep(0.3)
    assert stops_of(rover, "base") == []
    assert all(dropped_since(c, fighting) == [] for c in wheels(rover)), "no stop while fighting"
    hung = first.signal(signal.SIGSTOP)
    assert wait_for(lambda: driving(rover, 0.6), 1) is not None
    settled = time.monotonic()
    time.sleep(WINDOW + 0.3)  # the hung client's session expires here
    first.signal(signal.SIGKILL)  # and its connection closes here
    time.sleep(0.2)
    assert stops_of(rover, "base") == []
    for channel in wheels(rover):
        assert dropped_since(channel, settled) == [], "the survivor's base was stopped"
        assert channel.duty == pytest.approx(0.6)
    assert settled - hung < 0.5
    killed = second.signal(signal.SIGKILL)
    delay = stop_delay(wheels(rover), killed, 5)
    check_delay("two clients fighting: survivor SIGKILL", delay, AT_ONCE)
    assert_untouched(rover, healthy_since)
    assert_serves(rover, processes)



def refused_sessionless_calls(address: str) -> list[str]:
    """Another client's sessionless monitored calls that must be refused (and change nothing):
    returns the gRPC status names they got."""
    from grpclib.exceptions import GRPCError

    from tether.client.channel import open_channel
    from tether.wire.viam.common.v1 import common_pb2
    from tether.wire.viam.component.base.v1 import base_grpc, base_pb2

    async def calls() -> list[str]:
        channel = open_channel(address)
        stub, got = base_grpc.BaseServiceStub(channel), []
        requests: list[Callable[[], Awaitable[object]]] = [
            lambda: stub.SetVelocity(base_pb2.SetVelocityRequest(
                name="base", linear=common_pb2.Vector3(y=1e9))),
            lambda: stub.MoveStraight(base_pb2.MoveStraightRequest(
                name="base", distance_mm=2**63 - 1, mm_per_sec=100)),
            lambda: stub.Spin(base_pb2.SpinRequest(
                name="base", angle_deg=90, degs_per_sec=1e9)),
        ]
        try:
            for request in requests:
                try:
                    await asyncio.wait_for(request(), 5)
                    got.append("OK")
                except GRPCError as exc:
                    got.append(exc.status.name)
        finally:
            channel.close()
        return got

    return asyncio.run(calls())


@pytest.mark.parametrize(("kind", "beats"), [("viam", ()), ("tether", ("--keepalive",))])
def test_another_clients_refused_sessionless_calls_leave_the_driver_armed(
    rover: BackgroundDaemon, processes: Processes, kind: str, beats: tuple[str, ...]
) -> None:
    """Client B's sessionless calls that are refused must not release client A's base: A's
    SIGKILL still stops it at once. Before: B's refused SetVelocity(1e9) released the base and
    A's death stopped nothing (duty 0.3 seconds later)."""
    healthy_since = start_healthy(rover, processes)
    client = processes.client(rover.address, kind, "--power", "0.6", "--rate", "0", *beats)
    assert wait_for(lambda: driving(rover, 0.6), 10) is not None
    time.sleep(WINDOW)  # one command, then heartbeats only: the session alone keeps it safe
    answers = refused_sessionless_calls(rover.address)
    assert driving(rover, 0.6), "a refused call moves nothing"
    killed = client.signal(signal.SIGKILL)
    delay = stop_delay(wheels(rover), killed, 2)
    check_delay(f"client SIGKILL after another client's refused sessionless calls ({kind})",
                delay, AT_ONCE)
    assert answers == ["INVALID_ARGUMENT"] * 3
    assert_untouched(rover, healthy_since)
    assert_serves(rover, processes)


SLOW = "slow client (viam-sdk loop blocked 1.5 s): keeps its connection and session"


def server_connections(daemon: BackgroundDaemon) -> set[object]:
    """The connection objects the daemon's gRPC server holds open now (private: identity
    matters here, since a dropped viam-sdk channel reconnects by itself on its next call)."""
    assert daemon.daemon._server is not None
    return set(daemon.daemon._server._live)


def test_slow_client_keeps_its_connection_and_another_clients_session_is_unaffected(
    rover: BackgroundDaemon, processes: Processes
) -> None:
    """A viam-sdk client whose loop blocks 1.5 s (its own close() blocks ~1 s) answers no
    keepalive ping meanwhile; its thread keeps heartbeating. The daemon keeps its connection
    (a connection is closed only after DEAD_CONNECTION_AFTER s of unanswered pings, once 0.5 s),
    so the command it sends on waking succeeds and nothing stops; the bystander is untouched."""
    healthy_since = start_healthy(rover, processes)
    client = processes.client(rover.address, "viam", "--power", "0.6")
    assert wait_for(lambda: driving(rover, 0.6), 10) is not None
    time.sleep(0.6)  # every connection has answered a keepalive ping by now
    held = server_connections(rover)
    client.send("block 1.5")
    client.expect("unblocked", 15)
    time.sleep(0.3)
    dropped = len(held - server_connections(rover))
    errors = [line for line in client.lines if line.startswith("error")]
    stops = stops_of(rover, "base")
    passed = dropped == 0 and errors == [] and stops == [] and driving(rover, 0.6)
    record(SLOW, None, None, passed)
    assert dropped == 0, f"the daemon closed {dropped} of the slow client's connections"
    assert errors == [], errors
    assert stops == [], [e.describe() for e in stops]
    assert driving(rover, 0.6), "the slow client still drives its base"
    assert_untouched(rover, healthy_since)
    ending = client.end()
    assert stop_delay(wheels(rover), ending, 5) is not None
    assert_untouched(rover, healthy_since)
