"""RoboClaw closed loop: encoder and speed reads, speed commands, velocity PID, and the fake's
motor model (its encoder counts follow the wheel; its velocity loop holds a commanded speed)."""

from __future__ import annotations

import binascii
import time

import pytest

from tether.errors import InvalidCommand
from tether.fakes.clock import FakeClock
from tether.fakes.encoded_wheel import FirstOrderWheel
from tether.fakes.roboclaw import FakeRoboClaw
from tether.protocols import roboclaw as proto

#: Basicmicro's own example call: SetM1VelocityPID(address, kp=1.0, ki=0.5, kd=0.25, qpps=44000).
BASICMICRO_EXAMPLE = proto.VelocityPid(p=1.0, i=0.5, d=0.25, qpps=44000)


def test_binascii_crc_hqx_is_an_independent_check_of_the_facts_crc() -> None:
    """The vectors below take their CRCs from binascii.crc_hqx(data, 0), which matches the
    facts' CRC-16/XMODEM check values, so they do not lean on the codec's own crc16."""
    assert binascii.crc_hqx(b"123456789", 0) == 0x31C3 == proto.crc16(b"123456789")
    assert binascii.crc_hqx(b"Hello World", 0) == 0x992A == proto.crc16(b"Hello World")


@pytest.mark.parametrize(
    ("encoded", "expected"),
    [
        (proto.speed(0x80, 1, 1000), "80 23 00 00 03 E8 1B 33"),
        (proto.speed(0x80, 2, -1000), "80 24 FF FF FC 18 14 C7"),
        (proto.speed_accel(0x80, 1, 500, 1000), "80 26 00 00 01 F4 00 00 03 E8 C3 C5"),
        (proto.speed_accel(0x81, 2, 3000, -1500), "81 27 00 00 0B B8 FF FF FA 24 6E BB"),
        (proto.velocity_pid(0x80, 1, BASICMICRO_EXAMPLE),
         "80 1C 00 00 40 00 00 01 00 00 00 00 80 00 00 00 AB E0 26 FA"),
        (proto.reset_encoders(0x80), "80 14 49 2D"),
        (proto.read_encoder(0x80, 2), "80 11"),
        (proto.read_speed(0x80, 1), "80 12"),
        (proto.read_speed(0x80, 2), "80 13"),
        (proto.read_velocity_pid(0x80, 1), "80 37"),
        (proto.read_velocity_pid(0x80, 2), "80 38"),
    ],
    ids=["speed-m1", "speed-m2-reverse", "speed-accel-m1", "speed-accel-m2-0x81",
         "velocity-pid-d-p-i-qpps", "reset-encoders", "read-enc-m2", "read-speed-m1",
         "read-speed-m2", "read-pid-m1", "read-pid-m2"],
)
def test_closed_loop_packets_byte_for_byte(encoded: bytes, expected: str) -> None:
    assert encoded == bytes.fromhex(expected)


def test_a_speed_reply_decodes_as_the_manual_gives_it_and_as_signed_firmware_sends_it() -> None:
    backward = bytes.fromhex("00 00 05 DC 01")  # 1500, status 1: backward (the manual)
    assert proto.decode_speed(backward) == (-1500, 1)
    assert proto.reply(0x80, 19, backward) == bytes.fromhex("00 00 05 DC 01 D4 06")
    signed = (-1500).to_bytes(4, "big", signed=True) + b"\x01"
    assert proto.decode_speed(signed) == (-1500, 1)
    assert proto.decode_speed(bytes.fromhex("00 00 05 DC 00")) == (1500, 0)
    assert proto.speed_data(-1500) == backward


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: proto.speed(0x80, 1, 1 << 31), "speed qpps=2147483648: expected a finite"),
        (lambda: proto.speed(0x80, 1, float("nan")), "speed qpps=nan"),
        (lambda: proto.speed(0x80, 3, 10), "channel=3"),
        (lambda: proto.speed_accel(0x80, 1, -1, 10), "acceleration=-1"),
        (lambda: proto.velocity_pid(0x80, 1, proto.VelocityPid(-1.0, 0, 0, 100)), "p=-1.0"),
        (lambda: proto.velocity_pid(0x80, 1, proto.VelocityPid(1, float("inf"), 0, 100)),
         "i=inf"),
        (lambda: proto.velocity_pid(0x80, 1, proto.VelocityPid(1, 0, 0, 0)), "qpps=0"),
        (lambda: proto.velocity_pid(0x80, 1, proto.VelocityPid(1, 0, 0, 1.5)),  # type: ignore[arg-type]
         "qpps=1.5"),
    ],
)
def test_bad_closed_loop_values_are_refused_naming_them(call: object, message: str) -> None:
    with pytest.raises(InvalidCommand, match=message):
        call()  # type: ignore[operator]


# -- the fake controller ------------------------------------------------------------------


def device(clock: FakeClock, m1: FirstOrderWheel | None = None) -> FakeRoboClaw:
    """A fake on the test's clock; M1 drives `m1` (a default wheel unless given)."""
    wheels = {1: m1 or FirstOrderWheel(), 2: FirstOrderWheel()}
    return FakeRoboClaw(0x80, clock=clock, pty=False, wheels=dict(wheels))


def read(claw: FakeRoboClaw, request: bytes, size: int) -> bytes:
    """Send a read and return its data after checking the reply CRC."""
    claw.replies.clear()
    claw.feed(request)
    data, check = bytes(claw.replies[:size]), int.from_bytes(claw.replies[size:], "big")
    assert check == proto.reply_crc(0x80, request[1], data)
    return data


def run(claw: FakeRoboClaw, clock: FakeClock, seconds: float, step: float = 0.01) -> None:
    end = clock() + seconds
    while clock() < end - 1e-9:
        clock.advance(step)
        claw.advance()


def test_the_velocity_pid_is_stored_from_d_p_i_qpps_and_read_back_as_p_i_d_qpps() -> None:
    clock = FakeClock()
    claw = device(clock)
    claw.feed(proto.velocity_pid(0x80, 2, BASICMICRO_EXAMPLE))
    assert claw.velocity_pid[2] == BASICMICRO_EXAMPLE
    data = read(claw, proto.read_velocity_pid(0x80, 2), 16)
    assert data[:4] == (65536).to_bytes(4, "big"), "P comes first in the read-back"
    assert proto.decode_velocity_pid(data) == BASICMICRO_EXAMPLE


def test_encoder_counts_follow_the_motor_both_ways() -> None:
    """Duty 0.5 on a 3000 counts/s wheel (time constant 50 ms) for 2 s: 1500 x (2 - 0.05) =
    2925 counts; then -0.5 for 1 s goes back 1500 x (1 - 2 x 0.05) = 1350 more than it
    would at once, through the controller's own reads."""
    clock = FakeClock()
    claw = device(clock)
    claw.feed(proto.duty(0x80, 1, 0.5))
    run(claw, clock, 2.0)
    count, status = proto.decode_encoder(read(claw, proto.read_encoder(0x80, 1), 5))
    assert count == pytest.approx(2925, abs=3)
    assert status & proto.ENCODER_BACKWARD == 0
    assert proto.decode_speed(read(claw, proto.read_speed(0x80, 1), 5))[0] == pytest.approx(
        1500, abs=1
    )
    claw.feed(proto.duty(0x80, 1, -0.5))
    run(claw, clock, 1.0)
    count, status = proto.decode_encoder(read(claw, proto.read_encoder(0x80, 1), 5))
    assert count == pytest.approx(2925 - 1350, abs=5)
    assert status & proto.ENCODER_BACKWARD
    assert proto.decode_speed(read(claw, proto.read_speed(0x80, 1), 5))[0] == pytest.approx(
        -1500, abs=1
    )
    assert claw.encoders[2] == 0, "the idle channel did not count"


def test_going_below_zero_wraps_the_u32_count_and_flags_underflow_once() -> None:
    clock = FakeClock()
    claw = device(clock)
    claw.feed(proto.duty(0x80, 1, -1.0))
    run(claw, clock, 0.2)
    count, status = proto.decode_encoder(read(claw, proto.read_encoder(0x80, 1), 5))
    assert count > (1 << 32) - 1000, "reads as a u32 just below 2^32"
    assert status & proto.ENCODER_UNDERFLOW
    _, again = proto.decode_encoder(read(claw, proto.read_encoder(0x80, 1), 5))
    assert not again & proto.ENCODER_UNDERFLOW, "cleared after reading"


def test_a_speed_command_holds_its_speed_under_a_30_percent_load() -> None:
    clock = FakeClock()
    claw = device(clock, FirstOrderWheel(load=0.3))
    claw.feed(proto.speed(0x80, 1, 1500))
    run(claw, clock, 0.5)
    assert claw.speeds[1] == pytest.approx(1500, rel=0.02)
    assert claw.channels[1].duty == pytest.approx(1500 / 3000 / 0.7, rel=0.02), (
        "the loop pushed harder than open loop's 0.5"
    )
    before = claw.encoders[1]
    run(claw, clock, 1.0)
    assert claw.encoders[1] - before == pytest.approx(1500, rel=0.01)


def test_speed_with_acceleration_ramps_the_setpoint() -> None:
    clock = FakeClock()
    claw = device(clock)
    claw.feed(proto.speed_accel(0x80, 2, 3000, -1500))  # 0.5 s to reach -1500
    run(claw, clock, 0.25)
    assert claw.speeds[2] == pytest.approx(-750, rel=0.1)
    run(claw, clock, 0.5)
    assert claw.speeds[2] == pytest.approx(-1500, rel=0.02)


def test_a_blocked_wheel_under_a_speed_command_drives_full_power_at_zero_speed() -> None:
    """What a stall check must catch: the loop winds to full duty, the encoder stands still."""
    clock = FakeClock()
    claw = device(clock, FirstOrderWheel(blocked=True))
    claw.feed(proto.speed(0x80, 1, 1500))
    run(claw, clock, 0.5)
    assert claw.channels[1].duty == 1.0
    assert (claw.speeds[1], claw.encoders[1]) == (0.0, 0)


def test_a_duty_command_takes_the_channel_out_of_the_speed_loop() -> None:
    clock = FakeClock()
    claw = device(clock)
    claw.feed(proto.speed(0x80, 1, 1500))
    run(claw, clock, 0.2)
    claw.feed(proto.duty(0x80, 1, 0.0))
    run(claw, clock, 0.5)
    assert claw.channels[1].duty == 0.0
    assert abs(claw.speeds[1]) < 1


def test_the_serial_timeout_stops_a_speed_loop_at_its_own_instant() -> None:
    clock = FakeClock()
    claw = device(clock)
    claw.feed(proto.serial_timeout(0x80, 0.5) + proto.speed(0x80, 1, 1500))
    run(claw, clock, 1.0)
    assert claw.channels[1].duty == 0.0
    assert claw.channels[1].zero_since() == pytest.approx(0.5)
    assert claw.timeouts == 1
    assert abs(claw.speeds[1]) < 1, "the loop did not restart the wheel"


def test_reset_encoders_zeroes_both_counts() -> None:
    clock = FakeClock()
    claw = device(clock)
    claw.feed(proto.mixed_duty(0x80, 0.5, -0.5))
    run(claw, clock, 0.3)
    assert claw.encoders[1] > 0 > claw.encoders[2]
    claw.feed(proto.reset_encoders(0x80))
    assert claw.replies[-1:] == b"\xff"
    assert claw.encoders == {1: 0, 2: 0}


def test_on_a_pty_the_speed_loop_runs_in_real_time_without_more_packets() -> None:
    serial = pytest.importorskip("serial")
    with FakeRoboClaw(0x80) as claw, serial.Serial(claw.path, 38400, timeout=1.0) as port:
        port.write(proto.speed(0x80, 1, 1500))
        assert port.read(1) == b"\xff"
        deadline = time.monotonic() + 5.0
        while claw.encoders[1] < 300 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert claw.encoders[1] >= 300, "the reader thread ran the model on its own"
        assert claw.speeds[1] == pytest.approx(1500, rel=0.05)
