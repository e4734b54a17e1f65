"""Notification handles (NOIB, NB, NP, NC) and watchdogs (WDOG) of the fake pigpiod.

As pigpio.c's alertEmit does, every level change of a watched GPIO is one 12-byte report with
the change's tick and the levels of GPIO 0-31 after it; a watchdog that saw no change for its
timeout sends a report flagged WDOG with the GPIO number. Keep-alive reports (sent by pigpiod
after a minute without any) are not sent: pigpio.py ignores them.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from enum import Enum

import tether.fakes.pigpiod.protocol as pp
from tether.fakes.pigpiod.connection import Connection
from tether.fakes.pigpiod.gpio import PigpioError, PigpioPins

#: How often (real seconds) the watchdog thread looks at the clock while a watchdog is set.
WATCHDOG_POLL = 0.002


class _State(Enum):
    OPENED = "opened"
    RUNNING = "running"
    PAUSED = "paused"


@dataclass(slots=True)
class _Handle:
    connection: Connection
    state: _State = _State.OPENED
    bits: int = 0
    seqno: int = 0


@dataclass(slots=True)
class _Watchdog:
    timeout: float  # seconds
    since: float  # clock time of the last change or report


class Notifier:
    """The 32 notification slots and the per-GPIO watchdogs."""

    def __init__(self, pins: PigpioPins) -> None:
        self._pins = pins
        self._lock = threading.Lock()
        self._slots: list[_Handle | None] = [None] * pp.NOTIFY_SLOTS
        self._watchdogs: dict[int, _Watchdog] = {}
        self._watchdog_changed = threading.Event()
        self._stopping = threading.Event()
        self._watchdog_thread: threading.Thread | None = None
        pins.add_edge_sink(self._on_edge)

    def open_in_band(self, connection: Connection) -> int:
        """NOIB: a handle whose reports go back on the requesting socket."""
        with self._lock:
            self._close_where(connection)  # pigpio.c closes a socket's older handles
            for slot, handle in enumerate(self._slots):
                if handle is None:
                    self._slots[slot] = _Handle(connection)
                    return slot
        raise PigpioError(pp.PI_NO_HANDLE, f"all {pp.NOTIFY_SLOTS} notification handles in use")

    def begin(self, handle: int, bits: int) -> int:
        """NB: report changes of the GPIOs in `bits`."""
        with self._lock:
            opened = self._opened(handle)
            opened.bits, opened.state = bits, _State.RUNNING
        return 0

    def pause(self, handle: int) -> int:
        """NP: stop reporting until the next NB."""
        with self._lock:
            opened = self._opened(handle)
            opened.bits, opened.state = 0, _State.PAUSED
        return 0

    def close(self, handle: int) -> int:
        """NC: free the handle (its socket stays open until the client closes it)."""
        with self._lock:
            self._opened(handle)
            self._slots[handle] = None
        return 0

    def close_for(self, connection: Connection) -> None:
        """The client's socket closed: free its handles, as pigpiod does, and nothing else."""
        with self._lock:
            self._close_where(connection)

    def open_handles(self) -> list[int]:
        """Handles in use."""
        with self._lock:
            return [slot for slot, handle in enumerate(self._slots) if handle is not None]

    def dropped_reports(self) -> int:
        """Reports dropped because a client stopped reading (0 in a healthy run)."""
        with self._lock:
            return sum(h.connection.dropped for h in self._slots if h is not None)

    def set_watchdog(self, gpio: int, timeout_ms: int) -> int:
        """WDOG: a report after `timeout_ms` without a level change; 0 cancels."""
        if gpio > pp.MAX_USER_GPIO:
            raise PigpioError(pp.PI_BAD_USER_GPIO, f"gpio={gpio}: expected 0-31")
        if timeout_ms > pp.MAX_WDOG_TIMEOUT:
            raise PigpioError(
                pp.PI_BAD_WDOG_TIMEOUT, f"gpio {gpio} timeout={timeout_ms}: expected 0-60000"
            )
        with self._lock:
            if timeout_ms:
                self._watchdogs[gpio] = _Watchdog(timeout_ms / 1000, self._pins.clock())
            else:
                self._watchdogs.pop(gpio, None)
            if self._watchdog_thread is None and timeout_ms:
                self._watchdog_thread = threading.Thread(
                    target=self._watch, name="fake-pigpiod-watchdogs", daemon=True
                )
                self._watchdog_thread.start()
        self._watchdog_changed.set()
        return 0

    def stop(self) -> None:
        """End the watchdog thread."""
        self._stopping.set()
        self._watchdog_changed.set()
        if self._watchdog_thread is not None:
            self._watchdog_thread.join(2.0)

    def _opened(self, handle: int) -> _Handle:
        opened = self._slots[handle] if handle < pp.NOTIFY_SLOTS else None
        if opened is None:
            raise PigpioError(pp.PI_BAD_HANDLE, f"handle={handle}: not an open notification")
        return opened

    def _close_where(self, connection: Connection) -> None:
        for slot, handle in enumerate(self._slots):
            if handle is not None and handle.connection is connection:
                self._slots[slot] = None

    def _emit(self, gpio: int, flags: int, tick: int, levels: int) -> None:
        """One report to every running handle that watches the GPIO (caller holds the lock)."""
        for handle in self._slots:
            if handle is not None and handle.state is _State.RUNNING and handle.bits >> gpio & 1:
                handle.connection.queue(pp.REPORT.pack(handle.seqno, flags, tick, levels))
                handle.seqno = (handle.seqno + 1) & 0xFFFF

    def _on_edge(self, gpio: int, when: float, levels: int) -> None:
        with self._lock:
            watchdog = self._watchdogs.get(gpio)
            if watchdog is not None:
                watchdog.since = when
            self._emit(gpio, 0, self._pins.tick(when), levels)

    def _watch(self) -> None:
        while not self._stopping.is_set():
            with self._lock:
                active = bool(self._watchdogs)
            self._watchdog_changed.wait(WATCHDOG_POLL if active else None)
            self._watchdog_changed.clear()
            self.fire_due_watchdogs()

    def fire_due_watchdogs(self) -> None:
        """Report every watchdog whose timeout has passed on the clock (the thread calls this)."""
        now = self._pins.clock()
        levels = self._pins.levels()
        with self._lock:
            for gpio, watchdog in self._watchdogs.items():
                if now - watchdog.since >= watchdog.timeout:
                    watchdog.since = now
                    flags = pp.NTFY_FLAGS_WDOG | gpio
                    self._emit(gpio, flags, self._pins.tick(now), levels)
