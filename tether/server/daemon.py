"""`tether serve`: build the rover, serve the API, stop everything on the way out."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import ssl
import time
from typing import TYPE_CHECKING, Any

from grpclib.config import Configuration

from tether.config import RobotConfig, parse_listen
from tether.errors import ConfigError
from tether.guardian.pulse import READY, STOPPING, GuardianInfo, Pulse, install_test_hooks
from tether.robot import Robot, build_robot
from tether.server import systemd
from tether.server.admission import GRPC_IDLE_TIMEOUT, ConnectionBudget, ConnectionLimits, Doorway
from tether.server.api import Api
from tether.server.auth import Authenticator
from tether.server.budgets import LimitedProtoCodec
from tether.server.connections import TrackingServer
from tether.server.exposure import check_exposure
from tether.server.guard import GuardedServer
from tether.server.limits import StreamLimiter
from tether.server.sensors import EncoderService, MovementSensorService
from tether.server.services import (
    AuthService,
    BaseService,
    ControlService,
    MotorService,
    RobotService,
    UnservedMethods,
)
from tether.server.unix_socket import bind_unix_socket
from tether.session import SessionManager

if TYPE_CHECKING:
    from tether.sim.process import SimProcess, SimSeams
    from tether.web.server import WebServer

log = logging.getLogger("tether.server")

SHUTDOWN_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
#: Seconds without an answer to any keepalive ping before the daemon closes a connection. A slow
#: client (viam-sdk's close() blocks its loop ~1 s) keeps it; its sessions' windows, not pings,
#: bound how long a silent client drives (Viam's server waits 2 h before its first ping).
DEAD_CONNECTION_AFTER = 20.0


class Daemon:
    """One rover, one session manager, one gRPC server; start(), then stop() (or a signal)."""

    def __init__(self, config: RobotConfig, *, sim: bool = False, listen: str | None = None):
        self.config = config
        self.sim = sim or config.sim
        self.listen = listen or config.server.listen
        self.address = parse_listen(self.listen, "--listen")
        self.robot: Robot | None = None
        #: The simulated-hardware process (--sim) and the seams the drivers opened on it.
        self.hardware: SimProcess | None = None
        self._seams: SimSeams | None = None
        self.api: Api | None = None
        self._server: TrackingServer | None = None
        self._stopping = asyncio.Event()
        self._signals = 0
        self.bound: str = ""
        self.authenticator = Authenticator(config.keys, lifetime=config.token_lifetime)
        self.web: WebServer | None = None
        self._socket_path: str | None = None  # the Unix socket this daemon bound (and removes)

    async def start(self) -> str:
        """Build the robot and start listening; returns the address actually bound."""
        check_exposure(self.config, self.listen, self.address)
        tls = _tls_context(self.config)
        ConnectionLimits.for_fd_limit()  # a limit too low for any connection: refused first
        self.robot = self._build_robot()
        try:  # counted after the hardware: the simulated hardware's sockets take fds too
            self.budget = ConnectionBudget(ConnectionLimits.for_fd_limit())  # both ports
        except BaseException:
            self.robot.close()
            self._release_hardware()
            raise
        window = self.config.server
        sessions = SessionManager(
            self.robot.get, heartbeat_window=window.heartbeat_window,
            stop_timeout=window.stop_timeout, max_sessions=window.max_sessions,
        )
        self.api = Api(self.robot, sessions)
        self.authenticator = Authenticator(self.config.keys, lifetime=self.config.token_lifetime)
        handlers = [RobotService(self.api), BaseService(self.api), MotorService(self.api),
                    EncoderService(self.api), MovementSensorService(self.api),
                    ControlService(self.api), AuthService(self.authenticator), UnservedMethods()]
        ping = max(window.heartbeat_window, 0.5)
        self._server = GuardedServer(
            handlers, tracker=self.api.tracker, authenticator=self.authenticator,
            codec=LimitedProtoCodec(),
            config=Configuration(
                _keepalive_time=ping, _keepalive_timeout=DEAD_CONNECTION_AFTER,
                _keepalive_permit_without_calls=True,
                _http2_max_pings_without_data=0,
                _http2_min_sent_ping_interval_without_data=ping,
            ),
        )
        self.authenticator.install(self._server)
        self.limiter = StreamLimiter(window.max_streams_per_connection)
        self.limiter.install(self._server)
        self._server.admit_through(
            Doorway(self.budget, "gRPC", idle_timeout=GRPC_IDLE_TIMEOUT), self.authenticator
        )
        try:
            if isinstance(self.address, str):
                sock = bind_unix_socket(self.address, f"{self._where()} = {self.listen!r}")
                self._socket_path = self.address
                try:
                    await self._server.start(sock=sock, ssl=tls)
                except BaseException:
                    sock.close()
                    raise
                self.bound = f"unix:{self.address}"
            else:
                host, port = self.address
                await self._server.start(host, port, ssl=tls)
                listener: Any = self._server._server
                sockets = listener.sockets if listener is not None else []
                self.bound = f"{host}:{sockets[0].getsockname()[1] if sockets else port}"
            if self.config.web.enabled:
                self.web = await self._start_web()
        except BaseException as exc:
            listening = self._server._server is not None
            if not listening:
                self._server = None  # never listened: nothing to close
            await self.stop()
            if isinstance(exc, OSError) and not listening:
                raise ConfigError(f"{self._where()} = {self.listen!r}: expected an address this "
                                  f"machine can listen on ({exc.strerror or exc})") from exc
            raise
        return self.bound

    def _build_robot(self) -> Robot:
        """The rover on its hardware, or (--sim) on a simulated-hardware process's seams."""
        if not self.sim:
            return build_robot(self.config)
        from tether.sim.process import ENV_LINE, SimProcess

        owned = os.environ.get(ENV_LINE)  # the guardian's, which outlives this daemon
        self.hardware = (SimProcess.attach(owned, self.config) if owned
                         else SimProcess.start(self.config))
        self._seams = self.hardware.seams()
        try:
            return build_robot(self.config, sim=True, seams=self._seams)
        except BaseException:
            self._release_hardware()
            raise

    def _release_hardware(self) -> None:
        """Close the drivers' seams, then let the simulated hardware go (it ends by itself
        once nobody reads it): pigpio connections close before the fake pigpiod does."""
        if self._seams is not None:
            self._seams.close()
        if self.hardware is not None:
            self._settle(self.hardware)
            self.hardware.leave()

    @staticmethod
    def _settle(hardware: SimProcess, timeout: float = 0.5) -> None:
        """Give the simulated hardware a moment to act on the last stop before its readings
        are kept (a pty or socket still holds it): real hardware has no readings to keep."""
        until = time.monotonic() + timeout
        with contextlib.suppress(ConnectionError, OSError):
            while hardware.client.moving() and time.monotonic() < until:
                time.sleep(0.005)

    def _where(self) -> str:
        """Where the listen address came from, for errors."""
        if self.listen != self.config.server.listen:
            return "--listen"
        return f"{self.config.source}: [server].listen"

    async def _start_web(self) -> WebServer:
        """The drive page on this loop ([web]); needs the web extra."""
        try:
            from tether.web.server import start_web, web_tls_context
        except ImportError as exc:
            raise ConfigError(
                f"{self.config.source}: [web] needs aiohttp ({exc}): pip install 'tether[web]'"
            ) from None
        web, server = self.config.web, self.config.server
        address = parse_listen(web.listen, "[web].listen")
        assert not isinstance(address, str), "the config refuses unix: for [web]"
        tls = None
        if server.tls_cert and server.tls_key:
            tls = web_tls_context(server.tls_cert, server.tls_key)
        assert self.api is not None
        return await start_web(
            self.api, host=address[0], port=address[1], authenticator=self.authenticator,
            allow_shared_base=web.allow_shared_base, allowed_origins=web.allowed_origins,
            ssl_context=tls, budget=self.budget,
        )

    def install_signal_handlers(self) -> None:
        """SIGTERM/SIGINT/SIGHUP: stop everything and exit; a second signal exits at once."""
        loop = asyncio.get_running_loop()
        for signum in SHUTDOWN_SIGNALS:
            loop.add_signal_handler(signum, self._on_signal, signum)

    def _on_signal(self, signum: int) -> None:
        self._signals += 1
        if self._signals > 1:
            log.warning("second signal: stopping motors and exiting now")
            if self.robot is not None:
                self.robot.stop_all()
            os._exit(128 + signum)
        log.warning("signal %s: refusing new commands, stopping every actuator",
                    signal.Signals(signum).name)
        if self.api is not None:
            self.api.shutting_down = True
        self._stopping.set()

    async def wait(self) -> None:
        """Until a signal (or request_stop()) asks the daemon to stop."""
        await self._stopping.wait()

    def request_stop(self) -> None:
        """Ask a running daemon to shut down (from its loop)."""
        self._stopping.set()

    async def stop(self) -> None:
        """Refuse commands, stop every actuator, end sessions, close the server, release.

        Every actuator is stopped first, right here on the loop's thread: that needs no new
        thread and no executor, so a process at its thread or memory limit still stops its
        wheels before anything that could fail is tried."""
        if self.api is not None:
            self.api.shutting_down = True
        if self.robot is not None:
            self.robot.stop_all()
        if self.web is not None:
            await self.web.close()  # each tab gets a fatal frame; its session ends
            self.web = None
        if self.api is not None:
            await self.api.run_stop(self.api.sessions.close)
        if self._server is not None:
            self._server.close()
            self._server.close_connections()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._server.wait_closed(), 2.0)
        if self.robot is not None:
            await self._close_robot(self.robot)
        if self.api is not None:
            self.api.close()
        self._release_hardware()
        if self._socket_path is not None:  # only a socket this daemon bound: never another's
            path, self._socket_path = self._socket_path, None
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)

    async def _close_robot(self, robot: Robot) -> None:
        """Close the robot on a stop worker (on this thread before the API exists)."""
        if self.api is None:
            robot.close()
        else:
            await self.api.run_stop(robot.close)


def _tls_context(config: RobotConfig) -> ssl.SSLContext | None:
    """A server TLS context (HTTP/2 via ALPN) from [server] tls_cert/tls_key, if set."""
    server = config.server
    if server.tls_cert is None or server.tls_key is None:
        return None
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    try:
        context.load_cert_chain(server.tls_cert, server.tls_key)
    except (OSError, ssl.SSLError) as exc:
        raise ConfigError(
            f"{config.source}: [server].tls_cert/tls_key = {server.tls_cert!r}, "
            f"{server.tls_key!r}: expected a readable PEM certificate and key ({exc})"
        ) from exc
    context.set_alpn_protocols(["h2"])
    return context


def _report_to(guardian: Pulse, daemon: Daemon) -> None:
    """Beats from the loop and the watchdog thread, READY, and an end if the guardian dies."""
    loop = asyncio.get_running_loop()
    assert daemon.robot is not None and daemon.api is not None
    robot, watchdog = daemon.robot, daemon.api.sessions.watchdog

    def guardian_lost() -> None:
        robot.stop_all()  # from whichever thread noticed: stops are thread-safe
        loop.call_soon_threadsafe(daemon.request_stop)

    guardian.on_lost = guardian_lost
    daemon.api.guardian = GuardianInfo.from_environ(guardian.guardian_pid)
    guardian.beat_loop(loop)
    if watchdog is not None:
        guardian.beat_watchdog(watchdog.beat_every)
        install_test_hooks(loop, watchdog.close)
    guardian.send(READY)


async def serve(config: RobotConfig, *, sim: bool = False, listen: str | None = None) -> None:
    """Run the daemon until a signal; what `tether serve --no-guardian` (and the guardian's
    child) does."""
    guardian = Pulse.from_environ()
    if guardian is not None:
        guardian.die_with_guardian()
        guardian.start_sentinels()
    daemon = Daemon(config, sim=sim, listen=listen)
    bound = await daemon.start()
    daemon.install_signal_handlers()
    assert daemon.robot is not None and daemon.api is not None
    names = ", ".join(repr(n) for n in daemon.robot.resources)
    watched = f"; pid {os.getpid()}, guardian pid {guardian.guardian_pid}" if guardian else \
        f"; pid {os.getpid()}, no guardian"
    print(f"tether: serving {names} on {bound}{' (simulated hardware)' if daemon.sim else ''}"
          f"{watched}", flush=True)
    if daemon.web is not None:
        print(f"tether: drive page at {daemon.web.url}", flush=True)
    if daemon.hardware is not None:  # where pigpio clients, tests and the demo reach it
        print(daemon.hardware.addresses.line(), flush=True)
    if guardian is not None:
        _report_to(guardian, daemon)
    systemd.ready(f"serving {names} on {bound}")  # Type=notify: started only now
    try:
        await daemon.wait()
    finally:
        if guardian is not None:
            guardian.send(STOPPING)
            guardian.close()
        systemd.stopping("stopping every actuator")
        await daemon.stop()
        if daemon.hardware is not None:  # read from the simulated hardware, after the stop
            duties = ", ".join(f"{n}={d:g}" for n, d in daemon.hardware.client.duties().items())
            print(f"tether: duties at exit: {duties}", flush=True)
            daemon.hardware.wait(2.0)  # it ends by itself unless someone still reads it
        print("tether: stopped; every actuator stopped and released", flush=True)
