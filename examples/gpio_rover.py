"""Drive a two-motor L298N rover in-process: every move under a session, stopped on any exit.

On a Pi:        python examples/gpio_rover.py
Anywhere (CI):  python examples/gpio_rover.py --sim
"""

from __future__ import annotations

import argparse
import time

from tether.drivers import DifferentialBase
from tether.drivers.gpio import GpioMotor
from tether.drivers.pins import make_pin_factory
from tether.drivers.shutdown import stop_on_exit
from tether.fakes import FakeRover
from tether.fakes.hbridge import L298N
from tether.session import SessionManager, safety_monitor, to_context


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sim", action="store_true", help="fake pins and a simulated rover")
    args = parser.parse_args()
    pins = make_pin_factory("mock" if args.sim else "lgpio")
    rover = None
    if args.sim:  # the chips watch the fake pins and feed the kinematic rover
        rover = FakeRover([L298N(pins, 5, 6, 12)], [L298N(pins, 20, 21, 13)], width_mm=160,
                          max_speed_mm_s=510)
    # L298N: IN1, IN2, ENA (jumper removed) and IN3, IN4, ENB; 150 rpm at full power.
    left = GpioMotor("left", pin_factory=pins, in1=5, in2=6, pwm=12, max_rpm=150)
    right = GpioMotor("right", pin_factory=pins, in1=20, in2=21, pwm=13, max_rpm=150)
    base = DifferentialBase("base", [left], [right], width_mm=160, wheel_circumference_mm=204)
    stop_on_exit(base, left, right)  # SIGTERM, SIGHUP, Ctrl-C, exceptions: stopped, pins low

    # Each blocking move below takes 0.5 s or less; the window must outlast the longest one.
    with SessionManager() as sessions, sessions.session(heartbeat_window=1.0) as session:
        with to_context(session):
            safety_monitor(base)  # if this script hangs for 1 s, the base stops
            for _ in range(4):
                base.move_straight(100, 200)
                session.heartbeat()
                base.spin(90, 300)
                session.heartbeat()
        if rover is not None:
            time.sleep(0.2)
            state = rover.state()
            print(f"square driven: odometer {state.odometer_mm:.0f} mm, back near the start at "
                  f"({state.x_mm:.0f}, {state.y_mm:.0f}) mm")
    print(f"done; base moving: {base.is_moving()}")


if __name__ == "__main__":
    main()
