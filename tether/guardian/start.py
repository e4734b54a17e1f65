"""`tether serve` with its guardian: the guardian's process starts here, the daemon is its child."""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence

from tether.guardian.plan import GuardianSeams, real_seams, safers
from tether.guardian.watch import Guardian
from tether.robot.config import RobotConfig

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
    check_exposure(config, address, parse_listen(address, "--listen"))
    if seams is None:
        seams = _sim_seams() if (sim or config.sim) else real_seams(config)
    guard = Guardian([*daemon_command(config_path, sim=sim, listen=listen, verbose=verbose),
                      *extra_args], safers(config, seams), config.guardian,
                     source=config.source)
    return guard.run()


def _sim_seams() -> GuardianSeams:
    """In-process fakes die with the daemon: nothing outlives it for the guardian to reach."""
    return GuardianSeams("none", None, lambda bus: None, lambda port: port.port)
