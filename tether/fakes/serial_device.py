"""Fake serial devices on a pty: pyserial opens `device.path` exactly as it would a USB adapter.

A device can also be used without a pty (``pty=False``): feed it bytes with ``feed()`` and read
what it would answer from ``replies``, for pure codec tests. Every fake controller's own timeout
(the last line of defence when tether dies) is modelled here once: each device says only how
long a silence it tolerates now and what it does when the silence runs out.
"""

from __future__ import annotations

import contextlib
import os
import select
import shutil
import tempfile
import threading
import time
import tty
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import ClassVar, Self

from tether.fakes.channel import DutyChannel

_CHUNK = 4096


class PtySerialDevice(ABC):
    """The device end of a serial line, with unplug/replug and the controller's own timeout."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic, pty: bool = True) -> None:
        self.clock = clock
        self.last_command = clock()
        self.timeouts = 0
        self.received = bytearray()
        self.replies = bytearray()
        self._lock = threading.RLock()
        self._dir = tempfile.mkdtemp(prefix="tether-pty-") if pty else ""
        self.path = os.path.join(self._dir, "tty") if pty else ""
        self._master = -1
        self._slave = -1
        self._wake_r, self._wake_w = os.pipe() if pty else (-1, -1)
        self._thread: threading.Thread | None = None
        self._unplug_after: int | None = None
        self._generation = 0
        self._closed = False
        if pty:
            self.replug()

    # -- the wire -------------------------------------------------------------------------

    @property
    def plugged(self) -> bool:
        """True while the port exists."""
        return self._master >= 0

    def replug(self) -> None:
        """(Re)create the port at the same path; a driver reopening it finds the device again."""
        with self._lock:
            if self.plugged or self._closed:
                return
            master, slave = os.openpty()
            tty.setraw(slave)
            self._master, self._slave = master, slave
            self._generation += 1
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.path)
            os.symlink(os.ttyname(slave), self.path)
            self._thread = threading.Thread(
                target=self._read_loop, args=(master, self._generation),
                name="tether-fake-serial", daemon=True,
            )
            self._thread.start()

    def unplug(self) -> None:
        """Yank the cable: the port vanishes, writes fail, reopening fails until replug().

        The port hangs up only when its master's last user lets go, and a reader thread asleep
        in select() holds it: so the reader is woken and waited for before the master closes,
        and a write after this returns fails however late that thread runs."""
        with self._lock:
            if not self.plugged:
                return
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.path)
            master, slave = self._master, self._slave
            self._master = self._slave = -1
            self._generation += 1
            generation = self._generation
            os.write(self._wake_w, b"x")
            reader = self._thread
        if reader is not None and reader is not threading.current_thread():
            reader.join(5)
        os.close(slave)
        os.close(master)
        threading.Thread(
            target=self._unplugged_clock, args=(generation,),
            name="tether-fake-serial-unplugged", daemon=True,
        ).start()

    def unplug_after(self, count: int) -> None:
        """Unplug once `count` more bytes have arrived (mid-packet if you like)."""
        with self._lock:
            self._unplug_after = len(self.received) + count

    def send(self, data: bytes) -> None:
        """Bytes from the device to the host (replies)."""
        with self._lock:
            self.replies.extend(data)
            if self.plugged:
                os.write(self._master, data)

    def feed(self, data: bytes, now: float | None = None) -> None:
        """Bytes from the host, as if they arrived now (the pty reader calls this too)."""
        with self._lock:
            when = self.clock() if now is None else now
            self.received.extend(data)
            self.on_bytes(data, when)
            self.check_timeout()

    def close(self) -> None:
        """Unplug for good and remove the port's folder; idempotent."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        self.unplug()
        if self._thread is not None:
            self._thread.join(1)
        if self._wake_r >= 0:
            os.close(self._wake_r)
            os.close(self._wake_w)
        if self._dir:
            shutil.rmtree(self._dir, ignore_errors=True)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _read_loop(self, master: int, generation: int) -> None:
        while True:
            wait = self.seconds_until_wake()
            try:
                ready, _, _ = select.select([master, self._wake_r], [], [], wait)
            except (OSError, ValueError):
                return
            if self._wake_r in ready:
                os.read(self._wake_r, 64)
            with self._lock:
                if self._generation != generation or not self.plugged:
                    return
                if master in ready:
                    try:
                        data = os.read(master, _CHUNK)
                    except OSError:
                        data = b""
                    if data:
                        self._take(data)
                self.check_timeout()

    def _unplugged_clock(self, generation: int) -> None:
        """With the cable out, the controller still times out (a real one stops by itself)."""
        while True:
            wait = self.seconds_until_wake()
            time.sleep(0.05 if wait is None else min(max(wait, 0.001), 0.05))
            with self._lock:
                if self._generation != generation or self._closed:
                    return
                self.check_timeout()

    def _take(self, data: bytes) -> None:
        cut = self._unplug_after
        if cut is not None and len(self.received) + len(data) >= cut:
            keep = max(0, cut - len(self.received))
            self._unplug_after = None
            if keep:
                self.feed(data[:keep])
            self.unplug()
            return
        self.feed(data)

    # -- the controller's own timeout -----------------------------------------------------

    def check_timeout(self) -> None:
        """Apply the controller-side timeout if it has run out (call after advancing a clock)."""
        with self._lock:
            self._expire(self.clock())

    def seconds_until_timeout(self) -> float | None:
        """How long the reader may sleep before the timeout must be checked (None: forever)."""
        quiet = self._timeout_after()
        return None if quiet is None else max(0.0, self.last_command + quiet - self.clock())

    def seconds_until_wake(self) -> float | None:
        """How long the reader may sleep before check_timeout must run (a device that
        simulates something over time wakes more often)."""
        return self.seconds_until_timeout()

    def _expire(self, now: float) -> None:
        """Time out if no valid command came within the silence the device tolerates now."""
        quiet = self._timeout_after()
        if quiet is not None and now - self.last_command >= quiet:
            self._time_out(self.last_command + quiet)

    # -- for each device ------------------------------------------------------------------

    @abstractmethod
    def on_bytes(self, data: bytes, now: float) -> None:
        """Parse bytes exactly as the device does and act on complete, valid commands."""

    def _timeout_after(self) -> float | None:
        """Seconds without a valid command after which the device acts by itself, counted from
        `last_command`; None while nothing would happen (timeout off, or nothing to stop)."""
        return None

    def _time_out(self, when: float) -> None:  # noqa: B027 - devices without a timeout
        """What the device does when its timeout runs out at `when`."""


class DualChannelController(PtySerialDevice):
    """A two-channel controller at one address whose serial timeout stops both channels when
    no valid command came in time (Sabertooth; RoboClaw, which also speaks its drive commands).

    `channels[1]` and `[2]` feed the rover model; `timeout` is the armed timeout in seconds
    (0: off), `timeouts` counts the times it stopped a moving channel.
    """

    #: The protocol's drive commands by channel: (forward, backward, 7-bit).
    drive_commands: ClassVar[tuple[dict[int, int], dict[int, int], dict[int, int]]]

    def __init__(
        self, address: int, *, clock: Callable[[], float] = time.monotonic, pty: bool = True
    ) -> None:
        self.address = address
        self.channels = {1: DutyChannel(clock()), 2: DutyChannel(clock())}
        self.timeout = 0.0
        super().__init__(clock=clock, pty=pty)

    def _drive(self, command: int, data: bytes, now: float) -> bool:
        """Apply a Sabertooth-style drive command (speed 0-127, or 7-bit with 64 as stop);
        False if `command` is not one."""
        forward, backward, seven_bit = self.drive_commands
        for channel in (1, 2):
            if command == forward[channel]:
                duty = data[0] / 127
            elif command == backward[channel]:
                duty = -data[0] / 127
            elif command == seven_bit[channel]:
                duty = max(-1.0, (data[0] - 64) / 63)
            else:
                continue
            self.channels[channel].set_duty(now, duty)
            return True
        return False

    def _timeout_after(self) -> float | None:
        if self.timeout <= 0 or all(c.duty == 0.0 for c in self.channels.values()):
            return None
        return self.timeout

    def _time_out(self, when: float) -> None:
        self.timeouts += 1
        for channel in self.channels.values():
            channel.set_duty(when, 0.0)
