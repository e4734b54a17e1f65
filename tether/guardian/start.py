"""`tether serve` with its guardian: the guardian's process starts here, the daemon is its child."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from tether.guardian.plan import GuardianSeams, real_seams, safers
from tether.guardian.watch import Guardian
from tether.robot.config import RobotConfig

if TYPE_CHECKING:
    from tether.sim.addresses import SimAddresses

log = logging.getLogger("tether.guardian")


def daemon_command(config_path: str, *, sim: bool, listen: str | None,
                   verbose: bool = False) -> list[str]:
    """The child's command line: the same `tether serve`, without a guardian of its own."""
    command = [sys.executable, "-m", "tether", *(["-v"] if verbose else []), "serve",
               config_path, "--no-guardian"]
    if sim:
        command.append("--sim")
    if listen is not None:
        command += ["--listen", listen]
    return command


def serve_guarded(config: RobotConfig, config_path: str, *, sim: bool = False,
                  listen: str | None = None, verbose: bool = False,
                  seams: GuardianSeams | None = None,
                  extra_args: Sequence[str] = ()) -> int:
    """Run the guardian until a signal; returns `tether serve`'s exit status. What would stop
    the daemon starting is refused here first, in one line, before any process starts."""
    from tether.config import parse_listen
    from tether.server.exposure import check_exposure

    address = listen or config.server.listen
    check_exposure(config, address, parse_listen(address, "--listen"), warn=False)
    environ = dict(os.environ)
    hardware = None
    if sim or config.sim:  # the guardian owns the simulated hardware: it outlives each daemon
        from tether.sim.process import ENV_LINE, SimProcess

        hardware = SimProcess.start(config)
        environ[ENV_LINE] = hardware.addresses.line()
        seams = seams or sim_seams(hardware.addresses)
    try:
        guard = Guardian([*daemon_command(config_path, sim=sim, listen=listen, verbose=verbose),
                          *extra_args], safers(config, seams or real_seams(config)),
                         config.guardian, environ=environ, source=config.source)
        return guard.run()
    finally:
        if hardware is not None:  # it ends by itself once nobody reads it, as the daemon's does
            hardware.leave()
            hardware.wait(2.0)


def sim_seams(addresses: SimAddresses) -> GuardianSeams:
    """The simulated-hardware process's seams, as a third process reaches them: its fake
    pigpiod, a client of its fake I2C bus, the ptys of its fake controllers."""
    from tether.sim.addresses import host_port
    from tether.sim.i2c import SimSMBus

    pigpio = host_port(addresses.pigpio) if addresses.pigpio else None
    i2c = addresses.i2c or ""
    return GuardianSeams("pigpio" if pigpio else "none", pigpio,
                         lambda bus: SimSMBus(i2c, bus), lambda port: addresses.serial[port.name])
