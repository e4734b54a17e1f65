"""I2C buses and the PCA9685s on them, serial ports and whether the kernel's console is on one."""

from __future__ import annotations

import errno
import os
from pathlib import Path

from tether.config import ChipConfig, PortConfig
from tether.doctor.findings import Finding, Severity
from tether.doctor.machine import Machine
from tether.doctor.needs import Needs

#: PCA9685 MODE1 register and its SLEEP bit (facts/hardware.md); power-on MODE1 is 0x11.
MODE1 = 0x00
SLEEP = 0x10


def i2c(machine: Machine, needs: Needs) -> list[Finding]:
    """Every configured PCA9685: its bus device usable, the chip answering a read of MODE1."""
    if not needs.chips:
        return [_i2c_buses(machine, needs)]
    return [_chip(machine, chip) for chip in needs.chips]


def _i2c_buses(machine: Machine, needs: Needs) -> Finding:
    if needs.known:
        return Finding("i2c", Severity.INFO, "not needed (no [[pca9685]] in the config)")
    buses = ", ".join(sorted(p.name for p in machine.dev.glob("i2c-*"))) or "none"
    return Finding("i2c", Severity.INFO, f"buses: {buses} (pass the config to check its "
                   "PCA9685s)")


def _chip(machine: Machine, chip: ChipConfig) -> Finding:
    check = f"pca9685 {chip.name!r}"
    path = machine.device(f"/dev/i2c-{chip.bus}" if isinstance(chip.bus, int) else chip.bus)
    if not path.exists():
        enable = ("enable I2C: dtparam=i2c_arm=on in "
                  f"{machine.boot_file('config.txt')} (or raspi-config), then reboot")
        if not machine.is_pi():
            enable = "run this on the rover's Pi"
        return Finding(check, Severity.FAILURE, f"no {path}: the I2C bus is not there",
                       enable if chip.bus in (1, "/dev/i2c-1") else "check [[pca9685]] bus")
    if not machine.user.can_use(path):
        return Finding(check, Severity.FAILURE, f"{machine.user.name} may not open {path}",
                       machine.access_fix(path))
    try:
        bus = machine.open_bus(str(path))
        try:
            mode1 = bus.read_byte_data(chip.address, MODE1)
        finally:
            bus.close()
    except OSError as exc:
        return Finding(check, Severity.FAILURE, _silence(chip, path, exc),
                       f"is the HAT seated and its address 0x{chip.address:02x}? "
                       f"`i2cdetect -y {chip.bus}` lists who answers")
    state = "asleep, as after power-on" if mode1 & SLEEP else "awake"
    return Finding(check, Severity.OK, f"answers at 0x{chip.address:02x} on {path} "
                   f"(MODE1 0x{mode1:02x}: {state})")


def _silence(chip: ChipConfig, path: Path, exc: OSError) -> str:
    if exc.errno == errno.EREMOTEIO:
        return f"nothing answers at 0x{chip.address:02x} on {path} (NACK)"
    return f"reading MODE1 at 0x{chip.address:02x} on {path} failed: {exc}"


def serial(machine: Machine, needs: Needs) -> list[Finding]:
    """Every configured serial port: present, usable, and not the kernel's console."""
    if not needs.ports:
        why = "no [[serial]] in the config" if needs.known else "pass the config to check them"
        return [Finding("serial", Severity.INFO, f"not checked ({why})")]
    return [_port(machine, port) for port in needs.ports]


def _port(machine: Machine, port: PortConfig) -> Finding:
    check = f"serial {port.name!r}"
    path = machine.device(port.port)
    if not path.exists():
        return Finding(check, Severity.FAILURE, f"no {path}",
                       "plug the controller in, or fix [[serial]] port (ls /dev/serial/by-id "
                       "names USB adapters stably)")
    console = _console_on(machine, path)
    if console is not None:
        return Finding(check, Severity.SAFETY, f"the kernel's console is on {path} "
                       f"({console} on {machine.proc}/cmdline): boot messages and a login "
                       "prompt are written to the motor controller",
                       f"remove {console} from {machine.boot_file('cmdline.txt')} (raspi-config: "
                       "serial login shell off, serial hardware on) and reboot")
    if not machine.user.can_use(path):
        return Finding(check, Severity.FAILURE, f"{machine.user.name} may not open {path}",
                       machine.access_fix(path))
    return Finding(check, Severity.OK, f"{path} (read/write for {machine.user.name})")


def _console_on(machine: Machine, port: Path) -> str | None:
    """The console= word of the kernel command line that names this port, if any."""
    target = os.path.realpath(port)
    for word in machine.cmdline():
        if word.startswith("console="):
            name = word.removeprefix("console=").split(",", 1)[0]
            if name and os.path.realpath(machine.dev / name) == target:
                return word
    return None
