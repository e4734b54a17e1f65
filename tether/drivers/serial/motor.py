"""What every serial motor controller driver shares: the link, the keepalive, the owed stop.

The controller's own command timeout is the last line of defence when tether itself dies: the
driver arms it at start-up (and again after the port comes back), and while a motor is powered
a keepalive resends its command every timeout/3 so a healthy daemon is never cut off. When the
process dies, the keepalive dies with it and the controller stops by itself.
"""

from __future__ import annotations

import logging
import threading
from abc import abstractmethod
from typing import ClassVar, Required, Unpack

from tether.drivers.actuator import OwedStop
from tether.drivers.motor import Motor, MotorTuning
from tether.drivers.serial.link import SerialLink
from tether.drivers.validate import check_option
from tether.errors import HardwareError, InvalidCommand

log = logging.getLogger("tether.drivers")

#: A little above the daemon's default 0.5 s session window.
DEFAULT_CONTROLLER_TIMEOUT = 0.6


class SerialOptions(MotorTuning, total=False):
    """What every serial controller takes besides its own settings: the port (a path or URL,
    or a SerialLink that several controllers share), its baud rate (the controller family's
    usual one if not given), the controller-side timeout, and the MotorTuning keywords."""

    link: Required[SerialLink | str]
    baudrate: int
    controller_timeout: float


def check_channel_address(
    name: str, address: object, channel: object, addresses: range, expected: str
) -> None:
    """Refuse an address a two-channel controller can't be set to, or a channel but 1 or 2,
    before the port is opened."""
    if isinstance(address, bool) or address not in addresses:
        raise InvalidCommand(f"motor {name!r} address={address!r}: expected {expected}")
    if channel not in (1, 2):
        raise InvalidCommand(f"motor {name!r} channel={channel!r}: expected 1 or 2")


class SerialMotor(Motor):
    """A Motor on a serial controller; subclasses encode commands, this class moves the bytes."""

    slow_io = True
    #: The baud rate a port opened by this driver uses unless told otherwise.
    default_baudrate: ClassVar[int] = 9600
    #: The longest controller timeout the protocol can express, in seconds.
    longest_timeout: ClassVar[float] = 25.5

    def __init__(
        self,
        name: str,
        *,
        link: SerialLink | str,
        baudrate: int | None = None,
        controller_timeout: float = DEFAULT_CONTROLLER_TIMEOUT,
        **tuning: Unpack[MotorTuning],
    ) -> None:
        super().__init__(name, **tuning)
        baudrate = self.default_baudrate if baudrate is None else baudrate
        self.controller_timeout = check_option(
            controller_timeout, f"motor {name!r} controller_timeout", 0.0, self.max_timeout()
        )
        self._owns_link = isinstance(link, str)
        self.link = SerialLink(link, baudrate) if isinstance(link, str) else link
        self._owed_stop = OwedStop(name, self._send_stop)
        self._duty = 0.0
        self._keepalive = threading.Condition(self._lock)
        self._keepalive_thread: threading.Thread | None = None
        try:
            with self.link.lock:
                self._configure()
                self._send_stop()
        except BaseException:
            if self._owns_link:
                self.link.close()
            raise
        self.link.on_reopen(self._after_reopen)

    @classmethod
    def max_timeout(cls) -> float:
        """The longest controller timeout the protocol can express, in seconds."""
        return cls.longest_timeout

    # -- Motor hooks ----------------------------------------------------------------------

    def _write_duty(self, duty: float) -> None:
        self._send_duty(duty)
        self._duty = duty
        self._owed_stop.settle()
        self._start_keepalive()

    def _stop_hw(self) -> None:
        self._duty = 0.0
        self._owed_stop.owe()  # until it lands; a refused one goes first when the port is back
        self._send_stop()
        self._owed_stop.settle()

    def _release(self) -> None:
        self._keepalive.notify_all()  # the keepalive waits on the device lock: held here
        if self._owns_link:
            self.link.close()

    # -- keepalive and recovery -----------------------------------------------------------

    def _start_keepalive(self) -> None:
        if self.controller_timeout <= 0:
            return
        if self._keepalive_thread is None:
            self._keepalive_thread = threading.Thread(
                target=self._refresh, name=f"tether-keepalive-{self.name}", daemon=True
            )
            self._keepalive_thread.start()
        self._keepalive.notify_all()

    def _refresh(self) -> None:
        period = self.controller_timeout / 3
        with self._lock:
            while not self._closed:
                if self._duty == 0.0:
                    self._keepalive.wait()
                    continue
                if self._keepalive.wait(period) or self._closed or self._duty == 0.0:
                    continue
                try:
                    self._resend()
                except HardwareError as exc:
                    log.warning("motor %r keepalive failed: %s", self.name, exc)

    def _resend(self) -> None:
        """Resend the duty, unless a stop was asked meanwhile: a reopen of the port (owed
        stops, re-arming: several exchanges) comes first, and a stop asked while it ran, or
        while the link was busy, waits for this motor's lock: the resend must not go ahead
        of it (the controller may have stopped the wheel by its own timeout already)."""
        with self.link.lock:
            self.link.open(f"motor {self.name!r} keepalive")
            if self.stop_asked or self._closed or self._duty == 0.0:
                return
            self._send_duty(self._duty)

    def _after_reopen(self) -> None:
        """The port came back: deliver a stop still owed first, then re-arm the timeout.

        Runs under the link's lock, not this motor's: another motor on the link may hold its
        own lock while it waits for the link, so taking ours here could deadlock."""
        self._owed_stop.deliver("after the port came back")
        try:
            self._configure()
        except HardwareError as exc:
            log.warning("motor %r: could not re-arm after reopen: %s", self.name, exc)

    # -- for each controller --------------------------------------------------------------

    @abstractmethod
    def _configure(self) -> None:
        """Arm the controller-side timeout and any other start-up settings."""

    @abstractmethod
    def _send_duty(self, duty: float) -> None:
        """Send signed duty in [-1, 1]; raise HardwareError on failure."""

    @abstractmethod
    def _send_stop(self) -> None:
        """Send this channel's stop; raise HardwareError on failure."""
