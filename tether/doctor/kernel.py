"""The board, and what its kernel does with a GPIO line whose owner let go of it (or died).

Raspberry Pi kernels keep a released output driven at its last level, so that `gpioset` results
persist; upstream kernels return it to an input. The switch is the `persist_gpio_outputs` module
parameter of the header's pin controller: `pinctrl_bcm2835` (Pi 1-4) or `pinctrl_rp1` (Pi 5).
`dtparam=strict_gpiod` in config.txt puts `<driver>.persist_gpio_outputs=n` on the kernel command
line for either (raspberrypi/linux PRs 6117 and 6150, 2024; the first release called the
parameter `strict_gpiod=y`). The running kernel's value is readable in
/sys/module/<driver>/parameters, which is what this module trusts first.
"""

from __future__ import annotations

from pathlib import Path

from tether.doctor.findings import Finding, Severity
from tether.doctor.machine import Machine
from tether.doctor.needs import Needs

RELEASE = "gpio release"
_OFF = {"off", "false", "no", "n", "0"}


def board(machine: Machine) -> Finding:
    """Which board this is; off a Pi the doctor says so and checks what applies anywhere."""
    model = machine.model()
    if model is None:
        return Finding("board", Severity.INFO, "not a Raspberry Pi (no device-tree model in "
                       f"{machine.proc}/device-tree/model or {machine.sys}/firmware/devicetree/"
                       "base/model): checking what applies on any machine")
    if not machine.is_pi():
        return Finding("board", Severity.INFO, f"not a Raspberry Pi ({model}): checking what "
                       "applies on any machine")
    return Finding("board", Severity.OK, model)


def kernel_keeps_outputs(machine: Machine) -> tuple[bool, str]:
    """Whether released lines stay driven, and where that was read (default: they do)."""
    driver = pin_controller(machine)
    parameters = machine.sys / "module" / driver / "parameters"
    for name, keeps_when_true in (("persist_gpio_outputs", True), ("strict_gpiod", False)):
        try:
            raw = (parameters / name).read_text().strip()
        except OSError:
            continue
        return _kernel_bool(raw) == keeps_when_true, f"{parameters / name} = {raw}"
    for word in reversed(machine.cmdline()):  # the last assignment wins
        key, _, raw = word.partition("=")
        key = key.replace("-", "_")
        if key == f"{driver}.persist_gpio_outputs":
            return _kernel_bool(raw), f"{word} on {machine.proc}/cmdline"
        if key == f"{driver}.strict_gpiod":
            return not _kernel_bool(raw), f"{word} on {machine.proc}/cmdline"
    if (machine.sys / "module" / driver).is_dir():
        return True, (f"{machine.sys}/module/{driver} has no persist_gpio_outputs parameter: "
                      "this kernel predates the switch (May 2024) and keeps released outputs")
    return True, (f"no {driver}.persist_gpio_outputs in {machine.sys}/module or on "
                  f"{machine.proc}/cmdline: Raspberry Pi kernels keep released outputs")


def pin_controller(machine: Machine) -> str:
    """The kernel driver of the 40-pin header's GPIO on this board."""
    return "pinctrl_rp1" if machine.has_rp1() else "pinctrl_bcm2835"


def _kernel_bool(raw: str) -> bool:
    """A bool module parameter as the kernel parses it (no value means true)."""
    text = raw.strip().lower()
    if text in ("", "on"):
        return True
    return text not in _OFF and text[:1] not in ("n", "f", "0")


def strict_gpiod_in(config_txt: Path, depth: int = 0) -> str | None:
    """Where config.txt sets dtparam=strict_gpiod (following `include`), or None."""
    try:
        lines = config_txt.read_text(errors="replace").splitlines()
    except OSError:
        return None
    found, section = None, "all"
    for number, raw in enumerate(lines, 1):
        line = raw.split("#", 1)[0].strip()
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1].strip()
        elif line.startswith("include ") and depth < 3:
            found = strict_gpiod_in(config_txt.parent / line[8:].strip(), depth + 1) or found
        elif section != "none" and _sets_strict_gpiod(line):
            found = f"{config_txt} line {number}" + ("" if section == "all" else
                                                    f" (under [{section}])")
    return found


def _sets_strict_gpiod(line: str) -> bool:
    key, _, value = line.partition("=")
    if key.strip() != "dtparam":
        return False
    for parameter in value.split(","):
        name, _, argument = parameter.partition("=")
        if name.strip() == "strict_gpiod" and argument.strip().lower() not in _OFF:
            return True
    return False


def gpio_release(machine: Machine, needs: Needs) -> Finding:
    """A crash of anything holding the motor pins: do the lines stop driving (safety)?"""
    if not machine.is_pi():
        return Finding(RELEASE, Severity.INFO, "not a Raspberry Pi: the kernel's release of "
                       "GPIO lines is not checked here")
    keeps, where = kernel_keeps_outputs(machine)
    if not keeps:
        return Finding(RELEASE, Severity.OK, f"released GPIO lines return to inputs ({where}): "
                       "when a process dies its motor pins stop being driven and the pull-downs "
                       "decide")
    says = (f"released GPIO lines stay driven at their last level ({where}): if tether, or "
            "anything else holding the motor pins, dies, the motors keep driving")
    if not needs.uses_kernel_lines():
        used = needs.gpio_factory or "no GPIO motors"
        return Finding(RELEASE, Severity.INFO, f"{says}; this config does not drive its motors "
                       f"through the kernel's GPIO lines ({used})")
    return Finding(RELEASE, Severity.SAFETY, says, _release_fix(machine))


def _release_fix(machine: Machine) -> str:
    config_txt = machine.boot_file("config.txt")
    already = strict_gpiod_in(config_txt)
    if already is not None:
        return (f"dtparam=strict_gpiod is set ({already}) but the running kernel has not "
                "applied it: reboot (and check the section it is under applies to this board)")
    return (f"add the line dtparam=strict_gpiod to {config_txt} (or "
            f"{pin_controller(machine)}.persist_gpio_outputs=n to "
            f"{machine.boot_file('cmdline.txt')}) and reboot; fit pull-downs so an undriven "
            "input means off")


def backend_after_crash(needs: Needs) -> Finding | None:
    """pigpio and RPi.GPIO keep driving after tether dies whatever the kernel does: say so."""
    if needs.gpio_factory == "pigpio":
        return Finding("gpio after a crash", Severity.WARNING, "pin_factory pigpio: pigpiod "
                       "keeps PWM and levels running after tether dies (it owns the pins, not "
                       "tether), whatever the kernel setting", "lgpio with dtparam=strict_gpiod "
                       "stops GPIO motors when tether dies; with pigpio only an e-stop does")
    if needs.gpio_factory == "rpigpio":
        return Finding("gpio after a crash", Severity.WARNING, "pin_factory rpigpio: RPi.GPIO "
                       "writes the GPIO registers itself, so its levels stay after tether dies, "
                       "whatever the kernel setting", "use pin_factory lgpio with "
                       "dtparam=strict_gpiod")
    return None
