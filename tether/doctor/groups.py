"""Group memberships: Raspberry Pi OS gives GPIO to `gpio`, I2C to `i2c`, serial ports to
`dialout`; tether runs as a normal user in them (the device checks say what is refused)."""

from __future__ import annotations

from tether.doctor.findings import Finding, Severity
from tether.doctor.machine import Machine
from tether.doctor.needs import Needs


def wanted_groups(needs: Needs) -> dict[str, str]:
    """Group name -> what it is for, for the families the config drives (all without one)."""
    wanted = {}
    if needs.gpio_factory in ("lgpio", "rpigpio"):
        wanted["gpio"] = "GPIO motors"
    if needs.chips or not needs.known:
        wanted["i2c"] = "PCA9685 HATs"
    if needs.ports or not needs.known:
        wanted["dialout"] = "serial motor controllers"
    return wanted


def groups(machine: Machine, needs: Needs) -> list[Finding]:
    """One finding per group the config needs: this login has it, or the fix."""
    user = machine.user
    wanted = wanted_groups(needs)
    if not wanted:
        return [Finding("groups", Severity.INFO, "none needed (no hardware in the config)")]
    if user.uid == 0:
        return [Finding("groups", Severity.WARNING, "running as root, which may open every "
                        "device: tether should run as a normal user in the groups "
                        f"{', '.join(wanted)}", "run tether (and this doctor) as that user")]
    return [_membership(machine, name, what) for name, what in wanted.items()]


def _membership(machine: Machine, name: str, what: str) -> Finding:
    user, check = machine.user, f"group {name}"
    group = user.groups.get(name)
    if group is None:
        severity = Severity.WARNING if machine.is_pi() else Severity.INFO
        return Finding(check, severity, f"no group {name} on this machine ({what})",
                       "Raspberry Pi OS has it; elsewhere give the devices to a group with a "
                       "udev rule (docs/deployment.md: Permissions)")
    if group.gid in user.gids:
        return Finding(check, Severity.OK, f"{user.name} is in {name} ({what})")
    if user.name in group.members:
        return Finding(check, Severity.WARNING, f"{user.name} was added to {name} but this "
                       "login does not have it yet", "log out and in again (or reboot)")
    return Finding(check, Severity.WARNING, f"{user.name} is not in {name} ({what})",
                   f"sudo usermod -aG {name} {user.name}, then log out and in")
