"""The simulated rover the soak drives: six bases on four backends, so that several clients drive
at once and every kind of fault has a base to land on."""

from __future__ import annotations

from typing import Any

WINDOW = 0.5  # the daemon's heartbeat window (viam-sdk sessions use it)
TETHER_WINDOWS = (0.5, 1.0)  # tether.client sessions ask for one of these
GPIO_PINS = ((5, 6, 12), (20, 21, 13), (23, 24, 18), (16, 26, 19), (17, 27, 22), (4, 25, 10))
BASES = {"gpio1": "gpio", "gpio2": "gpio", "gpio3": "gpio", "hat": "hat", "saber": "sabertooth",
         "claw": "roboclaw"}
HAT_ADDRESS = 0x60  # the PCA9685 of the "hat" base, on I2C bus 1
SERIAL_PORTS = ("saber", "claw")  # the bases on a serial controller, each on its own port


def rover_data() -> dict[str, Any]:
    """Six bases on four backends: several clients drive at once, each fault has a target."""
    motors: list[dict[str, Any]] = [
        {"name": f"gpio{i // 2 + 1}_{'left' if i % 2 == 0 else 'right'}", "driver": "gpio",
         "in1": a, "in2": b, "pwm": p} for i, (a, b, p) in enumerate(GPIO_PINS)
    ]
    for side, number in (("left", 1), ("right", 2)):
        motors += [
            {"name": f"hat_{side}", "driver": "hat", "chip": "hat", "hat": "adafruit",
             "motor": f"M{number}"},
            {"name": f"saber_{side}", "driver": "sabertooth", "port": "saber", "address": 128,
             "channel": number},
            {"name": f"claw_{side}", "driver": "roboclaw", "port": "claw", "address": 0x80,
             "channel": number},
        ]
    return {
        "server": {"listen": "127.0.0.1:0", "heartbeat_window": WINDOW},
        "gpio": {"pin_factory": "lgpio"},
        "pca9685": [{"name": "hat", "bus": 1, "address": HAT_ADDRESS}],
        "serial": [{"name": "saber", "port": "/dev/ttyAMA0", "baudrate": 9600},
                   {"name": "claw", "port": "/dev/ttyACM0", "baudrate": 38400}],
        "motor": motors,
        "base": [{"name": b, "left": [f"{b}_left"], "right": [f"{b}_right"], "width_mm": 160,
                  "wheel_circumference_mm": 204} for b in BASES],
    }
