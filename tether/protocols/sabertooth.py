"""Sabertooth / SyRen packetized serial: [address, command, data, checksum], one way, no replies."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from tether.errors import InvalidCommand

AUTOBAUD = 0xAA
ADDRESSES = range(128, 136)
DRIVE_FORWARD = {1: 0, 2: 4}
DRIVE_BACKWARD = {1: 1, 2: 5}
MIN_VOLTAGE, MAX_VOLTAGE = 2, 3
DRIVE_7BIT = {1: 6, 2: 7}
SERIAL_TIMEOUT = 14
BAUD_RATE = 15
RAMPING = 16
DEADBAND = 17
#: Persistent baud setting values (manual; 115200 only on newer models).
BAUD_CODES = {2400: 1, 9600: 2, 19200: 3, 38400: 4, 115200: 5}
MAX_TIMEOUT_SECONDS = 12.7


def checksum(address: int, command: int, data: int) -> int:
    """The 7-bit checksum the controller verifies."""
    return (address + command + data) & 0x7F


def packet(address: int, command: int, data: int) -> bytes:
    """One packet; raises InvalidCommand for an address outside 128-135 or bytes over 127."""
    if address not in ADDRESSES:
        raise InvalidCommand(f"sabertooth address={address!r}: expected 128-135")
    if not 0 <= command <= 127 or not 0 <= data <= 127:
        raise InvalidCommand(f"sabertooth command={command!r} data={data!r}: expected 0-127")
    return bytes((address, command, data, checksum(address, command, data)))


def drive(address: int, channel: int, duty: float) -> bytes:
    """Drive one channel at signed duty in [-1, 1] (forward/backward commands, 0-127)."""
    if channel not in DRIVE_FORWARD:
        raise InvalidCommand(f"sabertooth channel={channel!r}: expected 1 or 2")
    if not -1.0 <= duty <= 1.0:
        raise InvalidCommand(f"sabertooth duty={duty!r}: expected a number in [-1, 1]")
    speed = round(abs(duty) * 127)
    command = DRIVE_FORWARD[channel] if duty >= 0 else DRIVE_BACKWARD[channel]
    return packet(address, command, speed)


def serial_timeout(address: int, seconds: float) -> bytes:
    """Set the controller's own stop-if-silent timeout (100 ms units, 0 = off, not persisted)."""
    if not 0 <= seconds <= MAX_TIMEOUT_SECONDS:
        raise InvalidCommand(
            f"sabertooth serial timeout={seconds!r}: expected seconds in [0, {MAX_TIMEOUT_SECONDS}]"
        )
    units = round(seconds * 10)
    if seconds > 0:
        units = max(units, 1)
    return packet(address, SERIAL_TIMEOUT, units)


def baud_rate(address: int, baud: int) -> bytes:
    """The persistent baud rate setting; only ever sent when the user asks for it."""
    if baud not in BAUD_CODES:
        raise InvalidCommand(f"sabertooth baud={baud!r}: expected one of {sorted(BAUD_CODES)}")
    return packet(address, BAUD_RATE, BAUD_CODES[baud])


@dataclass(frozen=True, slots=True)
class Packet:
    """A packet that passed the checksum."""

    address: int
    command: int
    data: int


class PacketParser:
    """Byte-at-a-time parser as the controller does it: resync on any byte >= 128."""

    def __init__(self) -> None:
        self._buffer: list[int] = []
        self.rejected = 0

    def feed(self, data: bytes) -> Iterator[Packet]:
        """Yield each valid packet completed by these bytes; bad ones are counted and dropped."""
        for byte in data:
            if byte & 0x80:
                if self._buffer:
                    self.rejected += 1
                self._buffer = [] if byte == AUTOBAUD else [byte]
                continue
            if not self._buffer:
                continue
            self._buffer.append(byte)
            if len(self._buffer) == 4:
                address, command, value, check = self._buffer
                self._buffer = []
                if checksum(address, command, value) == check and address in ADDRESSES:
                    yield Packet(address, command, value)
                else:
                    self.rejected += 1
