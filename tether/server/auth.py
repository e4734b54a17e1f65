"""API keys: Viam's Authenticate flow (a bearer token per key), checked on every RPC but two.

Secrets are compared in constant time against every key (no early exit); tokens are random
256-bit strings, kept only as SHA-256 digests. A session belongs to the key that started it.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from grpclib.const import Status
from grpclib.events import RecvRequest, listen
from grpclib.exceptions import GRPCError

from tether.config import ApiKey

log = logging.getLogger("tether.server")

OWNER_METADATA = "tether-owner"
#: Methods a client may call without a key: discovering resources, and getting a token.
EXEMPT = frozenset({
    "/viam.robot.v1.RobotService/ResourceNames",
    "/proto.rpc.v1.AuthService/Authenticate",
})
TOKEN_LIFETIME = 24 * 3600.0


@dataclass(frozen=True)
class _Grant:
    key_id: str
    expires: float


class Authenticator:
    """Issues and checks bearer tokens for the configured API keys (none: everyone is '')."""

    def __init__(
        self, keys: tuple[ApiKey, ...] = (), *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.keys = keys
        self.clock = clock
        self._grants: dict[bytes, _Grant] = {}

    @property
    def enabled(self) -> bool:
        """True when keys are configured (then every RPC but the exempt ones needs one)."""
        return bool(self.keys)

    def authenticate(self, entity: str, kind: str, secret: str) -> str:
        """A new token for the key with id `entity` and this secret; UNAUTHENTICATED otherwise."""
        matched: str | None = None
        for key in self.keys:
            same_id = hmac.compare_digest(key.id.encode(), entity.encode())
            same_secret = hmac.compare_digest(key.secret.encode(), secret.encode())
            if same_id and same_secret:
                matched = key.id
        if matched is None or kind != "api-key":
            raise GRPCError(Status.UNAUTHENTICATED, "unknown API key id or wrong secret")
        token = secrets.token_urlsafe(32)
        self._forget_expired()
        self._grants[_digest(token)] = _Grant(matched, self.clock() + TOKEN_LIFETIME)
        return token

    def owner(self, metadata: Any) -> str:
        """The key id behind the request's bearer token; UNAUTHENTICATED if there is none."""
        header = (metadata or {}).get("authorization", "")
        scheme, _, token = header.partition(" ")
        grant = self._grants.get(_digest(token)) if scheme.lower() == "bearer" else None
        if grant is None or grant.expires <= self.clock():
            raise GRPCError(
                Status.UNAUTHENTICATED,
                "an API key is required: authenticate (proto.rpc.v1.AuthService) and send "
                "'authorization: Bearer <token>'",
            )
        return grant.key_id

    def install(self, server: Any) -> None:
        """Check every request before its handler runs; record its owner in the metadata."""

        async def on_request(event: RecvRequest) -> None:
            event.metadata.pop(OWNER_METADATA, None)
            if not self.enabled or event.method_name in EXEMPT:
                owner = ""
            else:
                owner = self.owner(event.metadata)
            event.metadata[OWNER_METADATA] = owner

        listen(server, RecvRequest, on_request)

    def _forget_expired(self) -> None:
        now = self.clock()
        for digest in [d for d, g in self._grants.items() if g.expires <= now]:
            del self._grants[digest]


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def is_local(address: tuple[str, int] | str) -> bool:
    """A Unix socket or a loopback address: reachable only from this machine."""
    if isinstance(address, str):
        return True
    host = address[0]
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
