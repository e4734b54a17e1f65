"""Rover configs as TOML text, shared by the tests that write a config file for `tether serve`."""

from __future__ import annotations

#: Two GPIO motors (L298N-style in1/in2/pwm) and a differential base over them: the smallest
#: rover every daemon-in-a-process test drives.
GPIO_ROVER = """
[[motor]]
name = "left"
driver = "gpio"
in1 = 5
in2 = 6
pwm = 12

[[motor]]
name = "right"
driver = "gpio"
in1 = 20
in2 = 21
pwm = 13

[[base]]
name = "base"
left = ["left"]
right = ["right"]
width_mm = 160
wheel_circumference_mm = 204
"""
