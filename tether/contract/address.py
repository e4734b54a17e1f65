"""How a daemon address is written, the same for [server].listen and a client's connect()."""

from __future__ import annotations

from tether.errors import ConfigError


def parse_listen(listen: str, where: str) -> tuple[str, int] | str:
    """'HOST:PORT' -> (host, port); 'unix:PATH' -> PATH."""
    if listen.startswith("unix:"):
        path = listen[5:]
        if not path:
            raise ConfigError(f"{where} = {listen!r}: expected unix:/path/to/socket")
        return path
    host, _, port = listen.rpartition(":")
    if not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ConfigError(f"{where} = {listen!r}: expected HOST:PORT or unix:PATH")
    return host.strip("[]"), int(port)
