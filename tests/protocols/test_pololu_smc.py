"""Pololu SMC compact protocol: speed encoding, CRC-7 vectors, parsing as the device does."""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import partial

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from tether.errors import InvalidCommand
from tether.fakes.pololu_smc import FakeSmc
from tether.protocols import pololu_smc as proto


@pytest.mark.parametrize(
    ("duty", "packet"),
    [
        (1.0, "85 00 64"),  # speed 3200: 3200 & 0x1F = 0, 3200 >> 5 = 100
        (-1.0, "86 00 64"),
        (0.5, "85 00 32"),  # 1600
        (0.0, "85 00 00"),
        (1 / 3200, "85 01 00"),
        (-100 / 3200, "86 04 03"),  # 100 = 4 + 3 * 32
    ],
)
def test_speed_is_low_five_bits_then_the_rest(duty: float, packet: str) -> None:
    assert proto.drive(duty) == bytes.fromhex(packet)


@pytest.mark.parametrize(
    ("message", "crc"),
    [
        ("83 01", 0x17),  # Pololu's worked CRC-7 example (Tic / Maestro / SMC guides)
        ("D1 01 64 00", 0x68),  # Motoron guide example, same CRC-7
    ],
)
def test_crc7_matches_pololus_examples(message: str, crc: int) -> None:
    assert proto.crc7(bytes.fromhex(message)) == crc


def test_crc_is_appended_only_when_enabled() -> None:
    assert proto.exit_safe_start() == b"\x83"
    plain = proto.drive(0.25)
    assert proto.drive(0.25, crc=True) == plain + bytes((proto.crc7(plain),))


@pytest.mark.parametrize("duty", [1.0001, -1.5, math.nan, math.inf])
def test_duty_outside_the_range_is_rejected(duty: float) -> None:
    with pytest.raises(InvalidCommand, match=r"duty=.*expected a number in \[-1, 1\]"):
        proto.drive(duty)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: proto.brake(33), r"brake amount=33: expected an integer in 0-32"),
        (lambda: proto.get_variable(41), r"variable=41: expected an ID in 0-40"),
        (lambda: proto.command(0x84), r"command=0x84: expected one of"),
        (lambda: proto.command(proto.MOTOR_BRAKE, (128,)), r"expected bytes in 0-127"),
        (lambda: proto.command(proto.MOTOR_BRAKE), r"expected 1 data bytes"),
    ],
)
def test_bad_arguments_name_the_value(call: object, message: str) -> None:
    with pytest.raises(InvalidCommand, match=message):
        call()  # type: ignore[operator]


def test_replies_decode_low_byte_first_and_bcd_versions() -> None:
    assert proto.decode_variable(bytes((0x09, 0x01))) == 0x0109
    version = proto.decode_firmware(bytes((0x98, 0x00, 0x00, 0x01)))  # the guide's example
    assert version == proto.FirmwareVersion(product_id=0x98, major=1, minor=0)
    assert proto.decode_firmware(proto.firmware_reply(proto.FirmwareVersion(0x9A, 1, 15))) == (
        proto.FirmwareVersion(0x9A, 1, 15)
    )
    assert proto.describe_errors(0x0009) == "safe-start violation, command timeout"


Encoder = Callable[..., bytes]
ENCODERS: st.SearchStrategy[Encoder] = st.one_of(
    st.floats(-1, 1).map(lambda duty: partial(proto.drive, duty)),
    st.integers(0, 32).map(lambda amount: partial(proto.brake, amount)),
    st.integers(0, 40).map(lambda variable: partial(proto.get_variable, variable)),
    st.sampled_from([proto.exit_safe_start, proto.stop_motor, proto.get_firmware_version]),
)


@given(st.lists(ENCODERS, max_size=8), st.booleans())
def test_every_encoded_command_parses_back_identically(
    encoders: list[Encoder], crc: bool
) -> None:
    encoded = [encode(crc=crc) for encode in encoders]
    parser = proto.PacketParser(crc=crc)
    parsed = list(parser.feed(b"".join(encoded)))
    body = [packet[:-1] if crc else packet for packet in encoded]
    assert parsed == [proto.Command(b[0], tuple(b[1:])) for b in body]
    assert parser.rejected == 0


@given(st.floats(-1, 1))
def test_drive_speed_round_trips(duty: float) -> None:
    (command,) = proto.PacketParser().feed(proto.drive(duty))
    sign = 1 if command.code == proto.MOTOR_FORWARD else -1
    assert sign * command.speed == round(duty * 3200)


@given(st.binary(max_size=64), st.booleans())
def test_garbage_never_moves_a_fake_still_in_safe_start(noise: bytes, crc: bool) -> None:
    assume(proto.EXIT_SAFE_START not in noise)
    fake = FakeSmc(crc=crc, pty=False)
    fake.feed(noise)
    assert fake.channel.duty == 0.0
    assert len(fake.channel.history) == 1


def _armed_fake() -> FakeSmc:
    """A CRC-checking fake already out of safe start: an accepted drive would move it."""
    fake = FakeSmc(crc=True, pty=False)
    fake.feed(proto.exit_safe_start(crc=True))
    assert fake.errors == 0
    return fake


MOVING_DUTY = st.floats(-1, 1).filter(lambda duty: round(duty * 3200) != 0)


@given(MOVING_DUTY, st.integers(1, 3), st.integers(1, 127))
def test_a_packet_with_corrupted_data_or_crc_is_dropped(duty: float, index: int, mask: int) -> None:
    fake = _armed_fake()
    packet = bytearray(proto.drive(duty, crc=True))
    packet[index] ^= mask  # a burst of at most 7 bits: CRC-7 catches every one
    fake.feed(bytes(packet))
    assert fake.channel.duty == 0.0
    assert fake.parser.crc_failures == 1
    assert fake.executed[-1].code == proto.EXIT_SAFE_START, "nothing else was executed"


@given(MOVING_DUTY, st.integers(0, 31))
def test_a_single_flipped_bit_anywhere_never_moves_the_fake(duty: float, bit: int) -> None:
    fake = _armed_fake()
    packet = bytearray(proto.drive(duty, crc=True))
    packet[bit // 8] ^= 1 << bit % 8
    fake.feed(bytes(packet))
    assert fake.channel.duty == 0.0


def test_a_wrong_crc_is_reported_as_a_crc_serial_error_and_the_next_packet_works() -> None:
    fake = _armed_fake()
    packet = bytearray(proto.drive(0.5, crc=True))
    packet[-1] ^= 0x01
    fake.feed(bytes(packet))
    fake.feed(proto.get_variable(proto.SERIAL_ERRORS_OCCURRED, crc=True))
    assert proto.decode_variable(bytes(fake.replies[-2:])) == proto.SERIAL_CRC
    fake.feed(proto.drive(0.5, crc=True))
    assert fake.channel.duty == 0.5
