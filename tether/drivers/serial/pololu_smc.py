"""Pololu Simple Motor Controller (SMC) driver in compact serial protocol, one motor per port."""

from __future__ import annotations

from typing import NoReturn, Unpack

from tether.drivers.serial.motor import SerialMotor, SerialOptions
from tether.errors import HardwareError
from tether.protocols import pololu_smc as proto

#: Errors the driver may clear itself, and only when it was holding the motor stopped: the
#: safe start its own stop re-armed, and a command timeout that only says the line was idle.
_CLEARABLE_WHILE_HELD = proto.SAFE_START_VIOLATION | proto.COMMAND_TIMEOUT


class SmcMotor(SerialMotor):
    """One Pololu Simple Motor Controller on `link` (input mode Serial/USB, binary serial mode).

    Stop is 0xE0, which re-arms safe start: once stopped, nothing - a stale frame, another
    program on the port, line noise - can move the motor until this driver deliberately sends
    exit-safe-start (0x83), which it does only for a new drive after a stop it sent itself, and
    only if the controller then reports no error besides that safe start (and an idle command
    timeout). Every drive and keepalive first reads the error status: if the controller stopped
    the motor on its own (low VIN, a command timeout while driving, a reset, ...) the driver
    stops too, raises HardwareError naming the errors and refuses to drive until ``resume()``;
    it never sends 0x83 after an error by itself, since the motor restarts as soon as the error
    clears.

    The SMC's command timeout is a stored setting this protocol cannot change, off as shipped:
    enable it with Pololu's Simple Motor Control Center (Advanced settings, Command timeout) and
    set ``controller_timeout`` to it or less. Here ``controller_timeout`` is only the basis of the
    keepalive (a command every controller_timeout / 3 while driving); ``command_timeout_status()``
    tells whether the controller has flagged a timeout. ``crc=True`` matches CRC mode "Commands
    only" ("Commands and responses" is not supported); ``autobaud=True`` sends 0xAA first.
    """

    def __init__(
        self,
        name: str,
        *,
        crc: bool = False,
        autobaud: bool = False,
        **options: Unpack[SerialOptions],
    ) -> None:
        self.crc = bool(crc)
        self.autobaud = bool(autobaud)
        self._held = False
        self._fault: str | None = None
        self._answered = False
        super().__init__(name, **options)

    # -- queries --------------------------------------------------------------------------

    def error_status(self) -> int:
        """The controller's error-status bits (variable 0): the errors stopping the motor now."""
        with self._lock:
            self._check_open()
            return self._read_errors()

    def command_timeout_status(self) -> bool:
        """Whether the controller has flagged a command timeout (error bit 3).

        Reading is itself a valid command, so it also clears that error on the controller; the
        safe-start violation the timeout caused stays until a deliberate drive from a stop.
        """
        return bool(self.error_status() & proto.COMMAND_TIMEOUT)

    def firmware_version(self) -> proto.FirmwareVersion:
        """The controller's product ID and firmware version."""
        with self._lock:
            self._check_open()
            request = proto.get_firmware_version(crc=self.crc)
            reply = self._exchange(request, proto.REPLY_LENGTHS[proto.GET_FIRMWARE_VERSION],
                                   "get firmware version")
            return proto.decode_firmware(reply)

    def resume(self) -> None:
        """After a reported controller error is fixed, let the next drive exit safe start again."""
        with self._lock:
            self._check_open()
            self._fault = None

    # -- SerialMotor hooks ----------------------------------------------------------------

    def _configure(self) -> None:
        if self.autobaud:
            self._write(bytes((proto.AUTOBAUD,)), "autobaud")
        if not self._answered:  # fail fast on a wrong port, baud rate or CRC mode
            self._read_errors("read error status at start-up")
            self._answered = True
        # After a reopen nothing is read or cleared here: the next drive's check names any
        # error raised while the port was gone (a read would already clear a command timeout).

    def _send_duty(self, duty: float) -> None:
        command = "drive forward" if duty >= 0 else "drive reverse"
        with self.link.lock:
            if self._fault is not None:
                raise HardwareError(
                    f"{self._where(command)}: controller stopped by {self._fault}; not driving "
                    "until resume() is called once the cause is fixed"
                )
            errors = self._read_errors(f"read error status before {command}")
            if errors & ~(_CLEARABLE_WHILE_HELD if self._held else 0):
                self._halt(errors, command)
            if errors & proto.SAFE_START_VIOLATION:
                exit_safe_start = proto.exit_safe_start(crc=self.crc)
                self._write(exit_safe_start, f"exit safe start before {command}")
            self._write(proto.drive(duty, crc=self.crc), command)
            self._held = False

    def _send_stop(self) -> None:
        self._write(proto.stop_motor(crc=self.crc), "stop")
        self._held = True

    # -- helpers --------------------------------------------------------------------------

    def _where(self, command: str) -> str:
        return f"{self.link.port} pololu smc {self.name!r} {command}"

    def _write(self, data: bytes, command: str) -> None:
        self.link.write(data, f"pololu smc {self.name!r} {command}")

    def _exchange(self, request: bytes, count: int, command: str) -> bytes:
        with self.link.lock:
            self.link.discard_input()
            self._write(request, command)
            return self.link.read(count, f"pololu smc {self.name!r} {command}")

    def _read_errors(self, command: str = "read error status") -> int:
        request = proto.get_variable(proto.ERROR_STATUS, crc=self.crc)
        reply = self._exchange(request, proto.REPLY_LENGTHS[proto.GET_VARIABLE], command)
        return proto.decode_variable(reply)

    def _halt(self, errors: int, command: str) -> NoReturn:
        """The controller stopped the motor on its own: stop, latch the fault, say why."""
        self._fault = proto.describe_errors(errors)
        self._stop_after_failure("a controller error")
        raise HardwareError(
            f"{self._where(command)}: controller reports {self._fault} "
            f"(error status 0x{errors:04X}); motor stopped, safe start left set: fix the cause, "
            "then call resume()"
        )
