"""Pololu Simple Motor Controller compact protocol: a command byte (bit 7 set), 7-bit data bytes.

With CRC mode "Commands only" every command ends with a CRC-7 byte (polynomial 0x91, LSB first).
Replies carry no CRC here ("Commands and responses" mode is not supported).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from tether.errors import InvalidCommand

AUTOBAUD = 0xAA
EXIT_SAFE_START = 0x83
MOTOR_FORWARD = 0x85
MOTOR_REVERSE = 0x86
MOTOR_BRAKE = 0x92
GET_VARIABLE = 0xA1
GET_FIRMWARE_VERSION = 0xC2
STOP_MOTOR = 0xE0
#: Data bytes after each command byte (the CRC byte, when enabled, comes after them).
DATA_LENGTHS = {
    EXIT_SAFE_START: 0,
    MOTOR_FORWARD: 2,
    MOTOR_REVERSE: 2,
    MOTOR_BRAKE: 1,
    GET_VARIABLE: 1,
    GET_FIRMWARE_VERSION: 0,
    STOP_MOTOR: 0,
}
#: Reply bytes: a variable is low byte then high byte; the version is ID low, ID high, minor, major.
REPLY_LENGTHS = {GET_VARIABLE: 2, GET_FIRMWARE_VERSION: 4}
MAX_SPEED = 3200
MAX_BRAKE = 32
CRC7_POLYNOMIAL = 0x91

#: Variable IDs for GET_VARIABLE (user's guide 6.4); IDs 41-127 are a serial format error.
ERROR_STATUS = 0
ERRORS_OCCURRED = 1
SERIAL_ERRORS_OCCURRED = 2
MAX_VARIABLE_ID = 40

#: Bits of ERROR_STATUS (and ERRORS_OCCURRED): the errors currently stopping the motor.
SAFE_START_VIOLATION = 1 << 0
SERIAL_ERROR = 1 << 2
COMMAND_TIMEOUT = 1 << 3
LOW_VIN = 1 << 5
ERROR_NAMES = {
    0: "safe-start violation",
    1: "required channel invalid",
    2: "serial error",
    3: "command timeout",
    4: "limit/kill switch",
    5: "low VIN",
    6: "high VIN",
    7: "over temperature",
    8: "motor driver error",
    9: "ERR line high",
}
#: Bits of SERIAL_ERRORS_OCCURRED this codec can detect.
SERIAL_FORMAT = 1 << 4
SERIAL_CRC = 1 << 5


def crc7(message: bytes) -> int:
    """The CRC-7 byte the controller checks: polynomial 0x91, computed LSB first."""
    crc = 0
    for byte in message:
        crc ^= byte
        for _ in range(8):
            crc = (crc ^ CRC7_POLYNOMIAL) >> 1 if crc & 1 else crc >> 1
    return crc


def command(code: int, data: Sequence[int] = (), *, crc: bool = False) -> bytes:
    """One command; raises InvalidCommand for an unknown command or a data byte over 127."""
    if code not in DATA_LENGTHS:
        raise InvalidCommand(
            f"pololu smc command=0x{code:02X}: expected one of "
            + ", ".join(f"0x{c:02X}" for c in sorted(DATA_LENGTHS))
        )
    if len(data) != DATA_LENGTHS[code]:
        raise InvalidCommand(
            f"pololu smc command 0x{code:02X} data={list(data)!r}: "
            f"expected {DATA_LENGTHS[code]} data bytes"
        )
    if any(not 0 <= value <= 127 for value in data):
        raise InvalidCommand(f"pololu smc data={list(data)!r}: expected bytes in 0-127")
    packet = bytes((code, *data))
    return packet + bytes((crc7(packet),)) if crc else packet


def speed_of(duty: float) -> int:
    """Signed duty in [-1, 1] as the controller's speed units (-3200..3200)."""
    if not -1.0 <= duty <= 1.0:
        raise InvalidCommand(f"pololu smc duty={duty!r}: expected a number in [-1, 1]")
    return round(duty * MAX_SPEED)


def drive(duty: float, *, crc: bool = False) -> bytes:
    """Motor forward / reverse at signed duty in [-1, 1] (speed 0-3200 as low 5 bits, high bits)."""
    speed = speed_of(duty)
    code = MOTOR_FORWARD if speed >= 0 else MOTOR_REVERSE
    speed = abs(speed)
    return command(code, (speed & 0x1F, speed >> 5), crc=crc)


def brake(amount: int, *, crc: bool = False) -> bytes:
    """Brake at once, ignoring deceleration limits: 0 coasts, 32 brakes fully."""
    if isinstance(amount, bool) or not isinstance(amount, int) or not 0 <= amount <= MAX_BRAKE:
        raise InvalidCommand(f"pololu smc brake amount={amount!r}: expected an integer in 0-32")
    return command(MOTOR_BRAKE, (amount,), crc=crc)


def exit_safe_start(*, crc: bool = False) -> bytes:
    """Clear the safe-start violation so drive commands move the motor again."""
    return command(EXIT_SAFE_START, crc=crc)


def stop_motor(*, crc: bool = False) -> bytes:
    """Target speed 0 and safe start re-armed: nothing moves until the next exit-safe-start."""
    return command(STOP_MOTOR, crc=crc)


def get_variable(variable: int, *, crc: bool = False) -> bytes:
    """Ask for a 16-bit variable (IDs 0-40); the controller answers low byte first."""
    if not 0 <= variable <= MAX_VARIABLE_ID:
        raise InvalidCommand(f"pololu smc variable={variable!r}: expected an ID in 0-40")
    return command(GET_VARIABLE, (variable,), crc=crc)


def get_firmware_version(*, crc: bool = False) -> bytes:
    """Ask for the product ID and firmware version (4-byte reply)."""
    return command(GET_FIRMWARE_VERSION, crc=crc)


def variable_reply(value: int) -> bytes:
    """A variable as the controller sends it: low byte, then high byte."""
    return bytes((value & 0xFF, (value >> 8) & 0xFF))


def decode_variable(reply: bytes) -> int:
    """The unsigned 16-bit value of a 2-byte variable reply."""
    if len(reply) != 2:
        raise InvalidCommand(f"pololu smc variable reply={reply!r}: expected 2 bytes")
    return reply[0] | reply[1] << 8


@dataclass(frozen=True, slots=True)
class FirmwareVersion:
    """The controller's product ID and firmware version."""

    product_id: int
    major: int
    minor: int


def _bcd(value: int) -> int:
    return (value >> 4) * 10 + (value & 0x0F)


def _to_bcd(value: int) -> int:
    return (value // 10) << 4 | value % 10


def firmware_reply(version: FirmwareVersion) -> bytes:
    """A firmware-version reply: product ID low, high, then minor and major in BCD."""
    product = version.product_id
    return bytes((product & 0xFF, product >> 8, _to_bcd(version.minor), _to_bcd(version.major)))


def decode_firmware(reply: bytes) -> FirmwareVersion:
    """Decode a 4-byte firmware-version reply (minor and major are BCD)."""
    if len(reply) != 4:
        raise InvalidCommand(f"pololu smc firmware reply={reply!r}: expected 4 bytes")
    return FirmwareVersion(reply[0] | reply[1] << 8, _bcd(reply[3]), _bcd(reply[2]))


def describe_errors(status: int) -> str:
    """The names of the set bits of an error status, for messages."""
    names = [ERROR_NAMES.get(bit, f"reserved bit {bit}") for bit in range(16) if status >> bit & 1]
    return ", ".join(names) if names else "no error"


@dataclass(frozen=True, slots=True)
class Command:
    """A complete command that passed the CRC check (when enabled)."""

    code: int
    data: tuple[int, ...] = ()

    @property
    def speed(self) -> int:
        """Speed of a forward/reverse command: data 1 + 32 * data 2."""
        return self.data[0] + (self.data[1] << 5)


class PacketParser:
    """Byte-at-a-time parser as the controller does it.

    A byte with bit 7 set starts a command (abandoning an unfinished one); data bytes have bit 7
    clear; stray data bytes are ignored. With ``crc=True`` a command is executed only if its
    trailing CRC-7 byte matches. ``rejected`` counts every command dropped: unknown, cut short
    or failing the CRC (``crc_failures`` counts the last kind).
    """

    def __init__(self, *, crc: bool = False) -> None:
        self.crc = crc
        self._buffer: list[int] = []
        self._needed = 0
        self.rejected = 0
        self.crc_failures = 0

    def feed(self, data: bytes) -> Iterator[Command]:
        """Yield each valid command completed by these bytes; bad ones are counted and dropped."""
        for byte in data:
            if byte & 0x80:
                self._start(byte)
            elif self._buffer:
                self._buffer.append(byte)
            if self._buffer and len(self._buffer) == self._needed:
                packet, self._buffer = self._buffer, []
                found = self._check(packet)
                if found is not None:
                    yield found

    def _start(self, byte: int) -> None:
        if self._buffer:
            self.rejected += 1
        self._buffer = []
        if byte in DATA_LENGTHS:
            self._buffer = [byte]
            self._needed = 1 + DATA_LENGTHS[byte] + (1 if self.crc else 0)
        elif byte != AUTOBAUD:
            self.rejected += 1

    def _check(self, packet: list[int]) -> Command | None:
        if self.crc:
            *packet, check = packet
            if crc7(bytes(packet)) != check:
                self.rejected += 1
                self.crc_failures += 1
                return None
        return Command(packet[0], tuple(packet[1:]))
