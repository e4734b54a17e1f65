"""What the configured pin factory needs: its device files, pigpiod answering, a place for lgpio's
notification FIFO."""

from __future__ import annotations

import socket
import struct
from pathlib import Path

from tether.doctor.findings import Finding, Severity
from tether.doctor.machine import Machine
from tether.doctor.needs import Needs

#: pigpio's PIGPV command: returns the daemon's version (facts/pigpio.md).
PIGPV = 26
_REPLY = struct.Struct("<3Ii")


def gpio_devices(machine: Machine, needs: Needs) -> Finding:
    """lgpio opens /dev/gpiochip*, RPi.GPIO /dev/gpiomem*: present and usable by this user?"""
    factory = needs.gpio_factory
    if factory not in ("lgpio", "rpigpio"):
        why = "pigpiod opens the pins for tether" if factory == "pigpio" else "no GPIO motors"
        return Finding("gpio devices", Severity.INFO, f"not needed ({why})")
    pattern = "gpiochip*" if factory == "lgpio" else "gpiomem*"
    found = sorted(machine.dev.glob(pattern))
    if not found:
        severity = Severity.FAILURE if needs.known or machine.is_pi() else Severity.INFO
        return Finding("gpio devices", severity, f"no {machine.dev}/{pattern}: {factory} has no "
                       "GPIO to open", "on a Raspberry Pi with Raspberry Pi OS these exist; "
                       "elsewhere GPIO motors cannot run" if severity is Severity.FAILURE else "")
    refused = [p for p in found if not machine.user.can_use(p)]
    names = ", ".join(p.name for p in found)
    if not refused:
        return Finding("gpio devices", Severity.OK, f"{names} (read/write for {machine.user.name})")
    return Finding("gpio devices", Severity.FAILURE,
                   f"{machine.user.name} may not open {', '.join(map(str, refused))}",
                   machine.access_fix(refused[0]))


def pigpiod(machine: Machine, needs: Needs) -> Finding:
    """pin_factory pigpio: pigpiod answers where gpiozero will look (PIGPIO_ADDR/PIGPIO_PORT)."""
    if needs.gpio_factory != "pigpio":
        return Finding("pigpiod", Severity.INFO, "not needed (the config does not use pigpio)")
    if machine.has_rp1():
        return Finding("pigpiod", Severity.FAILURE, "pigpio does not run on a Raspberry Pi 5",
                       "set [gpio] pin_factory = \"lgpio\"")
    host = machine.environ.get("PIGPIO_ADDR") or "localhost"
    port = int(machine.environ.get("PIGPIO_PORT") or 8888)
    try:
        version = _pigpio_version(host, port, machine.timeout)
    except (OSError, ValueError) as exc:
        running = _pigpiod_running(machine)
        return Finding("pigpiod", Severity.FAILURE, f"no pigpiod answers on {host}:{port} "
                       f"({exc})" + ("; a pigpiod process is running, on another port or "
                                     "address?" if running else ""),
                       "check PIGPIO_ADDR/PIGPIO_PORT" if running else
                       "sudo systemctl enable --now pigpiod")
    return Finding("pigpiod", Severity.OK, f"pigpiod {version} answers on {host}:{port}")


def _pigpio_version(host: str, port: int, timeout: float) -> int:
    """Ask pigpiod for its version: one 16-byte command, one 16-byte reply."""
    with socket.create_connection((host, port), timeout=timeout) as link:
        link.sendall(struct.pack("<4I", PIGPV, 0, 0, 0))
        reply = b""
        while len(reply) < _REPLY.size:
            chunk = link.recv(_REPLY.size - len(reply))
            if not chunk:
                raise ValueError(f"closed after {len(reply)} of {_REPLY.size} reply bytes")
            reply += chunk
    command, _, _, result = (int(word) for word in _REPLY.unpack(reply))
    if command != PIGPV or result < 0:
        raise ValueError(f"answered command {command} with {result}, expected PIGPV's version")
    return result


def _pigpiod_running(machine: Machine) -> bool:
    """A process named pigpiod in the proc tree."""
    for comm in machine.proc.glob("[0-9]*/comm"):
        try:
            if comm.read_text().strip() == "pigpiod":
                return True
        except OSError:
            continue
    return False


def lgpio_workdir(machine: Machine, needs: Needs) -> Finding:
    """lgpio makes its notification FIFO in $LG_WD, else the working directory: writable?"""
    if needs.gpio_factory != "lgpio":
        return Finding("LG_WD", Severity.INFO, "not needed (the config does not use lgpio)")
    chosen = machine.environ.get("LG_WD")
    folder = Path(chosen) if chosen else machine.cwd
    where = f"LG_WD={folder}" if chosen else f"the working directory {folder} (LG_WD unset)"
    if folder.is_dir() and machine.user.can_use(folder, directory=True):
        service = "" if chosen else ("; the service runs elsewhere: examples/tether.service "
                                     "sets LG_WD to its RuntimeDirectory")
        return Finding("LG_WD", Severity.OK, f"{where} is writable for {machine.user.name}"
                       + service)
    return Finding("LG_WD", Severity.FAILURE, f"{where} is not a directory "
                   f"{machine.user.name} can write: lgpio creates its notification FIFO "
                   "(.lgd-nfy*) there, so `import lgpio` fails (and gpiozero, choosing a "
                   "factory itself, silently falls back to another; gpiozero #1106, lg #22)",
                   "set LG_WD to a writable directory (Environment=LG_WD=/run/tether with "
                   "RuntimeDirectory=tether in the unit), or start tether in one")
