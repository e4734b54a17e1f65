"""RoboClaw (Basicmicro) motor drivers in packet serial mode (one channel per Motor)."""

from __future__ import annotations

from typing import Unpack

from tether.drivers.motor import MotorProperties
from tether.drivers.serial.motor import SerialMotor, SerialOptions, check_channel_address
from tether.drivers.validate import check_option
from tether.errors import HardwareError
from tether.protocols import roboclaw as proto


class RoboClawMotor(SerialMotor):
    """One channel (1 or 2) of a RoboClaw at `address` (0x80-0x87, set in Motion Studio); a
    port it opens runs at 38400 baud unless told otherwise.

    Every write is acknowledged by the controller, so a lost command raises HardwareError instead
    of passing silently. At start-up (and whenever the port comes back) the controller's serial
    timeout is set, so it stops both channels by itself if tether goes quiet. With
    ``encoder_counts_per_rev`` the motor reports its position from the controller's encoder count.
    """

    default_baudrate = 38400
    longest_timeout = proto.MAX_TIMEOUT_SECONDS

    def __init__(
        self,
        name: str,
        *,
        address: int = 0x80,
        channel: int = 1,
        encoder_counts_per_rev: float | None = None,
        **options: Unpack[SerialOptions],
    ) -> None:
        check_channel_address(name, address, channel, proto.ADDRESSES, "0x80-0x87 (128-135)")
        self.encoder_counts_per_rev = (
            None
            if encoder_counts_per_rev is None
            else check_option(
                encoder_counts_per_rev, f"motor {name!r} encoder_counts_per_rev", 1e-3, 1e9
            )
        )
        self.address = address
        self.channel = channel
        super().__init__(name, **options)

    # -- SerialMotor hooks ----------------------------------------------------------------

    def _configure(self) -> None:
        armed = proto.serial_timeout(self.address, self.controller_timeout)
        self._write(armed, "set serial timeout")

    def _send_duty(self, duty: float) -> None:
        self._write(proto.duty(self.address, self.channel, duty), f"M{self.channel} duty")

    def _send_stop(self) -> None:
        self._write(proto.duty(self.address, self.channel, 0.0), f"M{self.channel} stop")

    # -- reads ----------------------------------------------------------------------------

    def encoder(self) -> tuple[int, int]:
        """This channel's raw encoder count (u32) and status byte, read from the controller."""
        data = self._read(proto.READ_ENCODER[self.channel], f"read M{self.channel} encoder")
        return proto.decode_encoder(data)

    def position(self) -> float:
        """Revolutions from the encoder's zero (needs encoder_counts_per_rev)."""
        if self.encoder_counts_per_rev is None:
            return super().position()
        count, _status = self.encoder()
        signed = count - (1 << 32) if count & 0x8000_0000 else count
        turns = signed / self.encoder_counts_per_rev
        return -turns if self.invert else turns

    def properties(self) -> MotorProperties:
        return MotorProperties(position_reporting=self.encoder_counts_per_rev is not None)

    def battery_voltage(self) -> float:
        """The main battery voltage the controller measures, in volts."""
        return proto.decode_battery(self._read(proto.READ_MAIN_BATTERY, "read main battery"))

    def serial_timeout(self) -> float:
        """The serial timeout the controller holds now, in seconds (0 = off)."""
        data = self._read(proto.READ_SERIAL_TIMEOUT, "read serial timeout")
        return proto.decode_serial_timeout(data)

    def version(self) -> str:
        """The controller's firmware version text."""
        what = self._where("read version")
        self._check_open()
        with self.link.lock:
            self.link.discard_input()
            self.link.write(proto.read_request(self.address, proto.READ_VERSION), what)
            data = bytearray()
            while not data.endswith(b"\n\x00"):
                if len(data) == proto.MAX_VERSION_BYTES:
                    raise HardwareError(
                        f"{what}: expected the version to end with 0x0A 0x00 within "
                        f"{proto.MAX_VERSION_BYTES} bytes, got {bytes(data)!r}"
                    )
                data += self.link.read(1, what)
            check = self.link.read(2, what)
        self._check_crc(proto.READ_VERSION, bytes(data), check, what)
        return proto.decode_version(bytes(data))

    # -- exchanges ------------------------------------------------------------------------

    def _where(self, what: str) -> str:
        return f"roboclaw 0x{self.address:02X} ({self.name!r}) {what}"

    def _write(self, data: bytes, what: str) -> None:
        """Send one write and insist on the controller's 0xFF acknowledgement."""
        where = self._where(what)
        with self.link.lock:
            self.link.discard_input()
            self.link.write(data, where)
            ack = self.link.read(1, where)
        if ack[0] != proto.ACK:
            raise HardwareError(f"{where}: expected ACK 0xFF, got 0x{ack[0]:02X}")

    def _read(self, command: int, what: str) -> bytes:
        """Send one fixed-size read and return its data once the reply CRC checks out."""
        where = self._where(what)
        self._check_open()
        with self.link.lock:
            self.link.discard_input()
            self.link.write(proto.read_request(self.address, command), where)
            data = self.link.read(proto.READ_REPLY[command], where)
            check = self.link.read(2, where)
        self._check_crc(command, data, check, where)
        return data

    def _check_crc(self, command: int, data: bytes, check: bytes, where: str) -> None:
        expected = proto.reply_crc(self.address, command, data)
        got = int.from_bytes(check, "big")
        if got != expected:
            raise HardwareError(
                f"{where}: bad reply CRC: expected 0x{expected:04X}, got 0x{got:04X}"
            )
