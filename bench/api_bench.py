"""Daemon API figures against baselines measured in the same run: the wire must cost little.

Run: python bench/api_bench.py [--quick]

1. monitored SetPower round trip, viam-sdk -> daemon, against a bare grpclib echo pair;
2. client SIGKILL -> every duty 0, against waiting one heartbeat window;
3. SIGSTOPped client -> every duty 0, minus the window;
4. daemon process CPU and RSS, idle with one live session, against the same daemon with none.

The viam-sdk client of (1) runs in this process, on the main thread's asyncio loop, while the
daemon runs on a BackgroundDaemon loop thread; the echo baseline has the same two-thread shape.
Every socket is on 127.0.0.1; every loop is bounded in count and time.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from figures import percentile
from grpclib.client import Channel, UnaryUnaryMethod
from grpclib.const import Cardinality, Handler
from grpclib.server import Server, Stream
from processes import Child, cpu_seconds, free_port, rss_mib

# viam component modules must be imported before connecting.
from viam.components.base import Base
from viam.proto.common import Vector3
from viam.robot.client import RobotClient
from viam.rpc.dial import DialOptions

from tether.client.channel import open_channel
from tether.demo_configs import demo_config
from tether.server.background import BackgroundDaemon
from tether.session import StopEvent, StopReason
from tether.wire.viam.common.v1 import common_pb2
from tether.wire.viam.component.base.v1 import base_grpc, base_pb2
from tether.wire.viam.robot.v1 import robot_grpc, robot_pb2

ROOT = Path(__file__).resolve().parent.parent
VIAM_CLIENT = ROOT / "tests" / "server" / "clients" / "viam_drive.py"
WINDOW = 0.5  # demo_config's and examples/rover.toml's heartbeat window
POWERS = (0.5, 0.4)  # alternated, so every command really changes the pins
ECHO_METHOD = "/tether.bench.v1.EchoService/Echo"
BLOCK = 50  # calls per block when echo and viam-sdk calls alternate
Echo = robot_pb2.SendSessionHeartbeatRequest
T = TypeVar("T")

IDLE_CLIENT = """
import asyncio, sys
from tether.client.channel import open_channel
from tether.wire.viam.robot.v1 import robot_grpc, robot_pb2

async def hold(address: str, seconds: float) -> None:
    channel = open_channel(address)
    robot = robot_grpc.RobotServiceStub(channel)
    session = await robot.StartSession(robot_pb2.StartSessionRequest())
    every = session.heartbeat_window.ToNanoseconds() / 5e9
    print(f"holding {session.id} heartbeat every {every * 1000:.0f} ms", flush=True)
    until = asyncio.get_running_loop().time() + seconds
    while asyncio.get_running_loop().time() < until:
        await asyncio.sleep(every)
        await robot.SendSessionHeartbeat(robot_pb2.SendSessionHeartbeatRequest(id=session.id))
    channel.close()

asyncio.run(hold(sys.argv[1], float(sys.argv[2])))
"""

STAND_IN_SERVER = """
import asyncio, sys
from grpclib.const import Cardinality, Handler
from grpclib.server import Server
from tether.wire.viam.robot.v1 import robot_pb2 as pb

class StandIn:
    async def start(self, stream):
        await stream.recv_message()
        reply = pb.StartSessionResponse(id="stand-in")
        reply.heartbeat_window.FromMilliseconds(500)
        await stream.send_message(reply)

    async def beat(self, stream):
        await stream.recv_message()
        await stream.send_message(pb.SendSessionHeartbeatResponse())

    def __mapping__(self):
        robot = "/viam.robot.v1.RobotService/"
        unary = Cardinality.UNARY_UNARY
        return {
            robot + "StartSession": Handler(
                self.start, unary, pb.StartSessionRequest, pb.StartSessionResponse),
            robot + "SendSessionHeartbeat": Handler(
                self.beat, unary, pb.SendSessionHeartbeatRequest, pb.SendSessionHeartbeatResponse),
        }

async def serve(port: int, seconds: float) -> None:
    server = Server([StandIn()])
    await server.start("127.0.0.1", port)
    print("stand-in: serving", flush=True)
    await asyncio.sleep(seconds)
    server.close()

asyncio.run(serve(int(sys.argv[1]), float(sys.argv[2])))
"""


@dataclass(frozen=True)
class Sizes:
    """How much of everything one run does."""

    calls: int
    warmup: int
    kills: int
    viam_kills: int
    hangs: int
    idle_seconds: float


FULL = Sizes(calls=2000, warmup=200, kills=20, viam_kills=5, hangs=5, idle_seconds=10.0)
QUICK = Sizes(calls=200, warmup=50, kills=5, viam_kills=2, hangs=2, idle_seconds=2.0)




def verdict(met: bool) -> str:
    """The word the benches print after a target."""
    return "MET" if met else "MISSED"


def ms(seconds: float) -> str:
    """Seconds as milliseconds, for printing."""
    return f"{seconds * 1e3:.3f} ms"


def spread(values: list[float]) -> str:
    """p50, p99 and max of a list of seconds."""
    return (f"p50 {ms(percentile(values, 0.5))}  p99 {ms(percentile(values, 0.99))}"
            f"  max {ms(max(values))}")


# -- 1. round trips --------------------------------------------------------------------------


class EchoService:
    """One unary method that sends its request straight back: grpclib's floor for a round trip."""

    async def echo(self, stream: Stream[Any, Any]) -> None:
        """Answer with the request itself."""
        request = await stream.recv_message()
        await stream.send_message(request)

    def __mapping__(self) -> dict[str, Handler]:
        return {ECHO_METHOD: Handler(self.echo, Cardinality.UNARY_UNARY, Echo, Echo)}


class LoopThread:
    """An event loop on its own thread, as BackgroundDaemon has, to serve the echo baseline."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="echo", daemon=True)
        self._thread.start()

    def call(self, coroutine: Coroutine[Any, Any, T], timeout: float = 10.0) -> T:
        """Run a coroutine on the loop and wait for its result."""
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def close(self) -> None:
        """Stop the loop and its thread."""
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(5)
        self.loop.close()


Call = Callable[[int], Awaitable[Any]]


async def timed(call: Call, warmup: int, count: int) -> list[float]:
    """Seconds per awaited call(i), after `warmup` untimed calls."""
    for i in range(warmup):
        await call(i)
    times = []
    for i in range(count):
        began = time.perf_counter()
        await call(i)
        times.append(time.perf_counter() - began)
    return times


async def interleaved(calls: dict[str, Call], warmup: int, count: int) -> dict[str, list[float]]:
    """Each call warmed up, then timed in alternating blocks, so drift and load hit all alike."""
    for call in calls.values():
        await timed(call, warmup, 0)
    times: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(max(1, count // BLOCK)):
        for name, call in calls.items():
            times[name] += await timed(call, 0, BLOCK)
    return times


async def start_echo_server(port: int) -> Server:
    """A bare grpclib server with the echo service (made on the loop that will serve it)."""
    server = Server([EchoService()])
    await server.start("127.0.0.1", port)
    return server


async def stop_echo_server(server: Server) -> None:
    """Close the echo server and wait for it."""
    server.close()
    await asyncio.wait_for(server.wait_closed(), 5)


def echo_call(channel: Channel) -> Call:
    """One round trip of the echo method."""
    echo = UnaryUnaryMethod(channel, ECHO_METHOD, Echo, Echo)
    message = Echo(id="0" * 36)
    return lambda _i: echo(message, timeout=5)


def viam_calls(robot: RobotClient) -> dict[str, Call]:
    """viam-sdk Base.set_power (safety-monitored: carries viam-sid) and is_moving (does not)."""
    base = Base.from_robot(robot, "base")
    still = Vector3(x=0, y=0, z=0)
    forward = [Vector3(x=0, y=power, z=0) for power in POWERS]
    return {
        "viam": lambda i: base.set_power(forward[i % 2], still),
        "unmonitored": lambda _i: base.is_moving(),
    }


async def sdk_and_echo(address: str, port: int, sizes: Sizes) -> dict[str, list[float]]:
    """The viam-sdk client and the echo client, both on this thread's loop, interleaved."""
    options = RobotClient.Options(dial_options=DialOptions(insecure=True, disable_webrtc=True))
    robot = await RobotClient.at_address(address, options)
    channel = Channel("127.0.0.1", port)
    try:
        calls = {"echo": echo_call(channel), **viam_calls(robot)}
        return await interleaved(calls, sizes.warmup, sizes.calls)
    finally:
        channel.close()
        await robot.close()  # type: ignore[no-untyped-call]  # viam-sdk leaves it untyped


async def raw_client(address: str, sizes: Sizes) -> list[float]:
    """The same SetPower with viam-sid from raw grpclib stubs: the daemon's share, no SDK."""
    channel = open_channel(address)
    try:
        robot = robot_grpc.RobotServiceStub(channel)
        base = base_grpc.BaseServiceStub(channel)
        session = await robot.StartSession(robot_pb2.StartSessionRequest())
        metadata = {"viam-sid": session.id}
        commands = [
            base_pb2.SetPowerRequest(
                name="base", linear=common_pb2.Vector3(y=power), angular=common_pb2.Vector3()
            )
            for power in POWERS
        ]
        return await timed(
            lambda i: base.SetPower(commands[i % 2], metadata=metadata, timeout=5),
            sizes.warmup, sizes.calls,
        )
    finally:
        channel.close()


def against_daemon(echo_port: int, sizes: Sizes) -> dict[str, list[float]]:
    """All section-1 round trips against one BackgroundDaemon (sim gpio rover)."""
    daemon = BackgroundDaemon(demo_config("gpio", WINDOW), sim=True, listen="127.0.0.1:0")
    try:
        times = asyncio.run(sdk_and_echo(daemon.address, echo_port, sizes))
        wait_stopped(daemon)  # the SDK's connections closed: its session ended
        times["raw"] = asyncio.run(raw_client(daemon.address, sizes))
        wait_stopped(daemon)
    finally:
        daemon.close()
    return times


def round_trips(sizes: Sizes) -> dict[str, list[float]]:
    """The echo server on its own loop thread, the daemon on another; clients on this one."""
    loop = LoopThread()
    try:
        port = free_port()
        server = loop.call(start_echo_server(port))
        try:
            return against_daemon(port, sizes)
        finally:
            loop.call(stop_echo_server(server))
    finally:
        loop.close()


def report_round_trips(sizes: Sizes) -> None:
    """Section 1."""
    times = round_trips(sizes)
    echo, viam, raw, unmonitored = (times[k] for k in ("echo", "viam", "raw", "unmonitored"))
    e50, e99 = percentile(echo, 0.5), percentile(echo, 0.99)
    ratio50, ratio99 = percentile(viam, 0.5) / e50, percentile(viam, 0.99) / e99
    print(f"1. monitored Base.SetPower round trip over 127.0.0.1, {len(viam)} calls after "
          f"{sizes.warmup} warm-up calls (the first warm-up call started the session);")
    print("   viam-sdk client in this process (main-thread asyncio loop), daemon (sim gpio rover,"
          " fake pins) on a BackgroundDaemon loop thread;")
    print(f"   the echo baseline's calls alternate with the SDK's in blocks of {BLOCK}:")
    print(f"   viam-sdk set_power            {spread(viam)}")
    print(f"   baseline grpclib unary echo   {spread(echo)}   (server on its own loop thread,"
          " client on the main thread: the same shape)")
    print(f"   ratio p50 {ratio50:.2f}x  p99 {ratio99:.2f}x   target p50 ratio <= 1.5x: "
          f"{verdict(ratio50 <= 1.5)}")
    print("   where the time goes (same daemon, same run):")
    print(f"     viam-sdk is_moving (unmonitored, no session)  {spread(unmonitored)}"
          f"   (p50 {percentile(unmonitored, 0.5) / e50:.2f}x echo; interleaved too)")
    print(f"     raw grpclib stub SetPower + viam-sid, no SDK  {spread(raw)}"
          f"   (p50 {percentile(raw, 0.5) / e50:.2f}x echo: the daemon's share; run after)")


# -- 2 and 3. kill and hang ------------------------------------------------------------------


def demo_argv(address: str, linear: float) -> list[str]:
    """tether.demo_client: raw grpclib stubs, SetPower with viam-sid at 20 Hz."""
    return [sys.executable, "-m", "tether.demo_client", address, str(linear)]


def viam_argv(address: str, linear: float) -> list[str]:
    """The viam-sdk client process the tests use (session heartbeats on a second connection)."""
    return [sys.executable, str(VIAM_CLIENT), address, str(linear), "hold"]


def wait_stopped(daemon: BackgroundDaemon) -> float:
    """When every output reached duty 0 (device-side time); RuntimeError if it never does."""
    if daemon.wait_until(lambda: not daemon.moving(), 5 * WINDOW + 2) is None:
        raise RuntimeError(f"the rover still had duty {daemon.duties()}")
    stopped = daemon.stopped_at()
    assert stopped is not None
    return stopped


def drive(daemon: BackgroundDaemon, child: Child, run: int) -> str:
    """Wait for the client to say it drives and the rover to move; then drive a little longer.

    The extra time varies by run so the signal lands at different points of the 20 Hz cycle.
    """
    line = child.wait_for("driving", 30)
    if daemon.wait_until(daemon.moving, 5) is None:
        raise RuntimeError(f"the client printed {line!r} but the rover does not move")
    time.sleep(0.1 + (run % 5) * 0.011)
    return line


def kill_once(daemon: BackgroundDaemon, argv: list[str], run: int) -> float:
    """One client driven, SIGKILLed: seconds from the kill to every duty 0."""
    child = Child(argv)
    try:
        drive(daemon, child, run)
        killed = time.monotonic()
        child.process.kill()
        return wait_stopped(daemon) - killed
    finally:
        child.close()


def stop_event(daemon: BackgroundDaemon, session_id: str, timeout: float = 2.0) -> StopEvent:
    """The daemon's record of the stop it made for that session (it lands just after the stop)."""
    assert daemon.daemon.api is not None
    until = time.monotonic() + timeout
    while time.monotonic() < until:
        for event in daemon.daemon.api.sessions.recent_stops():
            if event.session_id == session_id:
                return event
        time.sleep(0.005)
    raise RuntimeError(f"no stop recorded for session {session_id}")


def hang_once(daemon: BackgroundDaemon, run: int) -> tuple[float, float]:
    """One client driven, SIGSTOPped: (stop - SIGSTOP - window, stop - session deadline)."""
    child = Child(demo_argv(daemon.address, 0.4))
    try:
        session_id = drive(daemon, child, run).split()[-1]
        frozen = time.monotonic()
        child.process.send_signal(signal.SIGSTOP)
        stopped = wait_stopped(daemon)
        event = stop_event(daemon, session_id)
        if event.reason is not StopReason.EXPIRED:
            raise RuntimeError(f"the hung client's session stopped for {event.reason}")
        return stopped - frozen - WINDOW, stopped - event.deadline
    finally:
        child.close()


def report_kills(daemon: BackgroundDaemon, sizes: Sizes) -> None:
    """Section 2."""
    delays = [kill_once(daemon, demo_argv(daemon.address, 0.5), i) for i in range(sizes.kills)]
    p99 = percentile(delays, 0.99)
    print(f"2. client SIGKILL -> every duty 0 (sim gpio rover in a BackgroundDaemon, window "
          f"{WINDOW * 1e3:.0f} ms):")
    print(f"   tether.demo_client (raw grpclib, SetPower + viam-sid at 20 Hz), {sizes.kills} runs:")
    print(f"     {spread(delays)}   target p99 <= 50 ms: {verdict(p99 <= 0.05)}")
    print(f"   baseline: the reference behaviour, waiting one full window = {ms(WINDOW)}"
          f" (tether p99 is {WINDOW / p99:.0f}x lower)")
    if sizes.viam_kills:
        viam = [kill_once(daemon, viam_argv(daemon.address, 0.5), i)
                for i in range(sizes.viam_kills)]
        v99 = percentile(viam, 0.99)
        print(f"   viam-sdk client (tests/server/clients/viam_drive.py; heartbeats on a second "
              f"connection), {sizes.viam_kills} runs:")
        print(f"     {spread(viam)}   target p99 <= 50 ms: {verdict(v99 <= 0.05)}"
              f"   ({WINDOW / v99:.0f}x below the window)")


def report_hangs(daemon: BackgroundDaemon, sizes: Sizes) -> None:
    """Section 3."""
    runs = [hang_once(daemon, i) for i in range(sizes.hangs)]
    late = [over for over, _ in runs]
    past_deadline = [after for _, after in runs]
    worst = max(late)
    print(f"3. client SIGSTOPped (its connections stay open) -> every duty 0, tether.demo_client,"
          f" {sizes.hangs} runs:")
    print(f"   (stop - SIGSTOP) - window: min {ms(min(late))}  p50 {ms(percentile(late, 0.5))}"
          f"  max {ms(worst)}"
          f"   target <= 20 ms: {verdict(worst <= 0.02)}")
    print("   negative values are expected: the deadline is the last heartbeat + window, and the"
          " client's last")
    print("   heartbeat (each 20 Hz command is one) came up to 50 ms before the SIGSTOP.")
    print(f"   stop - the session's deadline (the daemon's own stop record): min "
          f"{ms(min(past_deadline))}  p50 {ms(percentile(past_deadline, 0.5))}"
          f"  max {ms(max(past_deadline))}")
    print(f"   baseline: the window itself, {ms(WINDOW)} - a hung client cannot be told from a "
          "slow one sooner")


def report_daemon_runs(sizes: Sizes) -> None:
    """Sections 2 and 3 on one BackgroundDaemon."""
    daemon = BackgroundDaemon(demo_config("gpio", WINDOW), sim=True, listen="127.0.0.1:0")
    try:
        report_kills(daemon, sizes)
        report_hangs(daemon, sizes)
    finally:
        daemon.close()


# -- 4. idle daemon process ------------------------------------------------------------------


def sample(pid: int, seconds: float) -> tuple[float, float]:
    """(fraction of one core, RSS MiB at the end) of a process over `seconds`."""
    cpu, began = cpu_seconds(pid), time.monotonic()
    time.sleep(seconds)
    used, took = cpu_seconds(pid) - cpu, time.monotonic() - began
    return used / took, rss_mib(pid)


def serve_argv(port: int) -> list[str]:
    """`tether serve examples/rover.toml --sim` on a local port."""
    return [sys.executable, "-m", "tether.cli", "serve", "examples/rover.toml", "--sim",
            "--listen", f"127.0.0.1:{port}"]


def hold_argv(port: int, seconds: float) -> list[str]:
    """The heartbeat-only client: StartSession, then SendSessionHeartbeat every window/5."""
    return [sys.executable, "-c", IDLE_CLIENT, f"127.0.0.1:{port}", str(seconds + 30)]


def held_sample(port: int, pid: int, seconds: float) -> tuple[str, tuple[float, float], bool]:
    """Server pid's (CPU, RSS) while the heartbeat-only client holds a session on it."""
    client = Child(hold_argv(port, seconds))
    try:
        line = client.wait_for("holding", 30)
        time.sleep(1.0)  # past the client's connect and first calls
        figures = sample(pid, seconds)
        return line, figures, client.process.poll() is None
    finally:
        client.close(signal.SIGTERM)


def daemon_idle(seconds: float) -> dict[str, Any]:
    """The daemon process: CPU/RSS with no client, then with one heartbeat-only session."""
    port = free_port()
    daemon = Child(serve_argv(port))
    figures: dict[str, Any] = {}
    try:
        daemon.wait_for("tether: serving", 30)
        time.sleep(1.0)
        figures["bare"] = sample(daemon.process.pid, seconds)
        figures["client"], figures["held"], figures["alive"] = held_sample(
            port, daemon.process.pid, seconds
        )
    finally:
        figures["exit"] = daemon.close(signal.SIGTERM)
        figures["said"] = daemon.drain()
    return figures


def stand_in_idle(seconds: float) -> tuple[tuple[float, float], bool]:
    """A bare grpclib process answering the same two RPCs with no session layer, same client."""
    port = free_port()
    server = Child([sys.executable, "-c", STAND_IN_SERVER, str(port), str(3 * seconds + 30)])
    try:
        server.wait_for("stand-in: serving", 30)
        _, figures, alive = held_sample(port, server.process.pid, seconds)
        return figures, alive
    finally:
        server.close(signal.SIGTERM)


def report_idle(sizes: Sizes) -> None:
    """Section 4."""
    seconds = sizes.idle_seconds
    figures = daemon_idle(seconds)
    (stand_cpu, stand_rss), stand_alive = stand_in_idle(seconds)
    cpu, rss = figures["held"]
    bare_cpu, bare_rss = figures["bare"]
    tick = 100 / os.sysconf("SC_CLK_TCK") / seconds
    print(f"4. `tether serve examples/rover.toml --sim` process, idle but for one live session, "
          f"{seconds:.0f} s each figure;")
    print(f"   its client (a subprocess) sent nothing but heartbeats: {figures['client']}")
    print(f"   CPU {cpu * 100:.2f} % of one core (resolution {tick:.2f} %)   RSS {rss:.1f} MiB"
          f"   target CPU < 1 % (README's idle target, borrowed): {verdict(cpu < 0.01)};"
          " RSS: no target")
    print(f"   baseline: the same daemon before the client came: CPU {bare_cpu * 100:.2f} %"
          f"   RSS {bare_rss:.1f} MiB")
    print(f"   baseline: a bare grpclib process answering the same StartSession/heartbeats "
          f"(no session layer, no rover): CPU {stand_cpu * 100:.2f} %   RSS {stand_rss:.1f} MiB")
    ratio = f"{cpu / stand_cpu:.2f}x" if stand_cpu else "n/a (stand-in used no ticks)"
    print(f"   daemon CPU / bare grpclib CPU: {ratio} (the floor for 10 RPC/s is the stand-in's)")
    alive = figures["alive"] and stand_alive
    said = "; ".join(line for line in figures["said"] if line.startswith("tether:"))
    print(f"   clients {'still heartbeating' if alive else 'DIED during the measurement'} at the"
          f" end; SIGTERM to all; daemon exit code {figures['exit']} ({said})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    args = parser.parse_args()
    sizes = QUICK if args.quick else FULL
    began = time.monotonic()
    print(f"tether API bench ({'quick' if args.quick else 'full'}): python {sys.version.split()[0]}"
          f", {os.cpu_count()} CPUs, all traffic on 127.0.0.1")
    report_round_trips(sizes)
    report_daemon_runs(sizes)
    report_idle(sizes)
    print(f"total {time.monotonic() - began:.1f} s")


if __name__ == "__main__":
    main()
