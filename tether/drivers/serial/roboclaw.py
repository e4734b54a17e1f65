"""RoboClaw (Basicmicro) motor drivers in packet serial mode (one channel per Motor), and the
controller's own encoder counters as encoders."""

from __future__ import annotations

import math
import threading
from typing import Unpack

from tether.contract.properties import EncoderProperties
from tether.drivers.motor import MotorProperties
from tether.drivers.serial.link import SerialLink
from tether.drivers.serial.motor import SerialMotor, SerialOptions, check_channel_address
from tether.drivers.validate import check_finite, check_option
from tether.errors import HardwareError, InvalidCommand, Unsupported
from tether.protocols import roboclaw as proto


def roboclaw_where(address: int, name: str, what: str) -> str:
    """How errors name one exchange with the controller."""
    return f"roboclaw 0x{address:02X} ({name!r}) {what}"


def write_acked(link: SerialLink, data: bytes, where: str) -> None:
    """Send one write and insist on the controller's 0xFF acknowledgement."""
    with link.lock:
        link.discard_input()
        link.write(data, where)
        ack = link.read(1, where)
    if ack[0] != proto.ACK:
        raise HardwareError(f"{where}: expected ACK 0xFF, got 0x{ack[0]:02X}")


def read_checked(link: SerialLink, address: int, command: int, where: str) -> bytes:
    """Send one fixed-size read and return its data once the reply CRC checks out."""
    with link.lock:
        link.discard_input()
        link.write(proto.read_request(address, command), where)
        data = link.read(proto.READ_REPLY[command], where)
        check = link.read(2, where)
    check_reply_crc(address, command, data, check, where)
    return data


def check_reply_crc(address: int, command: int, data: bytes, check: bytes, where: str) -> None:
    """HardwareError unless `check` is the CRC a correct reply carrying `data` ends with."""
    expected = proto.reply_crc(address, command, data)
    got = int.from_bytes(check, "big")
    if got != expected:
        raise HardwareError(f"{where}: bad reply CRC: expected 0x{expected:04X}, got 0x{got:04X}")


def signed_count(count: int) -> int:
    """The controller's u32 encoder count as the signed count it stands for."""
    return count - (1 << 32) if count & 0x8000_0000 else count


class RoboClawMotor(SerialMotor):
    """One channel (1 or 2) of a RoboClaw at `address` (0x80-0x87, set in Motion Studio); a
    port it opens runs at 38400 baud unless told otherwise.

    Every write is acknowledged by the controller, so a lost command raises HardwareError instead
    of passing silently. At start-up (and whenever the port comes back) the controller's serial
    timeout is set, so it stops both channels by itself if tether goes quiet. With
    ``encoder_counts_per_rev`` the motor reports its position from the controller's encoder count.

    With ``qpps`` (the encoder counts per second at full speed, as Motion Studio's autotune
    finds it) the controller's own velocity PID is set up at start-up (commands 28/29, with
    ``velocity_pid`` gains or the ones it holds) and ``hold_speed`` runs it (35/36, or 38/39
    with ``acceleration`` in counts/s^2); the keepalive then resends the speed command.
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
        qpps: int | None = None,
        velocity_pid: proto.VelocityPid | None = None,
        acceleration: float | None = None,
        **options: Unpack[SerialOptions],
    ) -> None:
        check_channel_address(name, address, channel, proto.ADDRESSES, "0x80-0x87 (128-135)")
        self.qpps, self.velocity_pid = _check_speed_loop(name, qpps, velocity_pid)
        self.acceleration = None if acceleration is None else check_option(
            acceleration, f"motor {name!r} acceleration", 1.0, float((1 << 32) - 1)
        )
        self._speed: int | None = None  # the speed held (counts/s) while in speed mode
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
        if self.qpps is not None:
            gains = self.velocity_pid or self.read_velocity_pid()
            pid = proto.VelocityPid(gains.p, gains.i, gains.d, self.qpps)
            self._write(proto.velocity_pid(self.address, self.channel, pid),
                        f"set M{self.channel} velocity PID")

    def _send_duty(self, duty: float) -> None:
        if self._speed is not None:
            self._send_speed(self._speed)
            return
        self._write(proto.duty(self.address, self.channel, duty), f"M{self.channel} duty")

    def _send_stop(self) -> None:
        self._speed = None
        self._write(proto.duty(self.address, self.channel, 0.0), f"M{self.channel} stop")

    def _send_speed(self, counts_per_second: int) -> None:
        channel = self.channel
        if self.acceleration is None:
            self._write(proto.speed(self.address, channel, counts_per_second), f"M{channel} speed")
        else:
            packet = proto.speed_accel(self.address, channel, self.acceleration, counts_per_second)
            self._write(packet, f"M{channel} speed with acceleration")

    def _apply(self, power: float) -> None:
        self._speed = None  # a power command takes the channel out of the speed loop
        super()._apply(power)

    # -- the controller's velocity loop ---------------------------------------------------

    @property
    def has_speed_loop(self) -> bool:
        """True when qpps is configured, so the controller can hold a speed itself."""
        return self.qpps is not None

    def hold_speed(self, counts_per_second: float) -> None:
        """Hold a signed encoder speed with the controller's velocity PID (in the motor's
        frame: ``invert`` flips it); 0 stops. Replaces any power command or timed move."""
        where = f"motor {self.name!r} hold_speed"
        if self.qpps is None:
            raise Unsupported(f"{where}: needs qpps (the controller's top speed in counts/s)")
        speed = check_finite(counts_per_second, f"{where} counts_per_second")
        if abs(speed) > self.qpps:
            raise InvalidCommand(f"{where} counts_per_second={counts_per_second!r}: expected a "
                                 f"number in [-{self.qpps}, {self.qpps}]")
        self._command(lambda: self._hold(round(-speed if self.invert else speed)))

    def _hold(self, counts: int) -> None:
        if counts == 0:
            self._stop_locked()
            return
        assert self.qpps is not None
        self._speed = counts
        try:
            self._write_duty(counts / self.qpps)  # the keepalive resends the speed command
        except Exception as exc:
            self._stop_after_failure("a failed speed command")
            if isinstance(exc, HardwareError):
                raise
            raise HardwareError(f"motor {self.name!r}: speed command failed: {exc}") from exc
        power = counts / self.qpps
        self._power = -power if self.invert else power

    def read_velocity_pid(self) -> proto.VelocityPid:
        """The velocity PID gains and QPPS the controller holds for this channel (55/56)."""
        data = self._read(proto.READ_VELOCITY_PID[self.channel], f"read M{self.channel} PID")
        return proto.decode_velocity_pid(data)

    def speed(self) -> int:
        """This channel's encoder speed in counts per second, signed (18/19)."""
        data = self._read(proto.READ_SPEED[self.channel], f"read M{self.channel} speed")
        return proto.decode_speed(data)[0]

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
        turns = signed_count(count) / self.encoder_counts_per_rev
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
        return roboclaw_where(self.address, self.name, what)

    def _write(self, data: bytes, what: str) -> None:
        """Send one write and insist on the controller's 0xFF acknowledgement."""
        write_acked(self.link, data, self._where(what))

    def _read(self, command: int, what: str) -> bytes:
        """Send one fixed-size read and return its data once the reply CRC checks out."""
        self._check_open()
        return read_checked(self.link, self.address, command, self._where(what))

    def _check_crc(self, command: int, data: bytes, check: bytes, where: str) -> None:
        check_reply_crc(self.address, command, data, check, where)


def _check_speed_loop(
    name: str, qpps: object, pid: proto.VelocityPid | None
) -> tuple[int | None, proto.VelocityPid | None]:
    """qpps a whole count per second the controller can hold, gains it can encode."""
    where = f"motor {name!r}"
    if qpps is not None and (
        isinstance(qpps, bool) or not isinstance(qpps, int) or not 1 <= qpps < 1 << 31
    ):
        raise InvalidCommand(f"{where} qpps={qpps!r}: expected a whole count per second in "
                             "[1, 2^31)")
    if pid is not None:
        if qpps is None:
            raise InvalidCommand(f"{where} velocity_pid={pid!r}: needs qpps as well")
        proto.velocity_pid(0x80, 1, proto.VelocityPid(pid.p, pid.i, pid.d, 1))  # checks gains
    return qpps, pid


class RoboClawEncoder:
    """A RoboClaw channel's own encoder counter, read over packet serial: the count (16/17,
    with its status byte) and the speed the controller measures (18/19).

    The zero is kept here, not on the controller: command 20 zeroes both channels at once.
    ``ticks_per_revolution`` is in the controller's counts (quadrature: four per cycle).
    """

    kind = "encoder"

    def __init__(
        self,
        name: str,
        *,
        link: SerialLink,
        address: int = 0x80,
        channel: int = 1,
        ticks_per_revolution: float,
    ) -> None:
        check_channel_address(name, address, channel, proto.ADDRESSES, "0x80-0x87 (128-135)")
        if isinstance(ticks_per_revolution, bool) or not isinstance(
            ticks_per_revolution, int | float
        ) or not (math.isfinite(ticks_per_revolution) and ticks_per_revolution > 0):
            raise InvalidCommand(f"encoder {name!r} ticks_per_revolution="
                                 f"{ticks_per_revolution!r}: expected a finite number > 0")
        self.name = name
        self.link, self.address, self.channel = link, address, channel
        self.ticks_per_revolution = float(ticks_per_revolution)
        self.status = 0
        self._lock = threading.Lock()
        self._zero = 0
        self._offset_ticks = 0.0
        self._closed = False

    def raw(self) -> tuple[int, int]:
        """The controller's signed count and its status byte (underflow, backward, overflow)."""
        if self._closed:
            raise InvalidCommand(f"encoder {self.name!r} is closed")
        where = roboclaw_where(self.address, self.name, f"read M{self.channel} encoder")
        data = read_checked(self.link, self.address, proto.READ_ENCODER[self.channel], where)
        count, status = proto.decode_encoder(data)
        self.status = status
        return signed_count(count), status

    def ticks(self) -> int:
        """Counts since the last reset."""
        count, _ = self.raw()
        with self._lock:
            return count - self._zero

    def position(self) -> float:
        """Revolutions from the zero position."""
        count, _ = self.raw()
        with self._lock:
            return (count - self._zero + self._offset_ticks) / self.ticks_per_revolution

    def rpm(self) -> float:
        """The speed the controller measures, in revolutions per minute."""
        if self._closed:
            raise InvalidCommand(f"encoder {self.name!r} is closed")
        where = roboclaw_where(self.address, self.name, f"read M{self.channel} speed")
        data = read_checked(self.link, self.address, proto.READ_SPEED[self.channel], where)
        return proto.decode_speed(data)[0] / self.ticks_per_revolution * 60.0

    def reset_position(self) -> None:
        """Make the count read 0 from here."""
        self.reset_zero_position(0.0)

    def reset_zero_position(self, offset: float = 0.0) -> None:
        """Make the present place read -offset revolutions."""
        turns = check_option(offset, f"encoder {self.name!r} reset_zero_position offset",
                             -1e9, 1e9)
        count, _ = self.raw()
        with self._lock:
            self._zero = count
            self._offset_ticks = -turns * self.ticks_per_revolution

    def set_direction(self, commanded: float) -> None:
        """The controller's quadrature inputs tell direction themselves."""

    def properties(self) -> EncoderProperties:
        """Ticks and, with the counts per revolution known, degrees."""
        return EncoderProperties(ticks_count_supported=True, angle_degrees_supported=True)

    def close(self) -> None:
        """The link belongs to the robot's shared drivers; only reads stop."""
        self._closed = True
