"""RoboClaw (Basicmicro) packet serial: [address, command, data..., crc_hi, crc_lo], CRC-16/XMODEM.

Writes carry a CRC and are answered with a single 0xFF. Reads are sent as [address, command]
(Basicmicro's own libraries send no CRC with a read) and answered with [data..., crc_hi, crc_lo],
the CRC running over the sent address and command and the returned data.
"""

from __future__ import annotations

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
RESET_ENCODERS = 20
READ_VERSION = 21
READ_MAIN_BATTERY = 24
DUTY = {1: 32, 2: 33}
MIXED_DUTY = 34

MAX_DUTY = 32767
MAX_TIMEOUT_SECONDS = 25.5
#: Longest version reply including its 0x0A 0x00 ending (Basicmicro's library reads at most 48).
MAX_VERSION_BYTES = 48

#: Payload bytes of each write the codec and the device parser know (between command and CRC).
WRITE_PAYLOAD: dict[int, int] = {
    **dict.fromkeys((*DRIVE_FORWARD.values(), *DRIVE_BACKWARD.values()), 1),
    **dict.fromkeys(DRIVE_7BIT.values(), 1),
    SET_SERIAL_TIMEOUT: 1,
    RESET_ENCODERS: 0,
    **dict.fromkeys(DUTY.values(), 2),
    MIXED_DUTY: 4,
}
#: Data bytes (before the CRC) of each fixed-size read reply; the version reply ends at 0x00.
READ_REPLY: dict[int, int] = {
    READ_SERIAL_TIMEOUT: 1,
    **dict.fromkeys(READ_ENCODER.values(), 5),
    READ_MAIN_BATTERY: 2,
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
