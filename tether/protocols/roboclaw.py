"""RoboClaw (Basicmicro) packet serial: [address, command, data..., crc_hi, crc_lo], CRC-16/XMODEM.

Writes carry a CRC and are answered with a single 0xFF. Reads are sent as [address, command]
(Basicmicro's own libraries send no CRC with a read) and answered with [data..., crc_hi, crc_lo],
the CRC running over the sent address and command and the returned data.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from tether.errors import InvalidCommand

ADDRESSES = range(0x80, 0x88)
ACK = 0xFF
#: The controller drops a packet whose bytes arrive more than this far apart (seconds).
INTER_BYTE_GAP = 0.010

DRIVE_FORWARD = {1: 0, 2: 4}
DRIVE_BACKWARD = {1: 1, 2: 5}
DRIVE_7BIT = {1: 6, 2: 7}
SET_SERIAL_TIMEOUT = 14
READ_SERIAL_TIMEOUT = 15
READ_ENCODER = {1: 16, 2: 17}
READ_SPEED = {1: 18, 2: 19}
RESET_ENCODERS = 20
READ_VERSION = 21
READ_MAIN_BATTERY = 24
SET_VELOCITY_PID = {1: 28, 2: 29}
DUTY = {1: 32, 2: 33}
MIXED_DUTY = 34
SPEED = {1: 35, 2: 36}
SPEED_ACCEL = {1: 38, 2: 39}
READ_VELOCITY_PID = {1: 55, 2: 56}

MAX_DUTY = 32767
#: Velocity PID gains travel as u32 fixed point: gain * 65536 (Basicmicro's library truncates).
PID_SCALE = 65536
#: Status byte of an encoder read (16/17), from the RoboClaw user manual: counter underflow and
#: overflow (cleared after reading) and the direction the count last moved.
ENCODER_UNDERFLOW = 0x01
ENCODER_BACKWARD = 0x02
ENCODER_OVERFLOW = 0x04
#: Status byte of a speed read (18/19): 0 forward, 1 backward.
SPEED_BACKWARD = 0x01
S32 = range(-(1 << 31), 1 << 31)
U32 = range(1 << 32)
MAX_TIMEOUT_SECONDS = 25.5
#: Longest version reply including its 0x0A 0x00 ending (Basicmicro's library reads at most 48).
MAX_VERSION_BYTES = 48

#: Payload bytes of each write the codec and the device parser know (between command and CRC).
WRITE_PAYLOAD: dict[int, int] = {
    **dict.fromkeys((*DRIVE_FORWARD.values(), *DRIVE_BACKWARD.values()), 1),
    **dict.fromkeys(DRIVE_7BIT.values(), 1),
    SET_SERIAL_TIMEOUT: 1,
    RESET_ENCODERS: 0,
    **dict.fromkeys(SET_VELOCITY_PID.values(), 16),
    **dict.fromkeys(DUTY.values(), 2),
    MIXED_DUTY: 4,
    **dict.fromkeys(SPEED.values(), 4),
    **dict.fromkeys(SPEED_ACCEL.values(), 8),
}
#: Data bytes (before the CRC) of each fixed-size read reply; the version reply ends at 0x00.
READ_REPLY: dict[int, int] = {
    READ_SERIAL_TIMEOUT: 1,
    **dict.fromkeys(READ_ENCODER.values(), 5),
    **dict.fromkeys(READ_SPEED.values(), 5),
    READ_MAIN_BATTERY: 2,
    **dict.fromkeys(READ_VELOCITY_PID.values(), 16),
}
READS = frozenset((*READ_REPLY, READ_VERSION))


def crc16(data: bytes) -> int:
    """CRC-16/XMODEM (polynomial 0x1021, init 0, MSB first), as the controller computes it."""
    crc = 0
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
        crc &= 0xFFFF
    return crc


def _check_address(address: int) -> None:
    if isinstance(address, bool) or not isinstance(address, int) or address not in ADDRESSES:
        raise InvalidCommand(f"roboclaw address={address!r}: expected 0x80-0x87 (128-135)")


def packet(address: int, command: int, payload: bytes = b"") -> bytes:
    """A write packet with its CRC appended big-endian; InvalidCommand for a bad address."""
    _check_address(address)
    if not 0 <= command <= 0xFF:
        raise InvalidCommand(f"roboclaw command={command!r}: expected 0-255")
    body = bytes((address, command)) + payload
    return body + crc16(body).to_bytes(2, "big")


def read_request(address: int, command: int) -> bytes:
    """A read request: address and command only; the reply carries the CRC."""
    _check_address(address)
    if command not in READS:
        raise InvalidCommand(f"roboclaw read command={command!r}: expected one of {sorted(READS)}")
    return bytes((address, command))


def _check_channel(channel: int) -> None:
    if channel not in DUTY:
        raise InvalidCommand(f"roboclaw channel={channel!r}: expected 1 or 2")


def duty_value(duty: float) -> int:
    """Signed duty in [-1, 1] as the controller's signed 16-bit value (+-32767)."""
    if not -1.0 <= duty <= 1.0:
        raise InvalidCommand(f"roboclaw duty={duty!r}: expected a number in [-1, 1]")
    return round(duty * MAX_DUTY)


def _s16(value: int) -> bytes:
    return value.to_bytes(2, "big", signed=True)


def duty(address: int, channel: int, duty: float) -> bytes:
    """Drive one channel at signed duty in [-1, 1] (commands 32/33)."""
    _check_channel(channel)
    return packet(address, DUTY[channel], _s16(duty_value(duty)))


def mixed_duty(address: int, duty1: float, duty2: float) -> bytes:
    """Drive both channels in one packet (command 34: M1 then M2)."""
    return packet(address, MIXED_DUTY, _s16(duty_value(duty1)) + _s16(duty_value(duty2)))


def drive_7bit(address: int, channel: int, value: int) -> bytes:
    """The Sabertooth-style 7-bit command (0 full reverse, 64 stop, 127 full forward)."""
    _check_channel(channel)
    if not 0 <= value <= 127:
        raise InvalidCommand(f"roboclaw 7-bit drive value={value!r}: expected 0-127")
    return packet(address, DRIVE_7BIT[channel], bytes((value,)))


def forward(address: int, channel: int, speed: int) -> bytes:
    """The Sabertooth-style forward command (speed 0-127)."""
    _check_channel(channel)
    if not 0 <= speed <= 127:
        raise InvalidCommand(f"roboclaw forward speed={speed!r}: expected 0-127")
    return packet(address, DRIVE_FORWARD[channel], bytes((speed,)))


def serial_timeout(address: int, seconds: float) -> bytes:
    """Set the controller's stop-if-silent timeout (100 ms units, 0 = off)."""
    if not 0 <= seconds <= MAX_TIMEOUT_SECONDS:
        raise InvalidCommand(
            f"roboclaw serial timeout={seconds!r}: expected seconds in [0, {MAX_TIMEOUT_SECONDS}]"
        )
    units = round(seconds * 10)
    if seconds > 0:
        units = max(units, 1)
    return packet(address, SET_SERIAL_TIMEOUT, bytes((units,)))


def read_encoder(address: int, channel: int) -> bytes:
    """Ask for one channel's encoder count and status (commands 16/17)."""
    _check_channel(channel)
    return read_request(address, READ_ENCODER[channel])


def read_speed(address: int, channel: int) -> bytes:
    """Ask for one channel's encoder speed in counts per second (commands 18/19)."""
    _check_channel(channel)
    return read_request(address, READ_SPEED[channel])


def read_velocity_pid(address: int, channel: int) -> bytes:
    """Ask for one channel's velocity PID and QPPS (commands 55/56: P, I, D, QPPS)."""
    _check_channel(channel)
    return read_request(address, READ_VELOCITY_PID[channel])


def reset_encoders(address: int) -> bytes:
    """Zero both encoder counters (command 20)."""
    return packet(address, RESET_ENCODERS)


# -- closed loop (the controller's own velocity PID) ---------------------------------------


def _whole(value: float, where: str, allowed: range, expected: str) -> int:
    """`value` rounded to a whole count if it is finite and lands in `allowed`."""
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or round(value) not in allowed
    ):
        raise InvalidCommand(f"roboclaw {where}={value!r}: expected {expected}")
    return round(value)


def speed_value(qpps: float) -> int:
    """A signed speed in encoder counts per second as the controller's s32."""
    return _whole(qpps, "speed qpps", S32, "a finite signed 32-bit count per second")


def speed(address: int, channel: int, qpps: float) -> bytes:
    """Hold one channel at a signed speed with the controller's velocity PID (commands 35/36)."""
    _check_channel(channel)
    return packet(address, SPEED[channel], speed_value(qpps).to_bytes(4, "big", signed=True))


def speed_accel(address: int, channel: int, accel: float, qpps: float) -> bytes:
    """Ramp one channel to a signed speed at `accel` counts/s^2 (commands 38/39: accel, speed)."""
    _check_channel(channel)
    rate = _whole(accel, "acceleration", U32, "a finite count per second^2 in [0, 2^32)")
    data = rate.to_bytes(4, "big") + speed_value(qpps).to_bytes(4, "big", signed=True)
    return packet(address, SPEED_ACCEL[channel], data)


def _gain(value: float, name: str) -> int:
    """A velocity PID gain as u32 fixed point (x65536, truncated as Basicmicro's library does)."""
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or not 0 <= value * PID_SCALE < 1 << 32
    ):
        raise InvalidCommand(
            f"roboclaw velocity PID {name}={value!r}: expected a finite number in [0, 65536)"
        )
    return int(value * PID_SCALE)


@dataclass(frozen=True, slots=True)
class VelocityPid:
    """A channel's velocity PID gains (as floats) and the top speed, in counts per second, the
    controller scales them to (QPPS: it must be set for the velocity PID to work)."""

    p: float
    i: float
    d: float
    qpps: int


def velocity_pid(address: int, channel: int, pid: VelocityPid) -> bytes:
    """Set one channel's velocity PID and QPPS (commands 28/29). The payload order is D, P, I,
    QPPS (u32 each), unlike the read-back order of 55/56 (P, I, D, QPPS)."""
    _check_channel(channel)
    qpps = pid.qpps
    if isinstance(qpps, bool) or not isinstance(qpps, int) or not 1 <= qpps < 1 << 32:
        raise InvalidCommand(
            f"roboclaw velocity PID qpps={qpps!r}: expected a whole count per second in "
            "[1, 2^32)"
        )
    fields = (_gain(pid.d, "d"), _gain(pid.p, "p"), _gain(pid.i, "i"), qpps)
    data = b"".join(f.to_bytes(4, "big") for f in fields)
    return packet(address, SET_VELOCITY_PID[channel], data)


# -- replies ------------------------------------------------------------------------------


def reply(address: int, command: int, data: bytes) -> bytes:
    """A read reply as the device sends it: data, then the CRC over address, command and data."""
    return data + crc16(bytes((address, command)) + data).to_bytes(2, "big")


def reply_crc(address: int, command: int, data: bytes) -> int:
    """The CRC a correct reply to (address, command) carrying `data` ends with."""
    return crc16(bytes((address, command)) + data)


def decode_serial_timeout(data: bytes) -> float:
    """Seconds from a command-15 reply (one byte, 100 ms units)."""
    return data[0] / 10


def decode_encoder(data: bytes) -> tuple[int, int]:
    """(count as u32, status byte) from a command-16/17 reply."""
    return int.from_bytes(data[:4], "big"), data[4]


def decode_speed(data: bytes) -> tuple[int, int]:
    """(signed counts per second, status byte) from a command-18/19 reply.

    The manual gives a magnitude with status 1 for backward; some firmware sends the value as a
    signed 32-bit number instead. A value with the top bit set is taken as signed (no real speed
    reaches 2^31); otherwise status bit 0 gives the sign.
    """
    raw, status = int.from_bytes(data[:4], "big"), data[4]
    if raw & 0x8000_0000:
        return raw - (1 << 32), status
    return (-raw if status & SPEED_BACKWARD else raw), status


def speed_data(qpps: int) -> bytes:
    """The data of a speed reply as the manual gives it (device side): magnitude, direction."""
    return abs(qpps).to_bytes(4, "big") + bytes((SPEED_BACKWARD if qpps < 0 else 0,))


def decode_velocity_pid(data: bytes) -> VelocityPid:
    """The settings from a command-55/56 reply (P, I, D, QPPS: u32 each, gains x65536)."""
    p, i, d, qpps = (int.from_bytes(data[n : n + 4], "big") for n in range(0, 16, 4))
    return VelocityPid(p / PID_SCALE, i / PID_SCALE, d / PID_SCALE, qpps)


def decode_set_velocity_pid(payload: bytes) -> VelocityPid:
    """The settings a command-28/29 packet carries (D, P, I, QPPS), device side."""
    d, p, i, qpps = (int.from_bytes(payload[n : n + 4], "big") for n in range(0, 16, 4))
    return VelocityPid(p / PID_SCALE, i / PID_SCALE, d / PID_SCALE, qpps)


def velocity_pid_data(pid: VelocityPid) -> bytes:
    """The data of a command-55/56 reply (P, I, D, QPPS), device side."""
    fields = (int(pid.p * PID_SCALE), int(pid.i * PID_SCALE), int(pid.d * PID_SCALE), pid.qpps)
    return b"".join(f.to_bytes(4, "big") for f in fields)


def decode_battery(data: bytes) -> float:
    """Volts from a command-24 reply (u16 in 0.1 V)."""
    return int.from_bytes(data[:2], "big") / 10


def decode_version(data: bytes) -> str:
    """The version text of a command-21 reply (ASCII ended by 0x0A 0x00)."""
    return data.removesuffix(b"\x00").removesuffix(b"\n").decode("ascii", errors="replace")


def version_data(text: str) -> bytes:
    """The data bytes of a version reply for `text` (device side)."""
    data = text.encode("ascii") + b"\n\x00"
    if len(data) > MAX_VERSION_BYTES:
        raise InvalidCommand(
            f"roboclaw version text of {len(text)} characters: expected at most "
            f"{MAX_VERSION_BYTES - 2}"
        )
    return data


# -- the device side ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Packet:
    """A command the device accepted: a write that passed its CRC, or a read request."""

    address: int
    command: int
    payload: bytes = b""


class PacketParser:
    """Byte-at-a-time parser as the controller does it, with the 10 ms inter-byte gap rule.

    Bytes that cannot start a packet (not 0x80-0x87) are skipped; unknown commands, bad CRCs and
    packets cut by a gap are counted in `rejected` and dropped.
    """

    def __init__(self, gap: float = INTER_BYTE_GAP) -> None:
        self.gap = gap
        self.rejected = 0
        self._buffer = bytearray()
        self._needed = 0
        self._last: float | None = None

    def feed(self, data: bytes, now: float) -> list[Packet]:
        """Every valid packet completed by these bytes, which all arrived at `now`."""
        if self._buffer and self._last is not None and now - self._last > self.gap:
            self._drop()
        self._last = now
        packets: list[Packet] = []
        for byte in data:
            found = self._take(byte)
            if found is not None:
                packets.append(found)
        return packets

    def _take(self, byte: int) -> Packet | None:
        buffer = self._buffer
        if not buffer:
            if byte in ADDRESSES:
                buffer.append(byte)
            return None
        buffer.append(byte)
        if len(buffer) == 2:
            return self._command(buffer[0], byte)
        if len(buffer) < self._needed:
            return None
        return self._complete()

    def _command(self, address: int, command: int) -> Packet | None:
        if command in READS:
            self._buffer.clear()
            return Packet(address, command)
        if command not in WRITE_PAYLOAD:
            self._drop()
            return None
        self._needed = 2 + WRITE_PAYLOAD[command] + 2
        return None

    def _complete(self) -> Packet | None:
        body, check = bytes(self._buffer[:-2]), int.from_bytes(self._buffer[-2:], "big")
        self._buffer.clear()
        if crc16(body) != check:
            self.rejected += 1
            return None
        return Packet(body[0], body[1], body[2:])

    def _drop(self) -> None:
        self.rejected += 1
        self._buffer.clear()
