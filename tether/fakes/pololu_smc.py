"""A fake Pololu Simple Motor Controller: compact protocol, safe start, stored command timeout.

Modelled on the user's guide, in Serial/USB input mode with safe start enabled (the defaults):

* it powers up with a safe-start violation, so drive commands are ignored until 0x83;
* while any error is set the target speed is 0 and drive commands are ignored; 0x83 clears the
  safe-start violation only when no other error is set;
* 0xE0 stops the motor and re-arms safe start;
* the stored command timeout (``command_timeout`` seconds, 0 = off as shipped) sets the
  command-timeout error when no valid command came in time, which stops the motor; every valid
  command clears that error again, but the safe-start violation it caused stays until 0x83.

Where the guide is silent the fake is conservative: a valid command clears the timeout error
only after it has run, so a get-variable still reports it and a 0x83 sent while it is set does
not exit safe start. CRC and format errors drop the command and are recorded in variable 2; the
guide's "serial error" (bit 2) stopping the motor is not modelled.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from tether.fakes.channel import DutyChannel
from tether.fakes.serial_device import PtySerialDevice
from tether.protocols import pololu_smc as proto

#: The guide's example firmware-version reply: product ID 0x0098, firmware 1.0.
EXAMPLE_FIRMWARE = proto.FirmwareVersion(product_id=0x98, major=1, minor=0)


class FakeSmc(PtySerialDevice):
    """One SMC; `channel` (also `channels[1]`) is the motor output the rover model can read."""

    def __init__(
        self,
        *,
        crc: bool = False,
        command_timeout: float = 0.0,
        firmware: proto.FirmwareVersion = EXAMPLE_FIRMWARE,
        clock: Callable[[], float] = time.monotonic,
        pty: bool = True,
    ) -> None:
        self.parser = proto.PacketParser(crc=crc)
        self.channel = DutyChannel(clock())
        self.channels = {1: self.channel}
        self.firmware = firmware
        self.command_timeout = float(command_timeout)
        self.errors = proto.SAFE_START_VIOLATION
        self.errors_occurred = self.errors
        self.serial_errors = 0
        self.executed: list[proto.Command] = []
        super().__init__(clock=clock, pty=pty)

    # -- the wire -------------------------------------------------------------------------

    def on_bytes(self, data: bytes, now: float) -> None:
        self._expire(now)
        rejected, crc_failures = self.parser.rejected, self.parser.crc_failures
        for command in self.parser.feed(data):
            self._execute(command, now)
        if self.parser.crc_failures > crc_failures:
            self.serial_errors |= proto.SERIAL_CRC
        if self.parser.rejected - rejected > self.parser.crc_failures - crc_failures:
            self.serial_errors |= proto.SERIAL_FORMAT

    def _execute(self, command: proto.Command, now: float) -> None:
        self.executed.append(command)
        code = command.code
        if code == proto.GET_VARIABLE:
            self._answer_variable(command.data[0])
        elif code == proto.GET_FIRMWARE_VERSION:
            self.send(proto.firmware_reply(self.firmware))
        elif code == proto.EXIT_SAFE_START:
            if self.errors == proto.SAFE_START_VIOLATION:
                self.errors = 0
        elif code in (proto.MOTOR_FORWARD, proto.MOTOR_REVERSE):
            self._drive(command, now)
        elif code == proto.MOTOR_BRAKE:
            self._brake(command.data[0], now)
        elif code == proto.STOP_MOTOR:
            self.errors |= proto.SAFE_START_VIOLATION
            self.channel.set_duty(now, 0.0)
        self.last_command = now
        self.errors &= ~proto.COMMAND_TIMEOUT

    def _drive(self, command: proto.Command, now: float) -> None:
        if command.speed > proto.MAX_SPEED:
            self.serial_errors |= proto.SERIAL_FORMAT
            return
        sign = 1 if command.code == proto.MOTOR_FORWARD else -1
        if self.errors == 0:
            self.channel.set_duty(now, sign * command.speed / proto.MAX_SPEED)

    def _brake(self, amount: int, now: float) -> None:
        if amount > proto.MAX_BRAKE:
            self.serial_errors |= proto.SERIAL_FORMAT
            return
        self.channel.set_duty(now, 0.0)

    def _answer_variable(self, variable: int) -> None:
        if variable == proto.ERROR_STATUS:
            self.send(proto.variable_reply(self.errors))
        elif variable == proto.ERRORS_OCCURRED:
            self.send(proto.variable_reply(self.errors_occurred))
            self.errors_occurred = 0
        elif variable == proto.SERIAL_ERRORS_OCCURRED:
            self.send(proto.variable_reply(self.serial_errors))
            self.serial_errors = 0
        elif variable > proto.MAX_VARIABLE_ID:
            self.serial_errors |= proto.SERIAL_FORMAT
        # IDs 3-40 exist on the real device but are not modelled: no reply.

    # -- errors ---------------------------------------------------------------------------

    def set_error(self, bits: int, when: float | None = None) -> None:
        """An error condition begins (e.g. LOW_VIN): the motor stops, safe start is violated."""
        with self._lock:
            now = self.clock() if when is None else when
            self.errors |= bits | proto.SAFE_START_VIOLATION
            self.errors_occurred |= bits | proto.SAFE_START_VIOLATION
            self.channel.set_duty(now, 0.0)

    def clear_error(self, bits: int) -> None:
        """An error condition ends; the safe-start violation it caused stays until 0x83."""
        with self._lock:
            self.errors &= ~bits | proto.SAFE_START_VIOLATION

    def _timeout_after(self) -> float | None:
        """The stored command timeout, until it has fired (every valid command clears it)."""
        if self.command_timeout <= 0 or self.errors & proto.COMMAND_TIMEOUT:
            return None
        return self.command_timeout

    def _time_out(self, when: float) -> None:
        if self.channel.duty != 0.0:
            self.timeouts += 1
        self.set_error(proto.COMMAND_TIMEOUT, when)
