"""The fake pigpiod's TCP server: one thread per client socket, as pigpiod itself runs.

Threads rather than asyncio because the work is a blocking read-answer loop per socket (what a
thread does plainly), because tests and models call the pins from their own threads (an event
loop would need a hop for each call), and because that is pigpiod's own design: a client that
stops reading blocks only its own thread.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
import time
from collections.abc import Callable, Iterable
from types import TracebackType

import tether.fakes.pigpiod.protocol as pp
from tether.fakes.pigpiod.commands import CommandLog, Commands
from tether.fakes.pigpiod.connection import Connection
from tether.fakes.pigpiod.gpio import PigpioError, PigpioPins, PinChange
from tether.fakes.pigpiod.notify import Notifier
from tether.fakes.pigpiod.signals import SquareWave

log = logging.getLogger(__name__)


class FakePigpiod:
    """A pigpio daemon for tests: the real `pigpio` library and gpiozero's PiGPIOFactory
    connect to it as to pigpiod, and its pins keep their PWM when a client goes away."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        clock: Callable[[], float] = time.monotonic,
        revision: int = pp.PI4B_REVISION,
        tick_at_start: int = 0,
    ) -> None:
        self.pins = PigpioPins(clock=clock, revision=revision, tick_at_start=tick_at_start)
        self.notifier = Notifier(self.pins)
        self.commands = Commands(self.pins, self.notifier)
        self.log = CommandLog()
        self._bind = (host, port)
        self._listener: socket.socket | None = None
        self._accepting: threading.Thread | None = None
        self._clients: dict[Connection, threading.Thread] = {}
        self._clients_lock = threading.Lock()

    # --- lifecycle ------------------------------------------------------------------------

    def start(self) -> FakePigpiod:
        """Listen (port 0 picks a free one) and serve until stop()."""
        listener = socket.create_server(self._bind, backlog=100)
        self._listener = listener
        self._accepting = threading.Thread(
            target=self._accept, args=(listener,), name="fake-pigpiod-accept", daemon=True
        )
        self._accepting.start()
        return self

    def stop(self) -> None:
        """Close every socket and stop serving; the pins keep their state; idempotent."""
        listener, self._listener = self._listener, None
        if listener is not None:
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)
            listener.close()
        if self._accepting is not None:
            self._accepting.join(2.0)
        with self._clients_lock:
            clients = list(self._clients.items())
        for connection, thread in clients:
            with contextlib.suppress(OSError):
                connection.sock.shutdown(socket.SHUT_RDWR)
            thread.join(2.0)
        self.notifier.stop()

    def __enter__(self) -> FakePigpiod:
        return self.start() if self._listener is None else self

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _value: BaseException | None,
        _traceback: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def host(self) -> str:
        """The address clients connect to."""
        return self._bind[0] if self._listener is None else self._listener.getsockname()[0]

    @property
    def port(self) -> int:
        """The port clients connect to (the one chosen, when started on port 0)."""
        return self._bind[1] if self._listener is None else self._listener.getsockname()[1]

    @property
    def address(self) -> str:
        """host:port, as the ready line and PIGPIO_ADDR/PIGPIO_PORT users want it."""
        return f"{self.host}:{self.port}"

    # --- what tests read --------------------------------------------------------------------

    def level(self, pin: int | str) -> int:
        """What READ would return for the pin now."""
        return self.pins.level(pin)

    def duty(self, pin: int | str) -> float:
        """The pin's PWM duty (0..1) if it pulses, else its level."""
        return self.pins.state(pin)

    def history(self, pin: int | str) -> list[PinChange]:
        """Every state of the pin with its time on the clock."""
        return self.pins.history(pin)

    def clients(self) -> int:
        """Client sockets open now (a pigpio.pi holds two)."""
        with self._clients_lock:
            return len(self._clients)

    def wait_for_clients(self, count: int, timeout: float = 5.0) -> bool:
        """Wait until exactly `count` client sockets are open; False on timeout."""
        deadline = time.monotonic() + timeout
        while self.clients() != count:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.005)
        return True

    # --- what tests inject ------------------------------------------------------------------

    def drive(self, pin: int | str, level: int | None, at: float | None = None) -> None:
        """Drive an input pin from outside (None: let its pull decide)."""
        self.pins.drive(pin, level, at)

    def drive_edges(self, pin: int | str, edges: Iterable[tuple[float, int | None]]) -> None:
        """Drive an input through (time, level) steps, each stamped with its own time."""
        self.pins.drive_edges(pin, edges)

    def square_wave(self, pin: int | str, frequency: float, duration: float) -> SquareWave:
        """Start a square wave on an input pin; join() the result to wait for its last edge."""
        return SquareWave(self.pins, pin, frequency, duration).start()

    # --- serving ------------------------------------------------------------------------------

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                sock, _peer = listener.accept()
            except OSError:
                return
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
            connection = Connection(sock)
            thread = threading.Thread(
                target=self._serve, args=(connection,), name="fake-pigpiod-client", daemon=True
            )
            with self._clients_lock:
                self._clients[connection] = thread
            thread.start()

    def _serve(self, connection: Connection) -> None:
        """pigpio.c's pthSocketThreadHandler: request, answer, until the client goes."""
        try:
            while self._answer_one(connection):
                pass
        except OSError as error:
            log.debug("fake pigpiod: client %s: %s", connection.peer, error)
        finally:
            self.notifier.close_for(connection)
            connection.close()
            with self._clients_lock:
                self._clients.pop(connection, None)

    def _answer_one(self, connection: Connection) -> bool:
        header = connection.receive(pp.REQUEST.size)
        if header is None:
            return False
        cmd, p1, p2, p3 = pp.REQUEST.unpack(header)
        if p3 >= pp.MAX_EXTENSION:
            log.warning("fake pigpiod: %s sent a %d-byte extension; closing", connection.peer, p3)
            return False
        extension = connection.receive(p3) if p3 else b""
        if extension is None:
            return False
        if cmd == pp.Command.NOIB:
            result = self._open_notifications(connection)
        else:
            result = self.commands.run(cmd, p1, p2, extension)
        self.log.record(cmd, result)
        connection.send(pp.REPLY.pack(cmd, p1, p2, result & 0xFFFFFFFF))
        return True

    def _open_notifications(self, connection: Connection) -> int:
        try:
            handle = self.notifier.open_in_band(connection)
        except PigpioError as refused:
            return refused.code
        connection.stream()
        return handle
