"""Sabertooth packetized serial codec: the manual's vectors, and a parser that can't be fooled."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tether.errors import InvalidCommand
from tether.fakes.sabertooth import FakeSabertooth
from tether.protocols import sabertooth as proto


def test_manual_example_packet() -> None:
    assert proto.packet(130, 0, 64) == bytes.fromhex("82004042")


def test_drive_and_settings_packets() -> None:
    assert proto.drive(128, 1, 1.0) == bytes((128, 0, 127, (128 + 127) & 0x7F))
    assert proto.drive(128, 2, -0.5) == bytes((128, 5, 64, (128 + 5 + 64) & 0x7F))
    assert proto.drive(128, 2, 0.0) == bytes((128, 4, 0, 4))
    assert proto.serial_timeout(128, 0.6) == bytes((128, 14, 6, (128 + 14 + 6) & 0x7F))
    assert proto.serial_timeout(128, 0.01)[2] == 1, "a nonzero timeout never rounds to off"
    assert proto.baud_rate(128, 9600)[1:3] == bytes((15, 2))


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: proto.packet(127, 0, 0), "address=127: expected 128-135"),
        (lambda: proto.packet(136, 0, 0), "address=136"),
        (lambda: proto.packet(128, 0, 128), "data=128"),
        (lambda: proto.drive(128, 3, 0.1), "channel=3"),
        (lambda: proto.drive(128, 1, 1.5), r"duty=1.5: expected a number in \[-1, 1\]"),
        (lambda: proto.serial_timeout(128, 13), "serial timeout=13"),
        (lambda: proto.baud_rate(128, 57600), "baud=57600"),
    ],
)
def test_bad_values_are_refused(call: object, message: str) -> None:
    with pytest.raises(InvalidCommand, match=message):
        call()  # type: ignore[operator]


@given(
    address=st.integers(128, 135), command=st.integers(0, 127), data=st.integers(0, 127),
    noise=st.binary(max_size=8),
)
def test_every_packet_decodes_back_even_after_noise(
    address: int, command: int, data: int, noise: bytes
) -> None:
    parser = proto.PacketParser()
    list(parser.feed(noise))
    decoded = list(parser.feed(proto.packet(address, command, data)))
    assert decoded == [proto.Packet(address, command, data)]


@given(st.binary(max_size=64))
def test_random_bytes_never_move_a_motor(data: bytes) -> None:
    device = FakeSabertooth(128, pty=False)
    device.feed(data)
    has_valid_drive = any(
        a == 128 and c in (0, 1, 4, 5, 6, 7) and d < 128 and k == (a + c + d) & 0x7F
        for a, c, d, k in zip(data, data[1:], data[2:], data[3:], strict=False)
    )
    if not has_valid_drive:
        assert device.channels[1].duty == device.channels[2].duty == 0.0


@given(index=st.integers(0, 3), flip=st.integers(1, 127))
def test_a_corrupted_packet_is_ignored(index: int, flip: int) -> None:
    good = bytearray(proto.drive(128, 1, 0.8))
    good[index] ^= flip
    device = FakeSabertooth(128, pty=False)
    device.feed(bytes(good))
    assert device.channels[1].duty == 0.0 or bytes(good) == proto.drive(128, 1, 0.8)
