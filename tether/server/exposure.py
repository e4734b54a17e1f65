"""Who may reach the daemon: beyond loopback it needs API keys, and keys need TLS.

Checked before anything is built or bound. Without TLS an API secret (and every bearer token)
crosses the network in clear, so keys over plaintext beyond loopback start only when the config
says so explicitly ([server] allow_plaintext_keys = true), and then with a loud warning.
"""

from __future__ import annotations

import logging

from tether.config import RobotConfig, parse_listen
from tether.errors import ConfigError
from tether.server.auth import is_local

log = logging.getLogger("tether.server")


def check_exposure(config: RobotConfig, listen: str, address: tuple[str, int] | str, *,
                   warn: bool = True) -> None:
    """Refuse an exposed daemon without keys, or with keys but no TLS unless allowed (warned,
    unless `warn` is False: the guardian checks first and leaves the warning to its daemon)."""
    exposed = [listen] if not is_local(address) else []
    if config.web.enabled and not is_local(parse_listen(config.web.listen, "[web].listen")):
        exposed.append(f"{config.web.listen} (the drive page)")
    if not exposed:
        return
    where = " and ".join(exposed)
    if not config.keys:
        raise ConfigError(
            f"{config.source}: listening on {where} (beyond this machine) needs API keys: add "
            "[[auth.keys]] entries (id, secret_file or secret_env)"
        )
    if config.server.tls_cert is not None:
        return
    if not config.server.allow_plaintext_keys:
        raise ConfigError(
            f"{config.source}: listening on {where} (beyond this machine) with API keys needs "
            "TLS, or every secret and token crosses the network in clear: set [server] tls_cert "
            "and tls_key (or accept that with [server] allow_plaintext_keys = true)"
        )
    if not warn:
        return
    log.warning(
        "INSECURE: listening on %s without TLS ([server] allow_plaintext_keys = true): every "
        "API secret and bearer token crosses the network in clear; anyone on it can copy them "
        "and drive the rover. Set [server] tls_cert and tls_key.", where,
    )
