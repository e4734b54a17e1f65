"""Run every check in a useful order: the config first (it says what the rover needs), then the
board and its kernel, the pin factory, the buses, the groups."""

from __future__ import annotations

from tether.doctor.buses import i2c, serial
from tether.doctor.findings import Finding, Severity, exit_code, render
from tether.doctor.gpio import gpio_devices, lgpio_workdir, pigpiod
from tether.doctor.groups import groups
from tether.doctor.kernel import backend_after_crash, board, gpio_release
from tether.doctor.machine import Machine
from tether.doctor.needs import Needs
from tether.errors import TetherError


def check_config(path: str | None) -> tuple[Finding, Needs]:
    """The config check of `tether check`, and what the config needs (everything without one)."""
    if path is None:
        return Finding("config", Severity.INFO, "none given: every hardware family is checked "
                       "as advice (`tether doctor CONFIG` checks the rover's own)"), Needs.unknown()
    from tether.config import load_config, parse_listen
    from tether.server.exposure import check_exposure

    try:
        config = load_config(path)
        check_exposure(config, config.server.listen,
                       parse_listen(config.server.listen, "[server].listen"))
    except TetherError as exc:
        return Finding("config", Severity.FAILURE, str(exc),
                       f"fix the file (`tether check {path}` says the same)"), Needs.unknown()
    motors = ", ".join(f"{m.name} ({m.driver})" for m in config.motors)
    pins = f"; pin factory {config.pin_factory}" if any(m.driver == "gpio"
                                                         for m in config.motors) else ""
    sim = "; simulated hardware: nothing to check on this machine" if config.sim else ""
    return Finding("config", Severity.OK, f"{path}: valid; motors {motors}{pins}{sim}"), \
        Needs.of(config)


def run_checks(config: str | None = None, machine: Machine | None = None) -> list[Finding]:
    """Every finding, in report order."""
    machine = machine or Machine()
    first, needs = check_config(config)
    findings = [first, board(machine), gpio_release(machine, needs)]
    after_crash = backend_after_crash(needs)
    if after_crash is not None:
        findings.append(after_crash)
    findings += [gpio_devices(machine, needs), pigpiod(machine, needs),
                 lgpio_workdir(machine, needs)]
    return findings + i2c(machine, needs) + serial(machine, needs) + groups(machine, needs)


def main(config: str | None = None, machine: Machine | None = None) -> int:
    """`tether doctor [CONFIG]`: print the findings; exit 1 on a safety finding, 2 on a failure."""
    machine = machine or Machine()
    findings = run_checks(config, machine)
    where = machine.model() or "a machine without a device-tree model"
    print(render(f"tether doctor on {where}, as {machine.user.name}", findings), flush=True)
    return exit_code(findings)
