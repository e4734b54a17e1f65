"""API keys: Viam's Authenticate flow (a bearer token per key), checked on every RPC but that one.

Secrets are compared in constant time against every key (no early exit). A token is signed, not
remembered: it names its key, when it was issued and when it expires, and carries an HMAC-SHA256
under a key derived from that API key's secret. So tokens survive a daemon restart (a client that
logged in before drives on after it), cost no memory per grant, and die with their key: rotate
its secret or remove it from the config and every token it issued is refused. A session belongs
to the key that started it. Wrong keys are budgeted per peer (tether/server/guesses.py).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import logging
import math
import secrets
import time
from collections.abc import Callable
from typing import Any

from grpclib.const import Status
from grpclib.events import RecvRequest, listen
from grpclib.exceptions import GRPCError

from tether.config import ApiKey
from tether.config_auth import DEFAULT_TOKEN_LIFETIME
from tether.server.guesses import GuessBudget

log = logging.getLogger("tether.server")

OWNER_METADATA = "tether-owner"
#: The one method a client may call without a token: getting one (as Viam's server does).
EXEMPT = frozenset({"/proto.rpc.v1.AuthService/Authenticate"})
#: Seconds a token is valid by default (wall clock, so an expiry means the same after a restart).
TOKEN_LIFETIME = DEFAULT_TOKEN_LIFETIME
#: tether2 tokens carry their issue time, so a client can renew at half-life by the daemon's clock.
TOKEN_VERSION = "tether2"
WRONG_KEY = "unknown API key id or wrong secret"
_MAX_TOKEN = 1024
_DERIVATION = b"tether bearer token signing key\x00"


def _encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def signing_key(key: ApiKey) -> bytes:
    """The HMAC key for `key`'s tokens: derived from its secret, so rotating it revokes them."""
    return hmac.new(key.secret.encode(), _DERIVATION + key.id.encode(), hashlib.sha256).digest()


class Authenticator:
    """Issues and checks bearer tokens for the configured API keys (none: everyone is '')."""

    def __init__(
        self, keys: tuple[ApiKey, ...] = (), *, lifetime: int = TOKEN_LIFETIME,
        clock: Callable[[], float] = time.time, guesses: GuessBudget | None = None,
    ) -> None:
        self.keys = keys
        self.lifetime = lifetime
        self.clock = clock
        self.guesses = guesses if guesses is not None else GuessBudget()
        self._signers = [(key, _encode(key.id.encode()), signing_key(key)) for key in keys]

    @property
    def enabled(self) -> bool:
        """True when keys are configured (then every RPC but Authenticate needs a token)."""
        return bool(self.keys)

    def authenticate(self, entity: str, kind: str, secret: str, *, peer: str = "",
                     via: str = "Authenticate") -> str:
        """A new token for the key with id `entity` and this secret; UNAUTHENTICATED otherwise.

        A peer (guesses.peer_name) past its free wrong keys is refused unchecked while it waits."""
        wait = self.guesses.wait(peer, entity, via)
        if wait > 0:
            raise GRPCError(Status.UNAUTHENTICATED, "too many wrong API keys from this address: "
                            f"the next one is checked in {math.ceil(wait)} s")
        matched: tuple[str, bytes] | None = None
        for key, encoded_id, signer in self._signers:
            same_id = hmac.compare_digest(key.id.encode(), entity.encode())
            same_secret = hmac.compare_digest(key.secret.encode(), secret.encode())
            if same_id and same_secret:
                matched = encoded_id, signer
        if matched is None or kind != "api-key":
            self.guesses.failed(peer, entity, via)
            raise GRPCError(Status.UNAUTHENTICATED, WRONG_KEY)
        encoded_id, signer = matched
        issued = int(self.clock())
        nonce = _encode(secrets.token_bytes(16))
        claims = f"{TOKEN_VERSION}.{encoded_id}.{issued}.{issued + self.lifetime}.{nonce}"
        return f"{claims}.{_mac(signer, claims)}"

    def owner(self, metadata: Any) -> str:
        """The key id behind the request's bearer token; UNAUTHENTICATED if there is none."""
        header = (metadata or {}).get("authorization", "")
        scheme, _, token = header.partition(" ")
        key_id = self._verify(token) if scheme.lower() == "bearer" else None
        if key_id is None:
            raise GRPCError(
                Status.UNAUTHENTICATED,
                "an API key is required: authenticate (proto.rpc.v1.AuthService) and send "
                "'authorization: Bearer <token>'",
            )
        return key_id

    def _verify(self, token: str) -> str | None:
        """The key id a well-formed, correctly signed, unexpired token names; else None."""
        if len(token) > _MAX_TOKEN or not token.isascii():
            return None
        claims, _, mac = token.rpartition(".")
        parts = claims.split(".")
        if len(parts) != 5 or parts[0] != TOKEN_VERSION or not (
            parts[2].isdigit() and parts[3].isdigit()
        ):
            return None
        matched: str | None = None
        for key, encoded_id, signer in self._signers:  # every key, no early exit
            same_id = hmac.compare_digest(encoded_id.encode(), parts[1].encode())
            same_mac = hmac.compare_digest(_mac(signer, claims).encode(), mac.encode())
            if same_id and same_mac:
                matched = key.id
        now, issued, expires = self.clock(), int(parts[2]), int(parts[3])
        # A token from more than a lifetime ahead was issued under a clock since set back; one
        # living longer than the lifetime now configured was issued under a longer one.
        if matched is None or not now < expires <= now + self.lifetime or (
            expires - issued > self.lifetime
        ):
            return None
        return matched

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


def _mac(signer: bytes, claims: str) -> str:
    return _encode(hmac.new(signer, claims.encode(), hashlib.sha256).digest())


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
