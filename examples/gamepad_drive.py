"""Drive a rover with a gamepad: hold LB (the deadman) and steer with the left stick; RB = turbo.

The same Teleop loop drives a daemon's rover or one this script owns:
  through the daemon:       python examples/gamepad_drive.py --address 127.0.0.1:8080
  in-process, on a Pi:      python examples/gamepad_drive.py
  anywhere, no pad needed:  python examples/gamepad_drive.py --sim --replay \
                                examples/recordings/demo_drive.txt
Let go of LB, unplug the pad or let this script hang: the rover stops.
"""

from __future__ import annotations

import argparse

from tether.client import connect
from tether.input import EvdevGamepad, FakeGamepad, PadSource, load_recording
from tether.session import SessionManager
from tether.teleop import Drive, Teleop, TeleopSettings, client_drive, local_drive


def drive_with(pad: PadSource, drive: Drive, seconds: float | None) -> None:
    """The whole teleop: deadman, deadzone, expo, limits, turbo, 20 Hz stream."""
    settings = TeleopSettings(max_linear=0.5, max_angular=0.5, deadman="lb", turbo="rb")
    Teleop(pad, drive, settings).run(duration=seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--address", help="a tether daemon (HOST:PORT or unix:PATH)")
    parser.add_argument("--sim", action="store_true", help="in-process, on a simulated rover")
    parser.add_argument("--replay", help="a recorded drive instead of a real pad")
    args = parser.parse_args()
    pad: PadSource = FakeGamepad.replay(args.replay) if args.replay else EvdevGamepad()
    seconds = load_recording(args.replay).duration + 0.5 if args.replay else None

    if args.address:  # the daemon owns the hardware; this script is one of its clients
        with connect(args.address) as rover, client_drive(rover, "base", 0.5) as drive:
            drive_with(pad, drive, seconds)
        return

    if args.sim:
        from tether.fakes.sim import build_sim_rover

        sim = build_sim_rover()
        base = sim.base
    else:  # an L298N rover on the Pi's pins, as in examples/gpio_rover.py
        from tether.drivers import DifferentialBase
        from tether.drivers.gpio import GpioMotor
        from tether.drivers.pins import make_pin_factory
        from tether.drivers.shutdown import stop_on_exit

        pins = make_pin_factory("lgpio")
        left = GpioMotor("left", pin_factory=pins, in1=5, in2=6, pwm=12, max_rpm=150)
        right = GpioMotor("right", pin_factory=pins, in1=20, in2=21, pwm=13, max_rpm=150)
        base = DifferentialBase("base", [left], [right], width_mm=160, wheel_circumference_mm=204)
        stop_on_exit(base, left, right)
    with SessionManager() as sessions, local_drive(base, sessions, 0.5) as drive:
        drive_with(pad, drive, seconds)
    if args.sim:
        state = sim.rover.state()
        print(f"simulated rover ended at x {state.x_mm:.0f} mm, y {state.y_mm:.0f} mm "
              f"(odometer {state.odometer_mm:.0f} mm); moving: {base.is_moving()}")


if __name__ == "__main__":
    main()
