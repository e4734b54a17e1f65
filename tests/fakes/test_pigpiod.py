"""The fake pigpiod, checked against pigpio's protocol as the real pigpio library speaks it."""

from __future__ import annotations

import itertools
import socket
import struct
import threading
import time
from collections.abc import Iterator

import pigpio
import pytest
from gpiozero import Button
from gpiozero.pins.pigpio import PiGPIOFactory

from tether.drivers.gpio import GpioMotor
from tether.fakes import FakeClock
from tether.fakes.hbridge import DRV8833, L298N, PhaseEnableBridge
from tether.fakes.pigpiod import FakePigpiod
from tether.fakes.pigpiod import protocol as pp
from tether.fakes.pigpiod.gpio import PWM_FREQUENCIES

UNKNOWN = pp.PI_UNKNOWN_COMMAND


@pytest.fixture
def daemon() -> Iterator[FakePigpiod]:
    with FakePigpiod() as fake:
        yield fake


@pytest.fixture
def pi(daemon: FakePigpiod) -> Iterator[pigpio.pi]:
    client = pigpio.pi(daemon.host, daemon.port)
    assert client.connected
    yield client
    client.stop()


@pytest.fixture
def raw(daemon: FakePigpiod) -> Iterator[socket.socket]:
    sock = socket.create_connection((daemon.host, daemon.port), timeout=5)
    yield sock
    sock.close()


def request(sock: socket.socket, cmd: int, p1: int = 0, p2: int = 0, extension: bytes = b"") -> int:
    """One request as pigpio.py sends it; the reply must echo cmd, p1, p2."""
    sock.sendall(struct.pack("<IIII", cmd, p1, p2, len(extension)) + extension)
    reply = b""
    while len(reply) < 16:
        chunk = sock.recv(16 - len(reply))
        assert chunk, "the fake pigpiod closed the socket"
        reply += chunk
    echoed_cmd, echoed_p1, echoed_p2, result = struct.unpack("<IIIi", reply)
    assert (echoed_cmd, echoed_p1, echoed_p2) == (cmd, p1, p2)
    return int(result)


def test_numbers_are_pigpio_py_s() -> None:
    for command in pp.Command:
        assert getattr(pigpio, f"_PI_CMD_{command.name}") == command.value, command.name
    for code, name in pp.ERROR_NAMES.items():
        assert getattr(pigpio, name) == code, name
    assert (pp.NTFY_FLAGS_EVENT, pp.NTFY_FLAGS_ALIVE, pp.NTFY_FLAGS_WDOG, pp.NTFY_FLAGS_GPIO) == (
        pigpio.NTFY_FLAGS_EVENT, pigpio.NTFY_FLAGS_ALIVE, pigpio.NTFY_FLAGS_WDOG,
        pigpio.NTFY_FLAGS_GPIO,
    )
    modes = (pp.INPUT, pp.OUTPUT, pp.ALT0, pp.ALT1, pp.ALT2, pp.ALT3, pp.ALT4, pp.ALT5)
    assert modes == (pigpio.INPUT, pigpio.OUTPUT, pigpio.ALT0, pigpio.ALT1, pigpio.ALT2,
                     pigpio.ALT3, pigpio.ALT4, pigpio.ALT5)
    assert (pp.PUD_OFF, pp.PUD_DOWN, pp.PUD_UP) == (pigpio.PUD_OFF, pigpio.PUD_DOWN, pigpio.PUD_UP)
    assert pigpio.VERSION == "1.78"


def test_pi_connects_and_reads_the_board(daemon: FakePigpiod, pi: pigpio.pi) -> None:
    assert pi.get_hardware_revision() == 0xC03111
    assert pi.get_pigpio_version() == 79
    assert pi.read_bank_1() == 0x1FF, "GPIO 0-8 pulled up at reset, the rest down"
    before = daemon.pins.tick()
    assert before <= pi.get_current_tick() <= daemon.pins.tick()
    assert daemon.clients() == 2, "a pigpio.pi holds a command and a notification socket"


def test_unknown_command_gets_pigpios_unknown_command_error(
    daemon: FakePigpiod, pi: pigpio.pi, raw: socket.socket
) -> None:
    assert request(raw, 200, 1, 2) == UNKNOWN
    with pytest.raises(pigpio.error, match="unknown command"):
        pi.i2c_open(1, 0x40)
    assert request(raw, pp.Command.READ, 5) in (0, 1), "the socket still serves after refusals"
    assert daemon.log.refused() == {"CMD200": 1, "I2CO": 1}


def test_extension_of_64_kib_closes_the_socket_as_pigpiod_does(raw: socket.socket) -> None:
    raw.sendall(struct.pack("<IIII", pp.Command.WRITE, 5, 1, pp.MAX_EXTENSION))
    assert raw.recv(16) == b""


@pytest.mark.parametrize(
    ("cmd", "p1", "p2", "code"),
    [
        (pp.Command.MODES, 60, 0, pp.PI_BAD_GPIO),
        (pp.Command.MODES, 5, 8, pp.PI_BAD_MODE),
        (pp.Command.WRITE, 0, 1, pp.PI_NOT_PERMITTED),  # GPIO 0-1 are the HAT EEPROM's
        (pp.Command.WRITE, 5, 2, pp.PI_BAD_LEVEL),
        (pp.Command.PUD, 5, 3, pp.PI_BAD_PUD),
        (pp.Command.PWM, 12, 256, pp.PI_BAD_DUTYCYCLE),  # the default range is 255
        (pp.Command.PRS, 12, 24, pp.PI_BAD_DUTYRANGE),
        (pp.Command.GDC, 40, 0, pp.PI_BAD_USER_GPIO),
        (pp.Command.GDC, 5, 0, pp.PI_NOT_PWM_GPIO),
        (pp.Command.GPW, 5, 0, pp.PI_NOT_SERVO_GPIO),
        (pp.Command.SERVO, 5, 400, pp.PI_BAD_PULSEWIDTH),
        (pp.Command.WDOG, 5, 60_001, pp.PI_BAD_WDOG_TIMEOUT),
        (pp.Command.FG, 5, 300_001, pp.PI_BAD_FILTER),
        (pp.Command.NB, 40, 1, pp.PI_BAD_HANDLE),
        (pp.Command.NC, 3, 0, pp.PI_BAD_HANDLE),
        (pp.Command.HP, 5, 1000, pp.PI_NOT_HPWM_GPIO),
    ],
    ids=lambda v: v.name if isinstance(v, pp.Command) else str(v),
)
def test_bad_values_get_pigpios_error_codes(
    raw: socket.socket, cmd: pp.Command, p1: int, p2: int, code: int
) -> None:
    assert request(raw, cmd, p1, p2) == code


@pytest.mark.parametrize(
    ("asked", "got"), [(1000, 1000), (1100, 1000), (900, 1000), (700, 800), (100, 100),
                       (100_000, 8000), (1, 10)],
)
def test_pwm_frequency_is_the_nearest_of_pigpios_5us_table(
    pi: pigpio.pi, asked: int, got: int
) -> None:
    assert PWM_FREQUENCIES == (8000, 4000, 2000, 1600, 1000, 800, 500, 400, 320, 250, 200, 160,
                               100, 80, 50, 40, 20, 10)
    assert pi.set_PWM_frequency(12, asked) == got
    assert pi.get_PWM_frequency(12) == got


def test_range_returns_the_real_range_and_rescales_a_running_duty(
    daemon: FakePigpiod, pi: pigpio.pi
) -> None:
    pi.set_PWM_frequency(12, 1000)
    pi.set_PWM_dutycycle(12, 128)
    assert pi.set_PWM_range(12, 10_000) == 200, "1000 Hz at 5 us sampling has 200 real steps"
    assert pi.get_PWM_dutycycle(12) == 10_000 * 128 // 255
    assert daemon.duty(12) == pytest.approx(0.5019)
    pi.write(12, 1)
    assert daemon.duty(12) == 1.0
    with pytest.raises(pigpio.error, match="not in use for PWM"):
        pi.get_PWM_dutycycle(12)


def test_hardware_pwm_and_servo_pulses(daemon: FakePigpiod, pi: pigpio.pi) -> None:
    pi.hardware_PWM(18, 25_000, 250_000)
    assert (pi.get_PWM_frequency(18), pi.get_PWM_dutycycle(18)) == (25_000, 250_000)
    assert daemon.duty(18) == 0.25 and pi.get_mode(18) == pigpio.ALT5
    pi.set_servo_pulsewidth(17, 1500)
    assert pi.get_servo_pulsewidth(17) == 1500 and daemon.duty(17) == 1500 / 20_000


def test_gpiozero_motors_and_a_button_send_only_answered_commands(daemon: FakePigpiod) -> None:
    factory = PiGPIOFactory(host=daemon.host, port=daemon.port)
    bridges = [DRV8833(daemon.pins, 5, 6), L298N(daemon.pins, 20, 21, 13),
               PhaseEnableBridge(daemon.pins, 23, 18)]
    motors = [
        GpioMotor("a", pin_factory=factory, in1=5, in2=6),
        GpioMotor("b", pin_factory=factory, in1=20, in2=21, pwm=13),
        GpioMotor("c", pin_factory=factory, direction=23, pwm=18),
    ]
    pressed = threading.Event()
    button = Button(26, pull_up=False, bounce_time=0.01, pin_factory=factory)
    button.when_pressed = pressed.set
    for motor in motors:
        motor.set_power(-0.5)
    assert [bridge.duty for bridge in bridges] == [-0.5, -0.5, -0.5]
    daemon.drive(26, 1)  # a button to 3.3 V on a pulled-down input, pressed
    assert pressed.wait(5)
    assert daemon.pins.glitch_filter(26) == 10_000
    for motor in motors:
        motor.close()
    button.close()
    factory.close()
    assert daemon.wait_for_clients(0)
    assert [bridge.duty for bridge in bridges] == [0.0, 0.0, 0.0]
    assert daemon.log.errors() == {}, "every command gpiozero sent was answered without error"
    assert {"BR1", "NOIB", "HWVER", "MODES", "MODEG", "PUD", "FG", "READ", "WRITE", "PFS", "PRS",
            "PWM", "PRG", "GDC", "NB", "NC"} <= set(daemon.log.seen())


def test_callback_receives_every_edge_of_a_2khz_square_wave_for_5_s(
    daemon: FakePigpiod, pi: pigpio.pi
) -> None:
    edges: list[tuple[int, int]] = []
    callback = pi.callback(17, pigpio.EITHER_EDGE, lambda _g, level, tick: edges.append(
        (level, tick)))
    began = time.monotonic()
    wave = daemon.square_wave(17, 2000, 5.0)
    assert wave.join(30)
    deadline = time.monotonic() + 20
    while len(edges) < wave.edges and time.monotonic() < deadline:
        time.sleep(0.01)
    elapsed = time.monotonic() - began
    callback.cancel()
    assert wave.edges == 20_000
    assert len(edges) == 20_000, f"{20_000 - len(edges)} edges lost"
    assert [level for level, _ in edges] == [1, 0] * 10_000
    steps = {(b - a) & 0xFFFFFFFF for (_, a), (_, b) in itertools.pairwise(edges)}
    assert steps == {250}, "each edge carries its own tick, 250 us apart"
    assert elapsed >= 5.0
    assert daemon.notifier.dropped_reports() == 0


def test_level_written_by_one_client_reaches_anothers_callback(
    daemon: FakePigpiod, pi: pigpio.pi
) -> None:
    seen: list[tuple[int, int]] = []
    got = threading.Event()

    def rising(_gpio: int, level: int, tick: int) -> None:
        seen.append((level, tick))
        got.set()

    pi.callback(16, pigpio.RISING_EDGE, rising)
    writer = pigpio.pi(daemon.host, daemon.port)
    writer.write(16, 1)
    written = daemon.history(16)[-1].time
    writer.stop()
    assert got.wait(5)
    assert seen == [(1, daemon.pins.tick(written))]


def test_watchdog_reports_a_timeout_without_edges(pi: pigpio.pi) -> None:
    levels: list[int] = []
    pi.callback(17, pigpio.EITHER_EDGE, lambda _g, level, _t: levels.append(level))
    pi.set_watchdog(17, 20)
    deadline = time.monotonic() + 5
    while len(levels) < 3 and time.monotonic() < deadline:
        time.sleep(0.005)
    pi.set_watchdog(17, 0)
    assert levels[:3] == [pigpio.TIMEOUT] * 3


def test_history_and_ticks_follow_an_injected_clock() -> None:
    clock = FakeClock(start=100.0)
    with FakePigpiod(clock=clock, tick_at_start=0xFFFFFF00) as fake:
        client = pigpio.pi(fake.host, fake.port)
        clock.advance(0.5)
        client.set_PWM_dutycycle(12, 51)
        clock.advance(0.25)
        client.write(12, 0)
        assert client.get_current_tick() == (0xFFFFFF00 + 750_000) & 0xFFFFFFFF
        client.stop()
        assert fake.wait_for_clients(0)
    assert [(c.time, c.state) for c in fake.history(12)] == [
        (100.0, 0.0), (100.5, 51 / 255), (100.75, 0.0)
    ]


def test_inputs_follow_their_pull_until_driven_and_outputs_cannot_be_driven(
    daemon: FakePigpiod, pi: pigpio.pi
) -> None:
    assert daemon.level(17) == 0
    pi.set_pull_up_down(17, pigpio.PUD_UP)
    assert pi.read(17) == 1
    daemon.drive(17, 0)
    assert pi.read(17) == 0
    daemon.drive(17, None)
    assert pi.read(17) == 1, "released, the pull-up decides again"
    pi.write(5, 1)
    with pytest.raises(ValueError, match="gpio 5 is an output: only inputs can be driven"):
        daemon.drive(5, 0)
    with pytest.raises(ValueError, match="gpio 5 is an output: a square wave drives inputs only"):
        daemon.square_wave(5, 10, 1)
    with pytest.raises(ValueError, match="gpio 17 level=2: expected 0, 1 or None"):
        daemon.drive(17, 2)
    with pytest.raises(ValueError, match="pin 'GPIO60': expected a BCM GPIO number 0-53"):
        daemon.duty("GPIO60")
    assert daemon.level(5) == 1 and daemon.level(17) == 1
