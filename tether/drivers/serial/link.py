"""A serial port shared by the controllers on it: lazy open, bounded I/O, reopen after loss."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from tether.errors import HardwareError

log = logging.getLogger("tether.drivers")


class SerialLink:
    """One serial port (a path or a pyserial URL) used by one or more controllers.

    Every failure closes the port and raises HardwareError naming the port and the command;
    the next call reopens it, and listeners added with ``on_reopen`` run first (drivers use this
    to resend a stop that could not be delivered).
    """

    def __init__(
        self,
        port: str,
        baudrate: int = 9600,
        *,
        timeout: float = 0.05,
        write_timeout: float = 0.1,
        serial_factory: Callable[..., Any] | None = None,
    ) -> None:
        self.port = port
        self.baudrate = baudrate
        self.timeout = timeout
        self.write_timeout = write_timeout
        self._serial_factory = serial_factory
        self._serial: Any = None
        self._lock = threading.RLock()
        self._reopen_listeners: list[Callable[[], None]] = []
        self._opened_once = False
        self._closed = False
        self.bytes_written = 0

    @property
    def lock(self) -> threading.RLock:
        """Held for a whole request/reply exchange so controllers never interleave bytes."""
        return self._lock

    @property
    def is_open(self) -> bool:
        """True while the port is open."""
        return self._serial is not None

    def on_reopen(self, listener: Callable[[], None]) -> None:
        """Run listener (with the link locked) each time the port is opened again after a loss."""
        self._reopen_listeners.append(listener)

    def open(self, what: str) -> None:
        """Open the port now if it is not (running the reopen listeners after a loss), so a
        caller holding the lock can look at its state again before it writes; HardwareError
        naming `what` if the port can't be opened."""
        with self._lock:
            self._ensure_open(what)

    def write(self, data: bytes, what: str) -> None:
        """Write all of data or raise HardwareError."""
        with self._lock:
            port = self._ensure_open(what)
            try:
                written = port.write(data)
                port.flush()
            except Exception as exc:
                self._lost(what, exc)
            if written is not None and written != len(data):
                self._lost(what, OSError(f"wrote {written} of {len(data)} bytes"))
            self.bytes_written += len(data)

    def read(self, count: int, what: str) -> bytes:
        """Read exactly count bytes within the timeout, or raise HardwareError."""
        with self._lock:
            port = self._ensure_open(what)
            try:
                data: bytes = port.read(count)
            except Exception as exc:
                self._lost(what, exc)
            if len(data) != count:
                raise HardwareError(
                    f"{self.port} {what}: expected {count} reply bytes, got {len(data)} "
                    f"within {self.timeout * 1000:.0f} ms"
                )
            return data

    def discard_input(self) -> None:
        """Drop unread bytes (a late reply must not be taken for the next one)."""
        with self._lock:
            if self._serial is not None:
                try:
                    self._serial.reset_input_buffer()
                except Exception as exc:
                    self._lost("reset input", exc)

    def close(self) -> None:
        """Close the port for good; idempotent."""
        with self._lock:
            self._closed = True
            self._drop()

    def _ensure_open(self, what: str) -> Any:
        if self._closed:
            raise HardwareError(f"{self.port} {what}: the serial link is closed")
        if self._serial is None:
            try:
                self._serial = self._open()
            except Exception as exc:
                raise HardwareError(f"{self.port} {what}: cannot open port: {exc}") from exc
            if self._opened_once:
                log.warning("serial port %s is back", self.port)
                for listener in list(self._reopen_listeners):
                    try:
                        listener()
                    except Exception:
                        log.exception("serial port %s: reopen listener failed", self.port)
            self._opened_once = True
        return self._serial

    def _open(self) -> Any:
        if self._serial_factory is not None:
            return self._serial_factory(self.port, self.baudrate)
        import serial

        return serial.serial_for_url(
            self.port, baudrate=self.baudrate, timeout=self.timeout,
            write_timeout=self.write_timeout, exclusive=True,
        )

    def _lost(self, what: str, exc: Exception) -> Any:
        self._drop()
        raise HardwareError(f"{self.port} {what}: {type(exc).__name__}: {exc}") from exc

    def _drop(self) -> None:
        if self._serial is not None:
            port, self._serial = self._serial, None
            try:
                port.close()
            except Exception:
                log.debug("closing %s failed", self.port, exc_info=True)
