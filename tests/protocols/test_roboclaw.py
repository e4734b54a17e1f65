"""RoboClaw packet serial: the codec against the datasheet, and the device parser against noise."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tether.errors import InvalidCommand
from tether.fakes.roboclaw import FakeRoboClaw
from tether.protocols import roboclaw as proto

addresses = st.integers(0x80, 0x87)
channels = st.sampled_from([1, 2])
duties = st.floats(-1.0, 1.0, allow_nan=False)


@pytest.mark.parametrize(
    ("text", "crc"), [(b"123456789", 0x31C3), (b"Hello World", 0x992A), (b"", 0)]
)
def test_crc_matches_the_xmodem_check_values(text: bytes, crc: int) -> None:
    assert proto.crc16(text) == crc


@pytest.mark.parametrize(
    ("encoded", "expected"),
    [
        (proto.forward(0x80, 1, 64), "80 00 40 73 9E"),
        (proto.serial_timeout(0x80, 0.5), "80 0E 05 48 F0"),
        (proto.mixed_duty(0x80, 16384 / 32767, -16384 / 32767), "80 22 40 00 C0 00 E0 DF"),
    ],
    ids=["m1-forward-64", "serial-timeout-0.5s", "mixed-duty"],
)
def test_worked_packets_from_the_datasheet(encoded: bytes, expected: str) -> None:
    assert encoded == bytes.fromhex(expected)


def test_duty_is_signed_16_bit_big_endian_full_scale_32767() -> None:
    assert proto.duty(0x80, 1, 1.0)[2:4] == (32767).to_bytes(2, "big")
    assert proto.duty(0x80, 2, -1.0)[1:4] == bytes((33,)) + (-32767).to_bytes(2, "big", signed=True)
    assert proto.duty(0x80, 1, 0.0)[2:4] == b"\x00\x00"


@pytest.mark.parametrize("address", [0x7F, 0x88, 0, 255, -1, True])
def test_address_outside_0x80_0x87_is_refused_naming_it(address: int) -> None:
    with pytest.raises(InvalidCommand, match=rf"address={address!r}: expected 0x80-0x87"):
        proto.packet(address, proto.DUTY[1], b"\x00\x00")


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: proto.duty(0x80, 3, 0.5), "channel=3: expected 1 or 2"),
        (lambda: proto.duty(0x80, 1, 1.5), r"duty=1.5: expected a number in \[-1, 1\]"),
        (lambda: proto.duty(0x80, 1, float("nan")), "duty=nan"),
        (lambda: proto.serial_timeout(0x80, 25.6), r"timeout=25.6: expected seconds in \[0, 25"),
        (lambda: proto.read_request(0x80, proto.DUTY[1]), "read command=32"),
        (lambda: proto.version_data("x" * 47), "at most 46"),
    ],
)
def test_bad_values_are_refused_naming_them(call: object, message: str) -> None:
    with pytest.raises(InvalidCommand, match=message):
        call()  # type: ignore[operator]


def test_serial_timeout_rounds_to_100_ms_and_never_rounds_a_short_one_to_off() -> None:
    assert proto.serial_timeout(0x80, 25.5)[2] == 255
    assert proto.serial_timeout(0x80, 0.01)[2] == 1
    assert proto.serial_timeout(0x80, 0)[2] == 0


def test_read_reply_crc_covers_the_sent_address_and_command() -> None:
    data = (1234).to_bytes(4, "big") + b"\x02"
    reply = proto.reply(0x82, proto.READ_ENCODER[2], data)
    assert reply[:-2] == data
    assert int.from_bytes(reply[-2:], "big") == proto.crc16(b"\x82\x11" + data)
    assert proto.reply_crc(0x82, proto.READ_ENCODER[2], data) != proto.reply_crc(
        0x83, proto.READ_ENCODER[2], data
    )
    assert proto.decode_encoder(data) == (1234, 2)


# -- every encoded packet is what the device parses ---------------------------------------

writes = st.one_of(
    st.builds(proto.duty, addresses, channels, duties),
    st.builds(proto.mixed_duty, addresses, duties, duties),
    st.builds(proto.serial_timeout, addresses, st.floats(0, 25.5)),
    st.builds(proto.forward, addresses, channels, st.integers(0, 127)),
    st.builds(proto.drive_7bit, addresses, channels, st.integers(0, 127)),
    st.builds(
        lambda a, c, p: proto.packet(a, c, p[: proto.WRITE_PAYLOAD[c]]),
        addresses,
        st.sampled_from(sorted(proto.WRITE_PAYLOAD)),
        st.binary(min_size=max(proto.WRITE_PAYLOAD.values()), max_size=16),
    ),
    st.builds(proto.speed, addresses, channels, st.integers(-(1 << 31), (1 << 31) - 1)),
    st.builds(proto.speed_accel, addresses, channels, st.integers(0, (1 << 32) - 1),
              st.integers(-(1 << 31), (1 << 31) - 1)),
    st.builds(proto.reset_encoders, addresses),
)
reads = st.builds(proto.read_request, addresses, st.sampled_from(sorted(proto.READS)))


@given(st.lists(st.one_of(writes, reads), min_size=1, max_size=8))
def test_every_packet_the_codec_encodes_is_accepted_by_the_device_parser(
    encoded: list[bytes],
) -> None:
    parser = proto.PacketParser()
    parsed = parser.feed(b"".join(encoded), now=0.0)
    assert parser.rejected == 0
    assert [(p.address, p.command) for p in parsed] == [(e[0], e[1]) for e in encoded]
    for packet, sent in zip(parsed, encoded, strict=True):
        payload = sent[2:] if packet.command in proto.READS else sent[2:-2]
        assert packet.payload == payload


# -- noise never moves a motor ------------------------------------------------------------


def _running_device() -> FakeRoboClaw:
    device = FakeRoboClaw(0x80, clock=lambda: 0.0, pty=False)
    device.feed(proto.mixed_duty(0x80, 0.25, -0.5), now=0.0)
    return device


def _duties(device: FakeRoboClaw) -> tuple[float, float]:
    return device.channels[1].duty, device.channels[2].duty


@given(st.binary(max_size=200))
def test_random_bytes_never_change_the_channel_duties(noise: bytes) -> None:
    device = _running_device()
    before = _duties(device)
    device.feed(noise, now=0.0)
    assert _duties(device) == before


@given(
    st.one_of(
        st.builds(proto.duty, st.just(0x80), channels, duties),
        st.builds(proto.mixed_duty, st.just(0x80), duties, duties),
        st.builds(proto.drive_7bit, st.just(0x80), channels, st.integers(0, 127)),
    ),
    st.data(),
)
def test_a_single_corrupted_byte_never_changes_the_channel_duties(
    sent: bytes, data: st.DataObject
) -> None:
    device = _running_device()
    before = _duties(device)
    position = data.draw(st.integers(0, len(sent) - 1), label="position")
    flip = data.draw(st.integers(1, 255), label="xor")
    corrupted = bytearray(sent)
    corrupted[position] ^= flip
    device.feed(bytes(corrupted), now=0.0)
    assert _duties(device) == before


def test_packets_for_another_address_are_ignored_and_not_answered() -> None:
    device = _running_device()
    device.replies.clear()
    device.feed(proto.duty(0x81, 1, 1.0) + proto.read_request(0x81, proto.READ_VERSION), now=0.0)
    assert _duties(device) == pytest.approx((0.25, -0.5), abs=1e-4)
    assert device.replies == b""


def test_a_bad_crc_is_counted_and_gets_no_reply() -> None:
    device = _running_device()
    device.replies.clear()
    bad = bytearray(proto.duty(0x80, 1, 1.0))
    bad[-1] ^= 0xFF
    device.feed(bytes(bad), now=0.0)
    assert device.parser.rejected == 1
    assert device.replies == b""
    assert device.channels[1].duty == pytest.approx(0.25, abs=1e-4)


def test_writes_are_acknowledged_and_reads_answered_with_a_checked_crc() -> None:
    device = FakeRoboClaw(0x80, pty=False)
    device.battery_tenths = 243
    device.feed(proto.duty(0x80, 2, -1.0))
    assert device.replies == b"\xff"
    assert device.channels[2].duty == -1.0
    device.replies.clear()
    device.feed(proto.read_request(0x80, proto.READ_MAIN_BATTERY))
    data, check = bytes(device.replies[:2]), int.from_bytes(device.replies[2:], "big")
    assert check == proto.reply_crc(0x80, proto.READ_MAIN_BATTERY, data)
    assert proto.decode_battery(data) == pytest.approx(24.3)


# -- the 10 ms inter-byte gap -------------------------------------------------------------


def test_bytes_more_than_10_ms_apart_discard_the_partial_packet() -> None:
    device = FakeRoboClaw(0x80, clock=lambda: 0.0, pty=False)
    sent = proto.duty(0x80, 1, 0.5)
    device.feed(sent[:3], now=1.000)
    device.feed(sent[3:], now=1.0105)
    assert device.channels[1].duty == 0.0
    assert device.parser.rejected == 1
    assert device.replies == b""
    device.feed(sent, now=1.02)
    assert device.channels[1].duty == pytest.approx(0.5, abs=1e-4)


def test_bytes_up_to_10_ms_apart_still_make_one_packet() -> None:
    device = FakeRoboClaw(0x80, clock=lambda: 0.0, pty=False)
    sent = proto.duty(0x80, 1, 0.5)
    for offset, byte in enumerate(sent):
        device.feed(bytes((byte,)), now=2.0 + offset * 0.0095)
    assert device.channels[1].duty == pytest.approx(0.5, abs=1e-4)
    assert device.replies == b"\xff"


def test_a_packet_cut_by_a_gap_does_not_swallow_the_next_one() -> None:
    parser = proto.PacketParser()
    assert parser.feed(proto.duty(0x80, 1, 0.5)[:4], now=0.0) == []
    parsed = parser.feed(proto.duty(0x80, 2, -0.5), now=0.02)
    minus_half = (-16384).to_bytes(2, "big", signed=True)
    assert [(p.command, p.payload) for p in parsed] == [(33, minus_half)]


# -- the controller's own serial timeout --------------------------------------------------


def test_serial_timeout_stops_both_channels_on_the_device_clock() -> None:
    now = [0.0]
    device = FakeRoboClaw(0x80, clock=lambda: now[0], pty=False)
    device.feed(proto.serial_timeout(0x80, 0.5) + proto.mixed_duty(0x80, 0.3, -0.3))
    assert device.timeout == 0.5
    assert device.seconds_until_timeout() == pytest.approx(0.5)
    now[0] = 0.49
    device.check_timeout()
    assert _duties(device) != (0.0, 0.0)
    now[0] = 0.6
    device.check_timeout()
    assert _duties(device) == (0.0, 0.0)
    assert device.timeouts == 1
    assert device.channels[1].zero_since() == pytest.approx(0.5)
    assert device.seconds_until_timeout() is None
