"""Draw the site's wiring diagrams (docs/hardware/img/*.svg) from the example configs.

    python scripts/wiring_diagrams.py          # rewrite the SVGs
    python scripts/wiring_diagrams.py --check  # exit 1 if a committed SVG is out of date

Header pins come from the BCM numbers in examples/*.toml through one table of the 40-pin
header, so a diagram cannot show a pin the config does not use.
"""

from __future__ import annotations

import argparse
import sys
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from html import escape
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "hardware" / "img"

#: Physical header pin -> what it is (Raspberry Pi 40-pin header, every model since the B+).
HEADER = {
    1: "3V3", 2: "5V", 3: "GPIO2", 4: "5V", 5: "GPIO3", 6: "GND", 7: "GPIO4", 8: "GPIO14",
    9: "GND", 10: "GPIO15", 11: "GPIO17", 12: "GPIO18", 13: "GPIO27", 14: "GND", 15: "GPIO22",
    16: "GPIO23", 17: "3V3", 18: "GPIO24", 19: "GPIO10", 20: "GND", 21: "GPIO9", 22: "GPIO25",
    23: "GPIO11", 24: "GPIO8", 25: "GND", 26: "GPIO7", 27: "GPIO0", 28: "GPIO1", 29: "GPIO5",
    30: "GND", 31: "GPIO6", 32: "GPIO12", 33: "GPIO13", 34: "GND", 35: "GPIO19", 36: "GPIO16",
    37: "GPIO26", 38: "GPIO20", 39: "GND", 40: "GPIO21",
}
SIGNAL, PWM, GROUND, POWER, SERIAL, I2C = "#1f6fb2", "#d9822b", "#222222", "#c62828", "#7b3fa0", \
    "#2e7d32"


def physical_pin(bcm: int) -> int:
    """The header pin that carries BCM GPIO `bcm`."""
    return next(pin for pin, name in HEADER.items() if name == f"GPIO{bcm}")


def pin_label(bcm: int) -> str:
    """'GPIO5 · pin 29': the name on the config and the pin on the header."""
    return f"GPIO{bcm} · pin {physical_pin(bcm)}"


@dataclass
class Svg:
    """An SVG drawing built from a few parts: boxes, terminals, wires, motors, a battery."""

    width: int
    height: int
    title: str
    parts: list[str] = field(default_factory=list)

    def add(self, element: str) -> None:
        self.parts.append(element)

    def text(self, x: float, y: float, text: str, *, size: int = 13, anchor: str = "start",
             weight: str = "normal", color: str = "#222", italic: bool = False) -> None:
        style = ' font-style="italic"' if italic else ""
        self.add(f'<text x="{x:g}" y="{y:g}" font-size="{size}" text-anchor="{anchor}" '
                 f'font-weight="{weight}" fill="{color}"{style}>{escape(text)}</text>')

    def box(self, at: tuple[float, float, float, float], title: str, subtitle: str = "", *,
            fill: str = "#eef3f8") -> None:
        """A rounded box (x, y, width, height) with a title and a subtitle."""
        x, y, w, h = at
        self.add(f'<rect x="{x:g}" y="{y:g}" width="{w:g}" height="{h:g}" rx="8" fill="{fill}" '
                 'stroke="#445" stroke-width="1.5"/>')
        self.text(x + w / 2, y + 22, title, size=15, anchor="middle", weight="bold")
        if subtitle:
            self.text(x + w / 2, y + 40, subtitle, size=12, anchor="middle", color="#555")

    def terminal(self, x: float, y: float, label: str, side: str) -> None:
        """A terminal on a box's left or right edge, its label inside the box."""
        self.add(f'<rect x="{x - 4:g}" y="{y - 4:g}" width="8" height="8" fill="#fff" '
                 'stroke="#445"/>')
        if side == "right":
            self.text(x - 10, y + 4, label, anchor="end")
        else:
            self.text(x + 10, y + 4, label)

    def wire(self, points: list[tuple[float, float]], color: str, *, dashed: bool = False,
             label: str = "", label_at: tuple[float, float] | None = None) -> None:
        path = " ".join(f"{x:g},{y:g}" for x, y in points)
        dash = ' stroke-dasharray="6 4"' if dashed else ""
        self.add(f'<polyline points="{path}" fill="none" stroke="{color}" stroke-width="2.5" '
                 f'stroke-linejoin="round"{dash}/>')
        if label and label_at:
            self.text(label_at[0], label_at[1], label, size=11, color=color)

    def dot(self, x: float, y: float, color: str) -> None:
        self.add(f'<circle cx="{x:g}" cy="{y:g}" r="3.5" fill="{color}"/>')

    def ground(self, x: float, y: float) -> None:
        """The ground symbol, its top at (x, y)."""
        self.add(f'<path d="M{x - 7:g},{y:g} h14 M{x - 4.5:g},{y + 3:g} h9 M{x - 2:g},{y + 6:g} '
                 'h4" stroke="#222" stroke-width="1.5"/>')

    def pulldown(self, x: float, y: float) -> None:
        """A 10 kΩ resistor from the wire at (x, y) down to ground."""
        self.dot(x, y, "#222")
        zig = " ".join(f"l{4 if i % 2 else -4},2.5" for i in range(6))
        self.add(f'<path d="M{x:g},{y:g} v4 l2,1.25 {zig} l2,1.25 v4" fill="none" '
                 'stroke="#222" stroke-width="1.3"/>')
        self.ground(x, y + 25)

    def motor(self, cx: float, cy: float, label: str) -> None:
        self.add(f'<circle cx="{cx:g}" cy="{cy:g}" r="30" fill="#fff8e1" stroke="#445" '
                 'stroke-width="1.5"/>')
        self.text(cx, cy + 6, "M", size=20, anchor="middle", weight="bold")
        self.text(cx, cy + 48, label, anchor="middle")

    def battery(self, x: float, y: float, label: str) -> None:
        """A battery whose + terminal is at (x, y) and its minus terminal at (x, y + 40)."""
        self.add(f'<rect x="{x - 30:g}" y="{y:g}" width="60" height="40" rx="4" fill="#fdecea" '
                 'stroke="#445" stroke-width="1.5"/>')
        self.text(x, y + 15, "+", size=14, anchor="middle", weight="bold", color=POWER)
        self.text(x, y + 35, "\u2212", size=14, anchor="middle", weight="bold")
        self.text(x + 38, y + 25, label, size=12)

    def estop(self, x: float, y: float) -> None:
        """An e-stop switch between (x, y) and (x + 40, y), open."""
        self.add(f'<circle cx="{x:g}" cy="{y:g}" r="3" fill="{POWER}"/>'
                 f'<circle cx="{x + 40:g}" cy="{y:g}" r="3" fill="{POWER}"/>'
                 f'<line x1="{x:g}" y1="{y:g}" x2="{x + 34:g}" y2="{y - 14:g}" stroke="{POWER}" '
                 'stroke-width="2.5"/>')
        self.text(x + 20, y - 20, "e-stop", size=12, anchor="middle", weight="bold",
                  color=POWER)

    def header(self, x: float, y: float, used: dict[int, str]) -> None:
        """The 40-pin header (pin 1 top left, odd pins left), the pins in use coloured."""
        self.text(x + 12, y - 8, "header", size=11, anchor="middle", color="#555")
        self.add(f'<rect x="{x - 8:g}" y="{y - 2:g}" width="40" height="{20 * 13 + 4:g}" rx="3" '
                 'fill="#263238"/>')
        for pin, name in HEADER.items():
            px = x + (0 if pin % 2 else 24)
            py = y + 8 + (pin - 1) // 2 * 13
            color = used.get(pin, "#90a4ae")
            ring = ' stroke="#ffffff" stroke-width="1.5"' if pin in used else ""
            self.add(f'<circle cx="{px:g}" cy="{py:g}" r="4" fill="{color}"{ring}><title>pin '
                     f'{pin} {name}</title></circle>')
            if pin in used or pin in (1, 2):
                lx = x - 12 if pin % 2 else x + 36
                self.text(lx, py + 4, str(pin), size=10, anchor="end" if pin % 2 else "start")

    def svg(self) -> str:
        body = "\n  ".join(self.parts)
        return (
            f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {self.width} {self.height}" '
            f'width="{self.width}" height="{self.height}" font-family="DejaVu Sans, Arial, '
            f'sans-serif" role="img">\n  <title>{escape(self.title)}</title>\n'
            f'  <rect width="100%" height="100%" fill="#ffffff"/>\n  {body}\n</svg>\n'
        )


def pi_box(svg: Svg, rows: list[tuple[int, str, str]], top: float, height: float) -> list[float]:
    """The Pi with its header; one terminal per (pin, label, colour) row on its right edge,
    returned as the rows' y."""
    svg.box((20, top, 260, height), "Raspberry Pi")
    svg.header(60, top + 60, {pin: color for pin, _, color in rows})
    ys = []
    for index, (_, label, _) in enumerate(rows):
        y = top + 70 + index * 40
        svg.terminal(280, y, label, "right")
        ys.append(y)
    return ys


def gpio_l298n() -> Svg:
    """The L298N rover of examples/rover.toml: IN1/IN2/ENA and IN3/IN4/ENB, pull-downs, power."""
    config = tomllib.loads((ROOT / "examples" / "rover.toml").read_text())
    left, right = (next(m for m in config["motor"] if m["name"] == n) for n in ("left", "right"))
    svg = Svg(960, 540, "An L298N module on a Raspberry Pi's GPIO (examples/rover.toml)")
    inputs = [("IN1", left["in1"], SIGNAL), ("IN2", left["in2"], SIGNAL),
              ("ENA", left["pwm"], PWM), ("IN3", right["in1"], SIGNAL),
              ("IN4", right["in2"], SIGNAL), ("ENB", right["pwm"], PWM)]
    rows = [(physical_pin(bcm), pin_label(bcm), color) for _, bcm, color in inputs]
    rows.append((39, "GND · pin 39", GROUND))
    ys = pi_box(svg, rows, 20, 340)
    svg.box((520, 20, 180, 340), "L298N", "ENA/ENB jumpers removed")
    for (name, _, color), y in zip(inputs, ys, strict=False):
        svg.terminal(520, y, name, "left")
        svg.wire([(284, y), (516, y)], color)
        svg.pulldown(430, y)
    svg.terminal(520, ys[-1], "GND", "left")
    svg.wire([(284, ys[-1]), (516, ys[-1])], GROUND)
    # Outputs to the motors on the right edge.
    for label, y in (("OUT1", 90), ("OUT2", 120), ("OUT3", 230), ("OUT4", 260)):
        svg.terminal(700, y, label, "right")
    svg.motor(850, 105, "left motor")
    svg.motor(850, 245, "right motor")
    for y, my in ((90, 95), (120, 115), (230, 235), (260, 255)):
        svg.wire([(704, y), (790, y), (790, my), (820, my)], "#555")
    motor_power(svg, (560, 360), (660, 360), "12V", "GND")
    svg.text(20, 400, "Pull-downs: 10 kΩ from every input to GND, so a released pin reads off.",
             size=12)
    svg.text(20, 420, "Join the Pi's GND to the driver's; never power motors from the Pi.",
             size=12)
    svg.text(20, 440, "Pins are BCM numbers, as in examples/rover.toml; pin N is the header pin.",
             size=12)
    legend(svg, 20, 480, [("direction", SIGNAL), ("PWM", PWM), ("ground", GROUND),
                          ("motor power", POWER)])
    return svg


def legend(svg: Svg, x: float, y: float, items: list[tuple[str, str]]) -> None:
    for index, (label, color) in enumerate(items):
        lx = x + index * 130
        svg.wire([(lx, y), (lx + 30, y)], color)
        svg.text(lx + 36, y + 4, label, size=12)


def motor_power(svg: Svg, plus: tuple[float, float], minus: tuple[float, float],
                label_plus: str, label_minus: str) -> None:
    """Battery + through the e-stop to `plus`, battery minus to `minus` (terminals on a box's
    bottom edge)."""
    for (x, y), label in ((plus, label_plus), (minus, label_minus)):
        svg.terminal(x, y, "", "left")
        svg.text(x, y + 20, label, size=12, anchor="middle")
    svg.battery(plus[0] + 260, plus[1] + 80, "motor battery")
    svg.estop(plus[0] + 100, plus[1] + 80)
    svg.wire([(plus[0], plus[1] + 24), (plus[0], plus[1] + 80), (plus[0] + 100, plus[1] + 80)],
             POWER)
    svg.wire([(plus[0] + 140, plus[1] + 80), (plus[0] + 230, plus[1] + 80),
              (plus[0] + 230, plus[1] + 90)], POWER)
    svg.wire([(minus[0], minus[1] + 24), (minus[0], minus[1] + 36),
              (plus[0] + 200, minus[1] + 36), (plus[0] + 200, plus[1] + 140),
              (plus[0] + 260, plus[1] + 140), (plus[0] + 260, plus[1] + 120)], GROUND)


def two_motors(svg: Svg, x: float, outputs: list[tuple[str, float]], labels: tuple[str, str]
               ) -> None:
    """Four output terminals on a box's right edge at x, two to each motor."""
    for label, y in outputs:
        svg.terminal(x, y, label, "right")
    tops = (outputs[0][1] + outputs[1][1]) / 2, (outputs[2][1] + outputs[3][1]) / 2
    svg.motor(x + 150, tops[0], labels[0])
    svg.motor(x + 150, tops[1], labels[1])
    for index, (_, y) in enumerate(outputs):
        my = tops[index // 2] + (-10 if index % 2 == 0 else 10)
        svg.wire([(x + 4, y), (x + 90, y), (x + 90, my), (x + 120, my)], "#555")


def pca9685_hat() -> Svg:
    """The Adafruit DC & Stepper HAT of examples/adafruit_hat.toml: I2C, M1/M2, power."""
    config = tomllib.loads((ROOT / "examples" / "adafruit_hat.toml").read_text())
    chip = config["pca9685"][0]
    svg = Svg(960, 520, "An Adafruit DC & Stepper Motor HAT on a Raspberry Pi "
                        "(examples/adafruit_hat.toml)")
    rows = [(1, "3V3 · pin 1", POWER), (3, "GPIO2 SDA · pin 3", I2C),
            (5, "GPIO3 SCL · pin 5", I2C), (6, "GND · pin 6", GROUND)]
    ys = pi_box(svg, rows, 20, 340)
    svg.box((520, 20, 200, 340), "Motor HAT", f"PCA9685 at 0x{chip['address']:02X} + TB6612")
    for (label, color), y in zip([("VCC (logic)", POWER), ("SDA", I2C), ("SCL", I2C),
                                  ("GND", GROUND)], ys, strict=True):
        svg.terminal(520, y, label, "left")
        svg.wire([(284, y), (516, y)], color)
    svg.text(400, ys[-1] + 40, "stacked on the header:", size=11, anchor="middle", italic=True)
    svg.text(400, ys[-1] + 54, "these are the pins it uses", size=11, anchor="middle",
             italic=True)
    motors = {m["motor"]: m["name"] for m in config["motor"]}
    two_motors(svg, 720, [("M1", 90), ("M1", 120), ("M2", 230), ("M2", 260)],
               (f"{motors['M1']} motor (M1)", f"{motors['M2']} motor (M2)"))
    motor_power(svg, (570, 360), (670, 360), "power +", "GND")
    svg.text(20, 400, f"I2C bus {chip['bus']}, address 0x{chip['address']:02X} (Waveshare's "
             "HAT: 0x40, motors A and B).", size=12)
    svg.text(20, 420, "Motor power goes to the HAT's power terminals, never through the Pi.",
             size=12)
    legend(svg, 20, 470, [("I2C", I2C), ("logic power", POWER), ("ground", GROUND)])
    return svg


def serial_controller(name: str, example: str, *, inputs: list[tuple[int, str, str, str]],
                      outputs: tuple[str, str, str, str], power: tuple[str, str],
                      notes: list[str], subtitle: str, usb: str = "") -> Svg:
    """With `usb`, the controller's USB port (that path) is the link the example uses and the
    UART wires are drawn dashed, as the other way."""
    """A two-channel serial controller: Pi UART (or USB) to it, M1/M2 to motors, battery."""
    svg = Svg(960, 520, f"A {name} on a Raspberry Pi ({example})")
    rows = [(pin, label, color) for pin, label, color, _ in inputs]
    ys = pi_box(svg, rows, 20, 340)
    svg.box((520, 20, 200, 340), name, subtitle)
    for (_, _, color, theirs), y in zip(inputs, ys, strict=True):
        svg.terminal(520, y, theirs, "left")
        svg.wire([(284, y), (516, y)], color, dashed=bool(usb))
    if usb:
        svg.text(400, ys[0] - 12, "or the UART: /dev/ttyAMA0", size=11, anchor="middle",
                 color=SERIAL)
        y = ys[-1] + 90
        svg.terminal(280, y, "USB", "right")
        svg.terminal(520, y, "USB", "left")
        svg.wire([(284, y), (516, y)], "#37474f", label=f"USB cable: {usb}",
                 label_at=(330, y - 8))
    two_motors(svg, 720, [(outputs[0], 90), (outputs[1], 120), (outputs[2], 230),
                          (outputs[3], 260)], ("left motor (channel 1)", "right motor (channel 2)"))
    motor_power(svg, (570, 360), (670, 360), *power)
    for index, note in enumerate(notes):
        svg.text(20, 400 + index * 20, note, size=12)
    return svg


def sabertooth() -> Svg:
    """The Sabertooth of examples/sabertooth.toml: the Pi's TX to S1 (it never answers)."""
    config = tomllib.loads((ROOT / "examples" / "sabertooth.toml").read_text())
    port, address = config["serial"][0], config["motor"][0]["address"]
    return serial_controller(
        "Sabertooth", "examples/sabertooth.toml",
        inputs=[(8, "GPIO14 TXD · pin 8", SERIAL, "S1"), (6, "GND · pin 6", GROUND, "0V")],
        outputs=("M1A", "M1B", "M2A", "M2B"), power=("B+", "B\u2212"),
        notes=[f"{port['port']} at {port['baudrate']} baud, one way: the Sabertooth never "
               "answers.",
               f"DIP switches: packetized serial, address {address}.",
               "Its serial timeout stops both motors when tether dies."],
        subtitle=f"packetized serial, address {address}")


def roboclaw() -> Svg:
    """The RoboClaw of examples/roboclaw.toml: USB, or the Pi's UART to S1/S2."""
    config = tomllib.loads((ROOT / "examples" / "roboclaw.toml").read_text())
    port, address = config["serial"][0], config["motor"][0]["address"]
    return serial_controller(
        "RoboClaw", "examples/roboclaw.toml",
        inputs=[(8, "GPIO14 TXD · pin 8", SERIAL, "S1 (RX)"),
                (10, "GPIO15 RXD · pin 10", SERIAL, "S2 (TX)"),
                (6, "GND · pin 6", GROUND, "GND")],
        outputs=("M1A", "M1B", "M2A", "M2B"), power=("B+", "B\u2212"),
        notes=[f"examples/roboclaw.toml: USB, {port['port']}; or the UART above "
               "(/dev/ttyAMA0).",
               f"Packet serial, address 0x{address:02X} (set in Motion Studio); every write is "
               "ACK-checked.",
               "Its serial timeout stops both motors when tether dies."],
        subtitle=f"packet serial, address 0x{address:02X}", usb=port["port"])


def pololu_smc() -> Svg:
    """One SMC per motor, each on its own USB-serial port (the preset's /dev/ttyUSB0 and 1)."""
    svg = Svg(960, 660, "Two Pololu Simple Motor Controllers on a Raspberry Pi (one per motor)")
    svg.box((20, 20, 200, 440), "Raspberry Pi")
    svg.text(120, 60, "(no header pins used)", size=11, anchor="middle", italic=True)
    for index, (port, side) in enumerate((("/dev/ttyUSB0", "left"), ("/dev/ttyUSB1", "right"))):
        y = 100 + index * 210
        svg.terminal(220, y + 25, "USB", "right")
        svg.box((270, y - 50, 120, 130), "USB-serial", "adapter", fill="#f4f4f4")
        svg.wire([(224, y + 25), (270, y + 25)], "#37474f")
        svg.text(270, y - 58, port, size=12)
        svg.box((520, y - 60, 180, 170), "SMC", f"{side} motor")
        for row, (theirs, ours, color) in enumerate((("RX", "TX", SERIAL), ("TX", "RX", SERIAL),
                                                     ("GND", "GND", GROUND))):
            svg.terminal(390, y + 25 * row, ours, "right")
            svg.terminal(520, y + 25 * row, theirs, "left")
            svg.wire([(394, y + 25 * row), (516, y + 25 * row)], color)
        svg.terminal(700, y, "OUTA", "right")
        svg.terminal(700, y + 30, "OUTB", "right")
        svg.motor(860, y + 15, f"{side} motor")
        svg.wire([(704, y), (800, y), (800, y + 5), (830, y + 5)], "#555")
        svg.wire([(704, y + 30), (800, y + 30), (800, y + 25), (830, y + 25)], "#555")
        svg.terminal(560, y + 110, "", "left")
        svg.terminal(660, y + 110, "", "left")
        svg.text(560, y + 100, "VIN", size=11, anchor="middle")
        svg.text(660, y + 100, "GND", size=11, anchor="middle")
        svg.wire([(560, y + 114), (560, y + 130), (480, y + 130), (480, 520)], POWER)
        svg.wire([(660, y + 114), (660, y + 125), (740, y + 125), (740, 580)], GROUND)
    svg.estop(560, 520)
    svg.wire([(480, 520), (560, 520)], POWER)
    svg.battery(860, 510, "")
    svg.text(860, 570, "motor battery", size=12, anchor="middle")
    svg.wire([(600, 520), (860 - 30, 520)], POWER)
    svg.wire([(740, 580), (800, 580), (800, 540), (830, 540)], GROUND)
    for index, note in enumerate([
            "One controller per motor, each on a serial port to itself (an SMC answers every "
            "byte).",
            "Enable its command timeout in Pololu's Simple Motor Control Center: tether cannot",
            "set it over serial, and it is what stops the motor when tether dies."]):
        svg.text(20, 600 + index * 20, note, size=12)
    legend(svg, 20, 490, [("serial", SERIAL), ("ground", GROUND), ("motor power", POWER)])
    return svg


DIAGRAMS: dict[str, Callable[[], Svg]] = {
    "gpio-l298n.svg": gpio_l298n,
    "pca9685-hat.svg": pca9685_hat,
    "sabertooth.svg": sabertooth,
    "roboclaw.svg": roboclaw,
    "pololu-smc.svg": pololu_smc,
}


def main(argv: list[str] | None = None) -> int:
    """Write every diagram, or with --check report the ones that differ from what is drawn."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare, write nothing")
    args = parser.parse_args(argv)
    stale = []
    for name, draw in DIAGRAMS.items():
        path, text = OUT / name, draw().svg()
        if args.check:
            if not path.exists() or path.read_text() != text:
                stale.append(name)
        else:
            OUT.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
    if stale:
        print(f"out of date: {', '.join(stale)}; run python scripts/wiring_diagrams.py",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
