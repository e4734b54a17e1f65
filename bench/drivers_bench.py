"""Driver overheads against bare gpiozero, measured in the same run (issue 4's targets).

Run: python bench/drivers_bench.py [--quick]
"""

from __future__ import annotations

import argparse
import time

from figures import per_call, percentile
from gpiozero import Motor as ZeroMotor
from gpiozero import Robot
from gpiozero.pins.mock import MockFactory, MockPWMPin

from tether.drivers import DifferentialBase
from tether.drivers.gpio import GpioMotor

LEFT, RIGHT = (5, 6), (20, 21)
REAR_LEFT, REAR_RIGHT = (23, 24), (16, 26)


def factory() -> MockFactory:
    return MockFactory(revision="d04170", pin_class=MockPWMPin)




def set_power_cost(loops: int) -> tuple[float, float]:
    """Base.set_power vs Robot.value on the same kind of mock pins (IN1/IN2 PWM motors)."""
    robot = Robot(left=LEFT, right=RIGHT, pin_factory=factory())
    values = [(0.5, 0.5), (0.4, 0.4)]
    flip = [0]

    def bare() -> None:
        flip[0] ^= 1
        robot.value = values[flip[0]]

    pins = factory()
    base = DifferentialBase(
        "base",
        [GpioMotor("left", pin_factory=pins, in1=LEFT[0], in2=LEFT[1])],
        [GpioMotor("right", pin_factory=pins, in1=RIGHT[0], in2=RIGHT[1])],
        width_mm=160,
        wheel_circumference_mm=204,
    )
    powers = [0.5, 0.4]

    def ours() -> None:
        flip[0] ^= 1
        base.set_power(powers[flip[0]], 0.0)

    result = per_call(bare, loops), per_call(ours, loops)
    robot.close()
    base.close()
    for motor in base.motors:
        motor.close()
    return result


def stop_latency(samples: int) -> tuple[list[float], list[float]]:
    """4-motor skid-steer Base.stop() vs stopping four bare gpiozero Motors, each from moving."""
    pins = factory()
    sides = {"l": (LEFT, REAR_LEFT), "r": (RIGHT, REAR_RIGHT)}
    motors = {
        side: [GpioMotor(f"{side}{i}", pin_factory=pins, in1=a, in2=b) for i, (a, b) in
               enumerate(wires)]
        for side, wires in sides.items()
    }
    base = DifferentialBase(
        "base", motors["l"], motors["r"], width_mm=160, wheel_circumference_mm=204
    )
    bare_pins = factory()
    bare = [ZeroMotor(a, b, pin_factory=bare_pins) for a, b in (*sides["l"], *sides["r"])]
    ours, theirs = [], []
    for _ in range(samples):
        base.set_power(0.5, 0.1)
        began = time.perf_counter()
        base.stop()
        ours.append(time.perf_counter() - began)
        for motor in bare:
            motor.value = 0.5
        began = time.perf_counter()
        for motor in bare:
            motor.stop()
        theirs.append(time.perf_counter() - began)
    base.close()
    for motor in (*motors["l"], *motors["r"], *bare):
        motor.close()
    return ours, theirs




def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    args = parser.parse_args()
    bare, ours = set_power_cost(2_000 if args.quick else 20_000)
    ratio = ours / bare
    print(f"1. Base.set_power on mock pins: {ours * 1e6:.2f} us; bare gpiozero Robot.value "
          f"{bare * 1e6:.2f} us; ratio {ratio:.2f}x   target <= 1.5x: "
          f"{'MET' if ratio <= 1.5 else 'MISSED'}")
    stops, bare_stops = stop_latency(500 if args.quick else 5_000)
    p50, p99 = percentile(stops, 0.5) * 1e6, percentile(stops, 0.99) * 1e6
    print(f"2. Base.stop(), 4-motor skid-steer, from moving: p50 {p50:.1f} us  p99 {p99:.1f} us"
          f"   target <= 100 us: {'MET' if p99 <= 100 else 'MISSED'} (p99)")
    bare50, bare99 = percentile(bare_stops, 0.5) * 1e6, percentile(bare_stops, 0.99) * 1e6
    print(f"   baseline: four bare gpiozero Motor.stop() p50 {bare50:.1f} us  p99 {bare99:.1f} us")


if __name__ == "__main__":
    main()
