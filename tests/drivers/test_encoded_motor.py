"""EncodedMotor on a simulated wheel: closed-loop speed, moves ended by the encoder, zero and
position, measured motion, and the stall and runaway checks that stop it."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tether.config import parse_config
from tether.control.stall import FaultStop
from tether.drivers.encoded_motor import EncodedMotor
from tether.errors import HardwareError, InvalidCommand
from tether.fakes.pigpiod.signals import EncoderSignal
from tether.protocols import roboclaw as proto
from tether.robot import Robot, build_robot

TICKS = 1440


def config(motor: dict[str, Any] | None = None, encoder: dict[str, Any] | None = None
           ) -> dict[str, Any]:
    """One GPIO motor (150 rpm at full power) with a quadrature encoder, on no base."""
    return {
        "motor": [{"name": "m", "driver": "gpio", "in1": 5, "in2": 6, "pwm": 12, "max_rpm": 150,
                   "encoder": "e", **(motor or {})}],
        "encoder": [{"name": "e", "driver": "quadrature", "a": 17, "b": 27,
                     "ticks_per_revolution": TICKS, **(encoder or {})}],
    }


@pytest.fixture
def make() -> Iterator[Callable[..., Robot]]:
    built: list[Robot] = []

    def build(motor: dict[str, Any] | None = None, encoder: dict[str, Any] | None = None,
              data: dict[str, Any] | None = None) -> Robot:
        robot = build_robot(parse_config(data or config(motor, encoder), "motor.toml"), sim=True)
        built.append(robot)
        return robot

    yield build
    for robot in built:
        robot.close()


def encoded(robot: Robot, name: str = "m") -> EncodedMotor:
    motor = robot.motors[name]
    assert isinstance(motor, EncodedMotor)
    return motor


def wait_for(condition: Callable[[], bool], timeout: float = 5.0) -> float | None:
    until = time.monotonic() + timeout
    while time.monotonic() < until:
        if condition():
            return time.monotonic()
        time.sleep(0.002)
    return None


def test_set_rpm_holds_its_speed_on_a_wheel_loaded_30_percent(make: Callable[..., Robot]) -> None:
    robot = make()
    motor, wheel = encoded(robot), robot.wheels["m"]
    wheel.load = 0.3
    motor.set_rpm(100)
    time.sleep(1.5)
    assert wheel.speed() * 60 == pytest.approx(100, rel=0.02), "the loop made up the load"
    assert motor.rpm() == pytest.approx(100, rel=0.03)
    assert motor.is_powered()[1] == pytest.approx(100 / 150 / 0.7, rel=0.05)
    motor.set_power(100 / 150)  # the same command open loop
    time.sleep(1.0)
    assert wheel.speed() * 60 == pytest.approx(70, rel=0.02), "open loop loses the load's 30 %"


def test_go_for_ends_on_the_encoder_where_a_timer_falls_short(make: Callable[..., Robot]) -> None:
    robot = make()
    motor, wheel = encoded(robot), robot.wheels["m"]
    wheel.load = 0.4
    start = wheel.travel()
    assert motor.go_for(120, 3.0) is True
    time.sleep(0.3)
    assert wheel.travel() - start == pytest.approx(3.0, abs=0.02), "3 turns, load or not"
    start = wheel.travel()
    assert motor.go_for(-120, -1.5) is True, "two negatives: forward"
    time.sleep(0.3)
    assert wheel.travel() - start == pytest.approx(1.5, abs=0.02)


def test_go_to_and_reset_zero_position_use_viams_meaning(make: Callable[..., Robot]) -> None:
    robot = make()
    motor, wheel = encoded(robot), robot.wheels["m"]
    motor.reset_zero_position(0.5)
    assert motor.position() == pytest.approx(-0.5)
    assert motor.go_to(-100, 2.0) is True, "go_to takes |rpm|"
    time.sleep(0.3)
    assert motor.position() == pytest.approx(2.0, abs=0.02)
    assert wheel.travel() == pytest.approx(2.5, abs=0.02)
    assert motor.go_to(100, -1.0) is True
    time.sleep(0.3)
    assert motor.position() == pytest.approx(-1.0, abs=0.02)
    assert motor.properties().position_reporting


def test_is_moving_reads_the_shaft_so_a_coasting_wheel_still_moves(
    make: Callable[..., Robot]
) -> None:
    robot = make()
    motor = encoded(robot)
    motor.set_rpm(140)
    time.sleep(0.5)
    motor.stop()
    assert motor.is_powered() == (False, 0.0)
    assert motor.is_moving(), "unpowered, but the wheel is still turning"
    assert wait_for(lambda: not motor.is_moving(), 2.0) is not None


def test_a_blocked_wheel_is_stopped_within_the_stall_time_and_reported(
    make: Callable[..., Robot]
) -> None:
    robot = make({"stall": {"stall_seconds": 0.5}})
    motor, wheel, output = encoded(robot), robot.wheels["m"], robot.outputs["m"]
    stops: list[FaultStop] = []
    robot.faults.add(stops.append)
    motor.set_rpm(80)
    time.sleep(0.5)
    wheel.blocked = True
    blocked = time.monotonic()
    stopped = wait_for(lambda: output.duty == 0.0, 5.0)
    assert stopped is not None and stopped - blocked < 0.5 + 0.2
    wait_for(lambda: bool(stops), 1.0)  # the event follows the stop (published after it)
    assert [(s.motor, s.reason, s.error) for s in stops] == [("m", "stall", None)]
    assert 0.5 <= stops[0].delay < 0.6
    assert motor.fault is not None and motor.fault.reason == "stall"
    motor.set_rpm(80)  # a new command drives again (the wheel is still blocked: it will stall)
    assert output.duty != 0.0 and motor.fault is None


def test_an_encoder_that_stops_counting_is_a_stall(make: Callable[..., Robot]) -> None:
    robot = make({"stall": {"stall_seconds": 0.4}})
    motor, output = encoded(robot), robot.outputs["m"]
    motor.set_power(0.6)
    time.sleep(0.3)
    signal: EncoderSignal = robot.devices["encoder-e"].signal
    signal.stop()  # the encoder's cable comes off; the wheel keeps turning
    assert wait_for(lambda: output.duty == 0.0, 5.0) is not None
    assert motor.fault is not None and motor.fault.reason == "stall"
    assert robot.wheels["m"].speed() > 0, "it was turning: a dead encoder cannot be told apart"


def test_an_encoder_wired_backwards_is_a_runaway(make: Callable[..., Robot]) -> None:
    robot = make({"stall": {"runaway_seconds": 0.3}})
    motor, output, wheel = encoded(robot), robot.outputs["m"], robot.wheels["m"]
    robot.devices["encoder-e"].signal.stop()
    backwards = EncoderSignal(robot.devices["pins"], 27, 17)  # A and B swapped at the header
    backwards.follow(lambda when: wheel.travel_at(when) * TICKS)
    try:
        motor.set_rpm(60)
        assert wait_for(lambda: output.duty == 0.0, 5.0) is not None
    finally:
        backwards.stop()
    assert motor.fault is not None and motor.fault.reason == "runaway"
    assert "against" in motor.fault.detail


def test_a_move_its_stall_check_ends_raises_naming_the_stall(make: Callable[..., Robot]) -> None:
    robot = make({"stall": {"stall_seconds": 0.3}})
    robot.wheels["m"].blocked = True
    with pytest.raises(HardwareError, match="motor 'm' stopped by its stall check"):
        encoded(robot).go_for(100, 5.0)
    assert robot.outputs["m"].duty == 0.0


@pytest.mark.parametrize(
    ("command", "message"),
    [
        (lambda m: m.set_rpm(math.nan), "set_rpm rpm=nan"),
        (lambda m: m.set_rpm(math.inf), "set_rpm rpm=inf"),
        (lambda m: m.set_rpm(151), r"set_rpm rpm=151: expected a number in \[-150, 150\]"),
        (lambda m: m.go_for(math.nan, 1), "go_for rpm=nan"),
        (lambda m: m.go_for(100, -math.inf), "go_for revolutions=-inf"),
        (lambda m: m.go_to(100, math.nan), "go_to position=nan"),
        (lambda m: m.go_to(math.inf, 1), "go_to rpm=inf"),
        (lambda m: m.reset_zero_position(math.nan), "reset_zero_position offset=nan"),
    ],
)
def test_nan_and_infinite_rpm_or_position_are_refused_and_nothing_moves(
    make: Callable[..., Robot], command: Callable[[EncodedMotor], object], message: str
) -> None:
    robot = make()
    with pytest.raises(InvalidCommand, match=message):
        command(encoded(robot))
    time.sleep(0.05)
    assert [s.duty for s in robot.outputs["m"].history] == [0.0]
    assert encoded(robot).position() == 0.0


def test_a_roboclaw_holds_the_speed_with_its_own_velocity_pid(make: Callable[..., Robot]) -> None:
    data = {
        "serial": [{"name": "claw", "port": "/dev/ttyACM0", "baudrate": 38400}],
        "motor": [{"name": "m", "driver": "roboclaw", "port": "claw", "channel": 1,
                   "max_rpm": 120, "encoder": "e", "qpps": 2880, "acceleration": 20000}],
        "encoder": [{"name": "e", "driver": "roboclaw", "port": "claw", "channel": 1,
                     "ticks_per_revolution": 1440}],
    }
    robot = make(data=data)
    motor, controller = encoded(robot), robot.devices["serial-claw"]
    assert controller.velocity_pid[1].qpps == 2880, "QPPS from the config, set at start-up"
    robot.wheels["m"].load = 0.3
    motor.set_rpm(60)
    time.sleep(1.5)
    assert controller.loops[1].active and controller.loops[1].target == 1440
    assert proto.SPEED_ACCEL[1] in controller.received, "38: speed with acceleration"
    assert robot.wheels["m"].speed() * 60 == pytest.approx(60, rel=0.03)
    assert motor.rpm() == pytest.approx(60, rel=0.03), "read back with command 18"
    start = motor.position()
    assert motor.go_for(60, 1.0) is True
    time.sleep(0.3)
    assert motor.position() - start == pytest.approx(1.0, abs=0.02), "counted with command 16"


def test_a_hat_motor_holds_its_speed_and_ends_go_for_on_the_encoder(
    make: Callable[..., Robot],
) -> None:
    """tether's own PID on a PCA9685 HAT's channel, as on GPIO pins."""
    data = {
        "pca9685": [{"name": "hat", "bus": 1, "address": 0x60}],
        "motor": [{"name": "m", "driver": "hat", "chip": "hat", "hat": "adafruit", "motor": "M1",
                   "max_rpm": 150, "encoder": "e"}],
        "encoder": [{"name": "e", "driver": "quadrature", "a": 17, "b": 27,
                     "ticks_per_revolution": TICKS}],
    }
    robot = make(data=data)
    motor, wheel = encoded(robot), robot.wheels["m"]
    wheel.load = 0.3
    motor.set_rpm(100)
    time.sleep(1.5)
    assert wheel.speed() * 60 == pytest.approx(100, rel=0.02), "the loop made up the load"
    assert motor.is_powered()[1] == pytest.approx(100 / 150 / 0.7, rel=0.05)
    start = wheel.travel()
    assert motor.go_for(60, 1.0) is True
    time.sleep(0.3)
    assert wheel.travel() - start == pytest.approx(1.0, abs=0.02)
