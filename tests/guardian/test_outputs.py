"""The guardian's writes, each against tether's fake of the device: a pigpiod, a PCA9685 on an
I2C bus, a serial controller on a pty. Every output is attempted even when another fails."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pigpio
import pytest

from tether.fakes.pigpiod import FakePigpiod
from tether.fakes.pololu_smc import FakeSmc
from tether.fakes.roboclaw import FakeRoboClaw
from tether.fakes.sabertooth import FakeSabertooth
from tether.fakes.smbus import FakePCA9685, FakeSMBus
from tether.guardian.outputs import LgpioSafer, Pca9685Safer, PigpioSafer, SerialSafer
from tether.protocols import pca9685, pololu_smc, roboclaw, sabertooth
from tether.robot.safe import ChannelOff, PinLevel, StopFrame
from tether.robot.wiring import ChipConfig, PortConfig


@pytest.fixture
def pigpiod() -> Iterator[FakePigpiod]:
    with FakePigpiod() as daemon:
        yield daemon


def _later(seconds: float = 1.0) -> float:
    return time.monotonic() + seconds


def test_pigpio_pins_end_their_pwm_at_the_safe_level(pigpiod: FakePigpiod) -> None:
    driver = pigpio.pi(pigpiod.host, pigpiod.port)
    driver.set_PWM_dutycycle(12, 200)
    driver.write(5, 1)
    driver.write(17, 0)
    safer = PigpioSafer([PinLevel("left", 12, 0), PinLevel("left", 5, 0),
                         PinLevel("left", 17, 1)], pigpiod.host, pigpiod.port)
    safer.open()
    driver.stop()  # the daemon's connection ends; pigpiod keeps its PWM, as the real one does
    assert pigpiod.duty(12) == pytest.approx(200 / 255)
    actions = safer.make_safe(time.monotonic(), _later())
    safer.close()
    assert [a.ok for a in actions] == [True, True, True]
    assert (pigpiod.duty(12), pigpiod.level(12), pigpiod.level(5), pigpiod.level(17)) == \
        (0.0, 0, 0, 1)


def test_a_pigpiod_that_is_not_there_is_named_when_the_guardian_opens() -> None:
    with FakePigpiod() as gone:
        host, port = gone.host, gone.port
    safer = PigpioSafer([PinLevel("left", 12, 0)], host, port)
    with pytest.raises(ConnectionError, match=f"pigpiod at {host}:{port}"):
        safer.open()


def test_a_pigpiod_gone_after_opening_fails_every_pin_and_says_so(
        pigpiod: FakePigpiod) -> None:
    safer = PigpioSafer([PinLevel("left", 12, 0), PinLevel("right", 13, 0)], pigpiod.host,
                        pigpiod.port, timeout=0.2)
    safer.open()
    pigpiod.stop()
    started = time.monotonic()
    actions = safer.make_safe(started, started + 1.0)
    assert [(a.output, a.ok) for a in actions] == [("GPIO12", False), ("GPIO13", False)]
    assert all(a.error for a in actions)
    assert time.monotonic() - started < 1.5  # bounded by the deadline, not by pigpio's wait


def test_a_pca9685_that_does_not_answer_is_named_when_the_guardian_opens() -> None:
    bus = FakeSMBus(1)  # nothing at 0x60
    safer = Pca9685Safer(ChipConfig("hat", 1, 0x60), [ChannelOff("m1", "hat", 8)],
                         lambda _bus: bus)
    with pytest.raises(OSError, match="0x60"):
        safer.open()


def test_pca9685_all_off_and_each_channel_full_off() -> None:
    bus, chip = FakeSMBus(1), FakePCA9685()
    bus.attach(0x60, chip)
    chip.write(pca9685.MODE1, bytes([pca9685.AUTO_INCREMENT]))
    for channel in (8, 9, 10):
        chip.write(pca9685.channel_register(channel), pca9685.encode_duty(0.6))
    safer = Pca9685Safer(ChipConfig("hat", 1, 0x60), [ChannelOff("m1", "hat", c)
                                                       for c in (8, 9, 10)], lambda _bus: bus)
    safer.open()
    actions = safer.make_safe(time.monotonic(), _later())
    assert [a.ok for a in actions] == [True] * 4
    assert [chip.duty(c) for c in (8, 9, 10)] == [0.0, 0.0, 0.0]
    # Clearing the all-off bit later (a new daemon's first write) restarts nothing:
    chip.write(pca9685.ALL_LED_OFF_H, bytes([0]))
    assert [chip.duty(c) for c in (8, 9, 10)] == [0.0, 0.0, 0.0]


def test_a_nacked_all_off_still_turns_each_channel_off() -> None:
    bus, chip = FakeSMBus(1), FakePCA9685()
    bus.attach(0x60, chip)
    chip.write(pca9685.MODE1, bytes([pca9685.AUTO_INCREMENT]))
    chip.write(pca9685.channel_register(8), pca9685.encode_duty(0.6))
    safer = Pca9685Safer(ChipConfig("hat", 1, 0x60), [ChannelOff("m1", "hat", 8)],
                         lambda _bus: bus)
    safer.open()
    bus.nack_next(0x60, 1)
    first, second = safer.make_safe(time.monotonic(), _later())
    assert (first.ok, second.ok) == (False, True)
    assert "OSError" in first.error
    assert chip.duty(8) == 0.0


@pytest.mark.parametrize(("device", "frame"), [
    (FakeSabertooth(128), sabertooth.drive(128, 1, 0.0)),
    (FakeRoboClaw(0x80), roboclaw.duty(0x80, 1, 0.0)),
])
def test_a_serial_controller_gets_its_stop_at_once(device: FakeSabertooth | FakeRoboClaw,
                                                   frame: bytes) -> None:
    drive = sabertooth.drive(128, 1, 0.5) if isinstance(device, FakeSabertooth) else \
        roboclaw.duty(0x80, 1, 0.5)
    with device:
        device.feed(drive)
        assert device.channels[1].duty == pytest.approx(0.5, abs=0.01)
        port = PortConfig("p", device.path, 9600)
        safer = SerialSafer(port, [StopFrame("m", "p", frame)], device.path)
        safer.open()
        [action, drained] = safer.make_safe(time.monotonic(), _later())
        assert drained.ok, drained.error
        assert action.ok, action.error
        deadline = _later(2.0)
        while device.channels[1].duty != 0.0 and time.monotonic() < deadline:
            time.sleep(0.005)
        assert device.channels[1].duty == 0.0


def test_an_smc_is_stopped_with_safe_start_rearmed() -> None:
    with FakeSmc() as smc:
        smc.feed(pololu_smc.exit_safe_start() + pololu_smc.drive(0.5))
        assert smc.channel.duty == pytest.approx(0.5, abs=0.01)
        safer = SerialSafer(PortConfig("p", smc.path), [StopFrame("m", "p",
                                                                  pololu_smc.stop_motor())],
                            smc.path)
        [action, drained] = safer.make_safe(time.monotonic(), _later())
        assert drained.ok, drained.error
        assert action.ok, action.error
        deadline = _later(2.0)
        while smc.channel.duty != 0.0 and time.monotonic() < deadline:
            time.sleep(0.005)
        assert smc.channel.duty == 0.0
        smc.feed(pololu_smc.drive(0.5))  # a stray frame after the stop moves nothing
        assert smc.channel.duty == 0.0


def test_a_missing_serial_port_fails_its_frames_and_names_the_port() -> None:
    port = PortConfig("p", "/nonexistent/tty")
    safer = SerialSafer(port, [StopFrame("a", "p", b"\x00"), StopFrame("b", "p", b"\x01")],
                        port.port)
    *frames, drained = safer.make_safe(time.monotonic(), _later())
    assert [a.ok for a in frames] == [False, False] and not drained.ok
    assert all("could not open port /nonexistent/tty" in a.error for a in frames)


def test_the_daemon_opens_the_port_exclusively_while_the_guardian_holds_it_too() -> None:
    import serial

    with FakeSabertooth(128) as device:
        safer = SerialSafer(PortConfig("p", device.path), [StopFrame("m", "p",
                                                                    sabertooth.drive(128, 1, 0))],
                            device.path)
        safer.open()
        daemon = serial.Serial(device.path, 9600, exclusive=True)  # tether's SerialLink does
        daemon.write(sabertooth.drive(128, 1, 0.5))
        daemon.flush()
        _until(lambda: device.channels[1].duty != 0.0)
        assert device.channels[1].duty == pytest.approx(0.5, abs=0.01)
        [action, drained] = safer.make_safe(time.monotonic(), _later())
        assert drained.ok, drained.error
        assert action.ok, action.error
        _until(lambda: device.channels[1].duty == 0.0)
        assert device.channels[1].duty == 0.0
        daemon.close()
        safer.close()


def test_a_stale_handle_after_a_replug_is_reopened_for_the_stop() -> None:
    with FakeSabertooth(128) as device:
        safer = SerialSafer(PortConfig("p", device.path), [StopFrame("m", "p",
                                                                    sabertooth.drive(128, 1, 0))],
                            device.path)
        safer.open()
        device.replug()  # a new pty behind the same path: the guardian's handle is stale
        device.feed(sabertooth.drive(128, 1, 0.5))
        [action, drained] = safer.make_safe(time.monotonic(), _later())
        assert drained.ok, drained.error
        assert action.ok, action.error
        _until(lambda: device.channels[1].duty == 0.0)
        assert device.channels[1].duty == 0.0
        safer.close()


def _until(condition: Callable[[], bool], timeout: float = 2.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.005)


class _FakeLgpio:
    """lgpio's calls as the guardian makes them, on a chip labelled like a Pi's."""

    error = RuntimeError

    def __init__(self) -> None:
        self.claims: list[tuple[int, int, int]] = []
        self.opened: list[int] = []

    def gpiochip_open(self, number: int) -> int:
        if number > 4:
            raise self.error("no such chip")
        self.opened.append(number)
        return 100 + number

    def gpio_get_chip_info(self, handle: int) -> tuple[int, int, str, str]:
        label = "pinctrl-rp1" if handle == 104 else "rp1-something-else"
        return 0, 54, f"gpiochip{handle - 100}", label

    def gpiochip_close(self, handle: int) -> None:
        self.opened.remove(handle - 100)

    def gpio_claim_output(self, handle: int, pin: int, level: int) -> int:
        if pin == 6:
            raise self.error("GPIO busy")
        self.claims.append((handle, pin, level))
        return 0


def test_lgpio_claims_each_line_on_the_pinctrl_chip_and_tries_every_one() -> None:
    lgpio = _FakeLgpio()
    safer = LgpioSafer([PinLevel("m", 5, 0), PinLevel("m", 6, 0), PinLevel("m", 17, 1)], lgpio)
    safer.open()
    assert lgpio.opened == [4]  # chips 0-3 were opened, looked at and closed
    actions = safer.make_safe(time.monotonic(), _later())
    assert [a.ok for a in actions] == [True, False, True]
    assert lgpio.claims == [(104, 5, 0), (104, 17, 1)]
    safer.close()
    assert lgpio.opened == []


def test_the_first_part_stops_every_motor_and_comes_before_any_rest(pigpiod: FakePigpiod) -> None:
    """Serial frames, then each bridge's power pin, then each chip's all-off; only then the
    direction pins, each channel's full-off and the serial drain."""
    from tether.guardian.plan import GuardianSeams, safers
    from tether.guardian.watch import Guardian
    from tether.robot.config import GuardianConfig, parse_config

    bus, chip = FakeSMBus(1), FakePCA9685()
    bus.attach(0x60, chip)
    with FakeSabertooth(128) as saber:
        config = parse_config({
            "gpio": {"pin_factory": "pigpio"},
            "pca9685": [{"name": "hat", "bus": 1, "address": 0x60}],
            "serial": [{"name": "saber", "port": saber.path}],
            "motor": [
                {"name": "left", "driver": "gpio", "in1": 5, "in2": 6, "pwm": 12},
                {"name": "m1", "driver": "hat", "chip": "hat", "hat": "adafruit", "motor": "M1"},
                {"name": "s", "driver": "sabertooth", "port": "saber"},
            ]}, "rover.toml")
        seams = GuardianSeams("pigpio", (pigpiod.host, pigpiod.port), lambda _bus: bus,
                              lambda port: port.port)
        guardian = Guardian(["true"], safers(config, seams), GuardianConfig())
        guardian.open_outputs()
        now = time.monotonic()
        first = [a.output for a in guardian.make_safe(now, released=False, part="first")]
        rest = [a.output for a in guardian.make_safe(now, released=False, part="rest")]
        for safer in guardian.safers:
            safer.close()
    where = f"[[serial]] 'saber' ({saber.path})"
    assert first == [where, "GPIO12", "[[pca9685]] 'hat' all channels"]
    assert rest[:3] == [f"{where} drained", "GPIO5", "GPIO6"]
    assert sorted(rest[3:]) == ["[[pca9685]] 'hat' channel 10", "[[pca9685]] 'hat' channel 8",
                                "[[pca9685]] 'hat' channel 9"]
