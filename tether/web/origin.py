"""Which browsers may open the drive socket: same-origin pages only, and no DNS rebinding.

A browser always sends Origin on a WebSocket handshake, so a page on another site cannot drive
the rover through the visitor's browser. Without API keys (loopback only) the Host header must
also be a loopback name: a rebinding attack reaches 127.0.0.1 under the attacker's host name,
where Origin and Host agree with each other but not with a loopback name.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from tether.errors import ConfigError

LOOPBACK_NAMES = frozenset({"localhost", "localhost."})


def normalize_origin(origin: str) -> str:
    """'scheme://host[:port]' lowercased, as a browser sends it; ConfigError naming it else."""
    expected = "an origin like 'http://rover.local:8081' (scheme, host, optional port)"
    if not isinstance(origin, str):
        raise ConfigError(f"allowed origin {origin!r}: expected {expected}")
    try:
        parts = urlsplit(origin.strip())
        port = parts.port
    except ValueError:
        raise ConfigError(f"allowed origin {origin!r}: expected {expected}") from None
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or parts.path not in ("", "/")
        or parts.query
        or parts.fragment
        or parts.username is not None
    ):
        raise ConfigError(f"allowed origin {origin!r}: expected {expected}")
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return f"{parts.scheme}://{host}" + (f":{port}" if port is not None else "")


def host_name(host_header: str) -> str:
    """The host part of a Host header ('[::1]:8081' -> '::1'), lowercased."""
    host = host_header.strip().lower()
    if host.startswith("["):
        return host[1:].partition("]")[0]
    return host.rpartition(":")[0] if host.count(":") == 1 else host


def is_loopback_name(name: str) -> bool:
    """localhost, 127.0.0.0/8 or ::1."""
    if name in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def refuse_host(host: str | None, *, allowed: frozenset[str], loopback_only: bool) -> str | None:
    """Why a request for this Host is refused, or None; without keys only loopback names pass."""
    if not host:
        return "Host header missing: expected the address this page was served from"
    allowed_hosts = {urlsplit(o).netloc for o in allowed}
    if loopback_only and not (is_loopback_name(host_name(host)) or host.lower() in allowed_hosts):
        return (
            f"Host {host!r}: expected a loopback name (127.0.0.1, localhost, [::1]); "
            "without API keys the drive page answers only this machine"
        )
    return None


def refuse_origin(
    origin: str | None,
    *,
    scheme: str,
    host: str | None,
    allowed: frozenset[str],
    loopback_only: bool,
) -> str | None:
    """Why this handshake is refused (a message naming the value), or None if it may proceed."""
    refused = refuse_host(host, allowed=allowed, loopback_only=loopback_only)
    if refused is not None or not host:
        return refused
    if origin is None:
        return "Origin header missing: expected the drive page's own origin"
    page = f"{scheme}://{host}".lower()
    try:
        sent = normalize_origin(origin)
    except ConfigError:
        return f"Origin {origin!r}: expected {page!r}"
    if sent == page or sent in allowed:
        return None
    return f"Origin {origin!r}: expected {page!r}" + (
        f" or one of {', '.join(sorted(allowed))}" if allowed else ""
    )
