"""Bearer tokens: only Authenticate is exempt, tokens survive a restart and die with their key.

Every daemon here listens on 127.0.0.1; no test sends traffic anywhere else.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from grpclib.const import Status
from grpclib.exceptions import GRPCError

from tests.faults.rig import HostedDaemon, Processes, free_port, wait_for
from tests.server.test_auth import (
    VIAM_TLS_CLIENT,
    Key,
    Wire,
    grpc_error,
    make_certificate,
    new_key,
    rover_data,
    secret_file_entry,
)
from tether.client import connect
from tether.config import ApiKey, parse_config
from tether.server.auth import TOKEN_LIFETIME, Authenticator
from tether.server.background import BackgroundDaemon
from tether.wire.viam.robot.v1 import robot_pb2

#: viam-sdk re-checks ResourceNames every 10 s; a restarted daemon must have it driving again
#: well inside a few of those (measured: the next command after the restart, < 1 s).
RECOVERY_BOUND = 30.0


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


# -- ResourceNames is not exempt --------------------------------------------------------------


def resource_names(wire: Wire, metadata: dict[str, str] | None) -> list[str]:
    response = wire.run(lambda: wire.robot.ResourceNames(
        robot_pb2.ResourceNamesRequest(), metadata=metadata))
    return [r.name for r in response.resources]


def test_resource_names_needs_a_token_when_keys_are_configured_and_nothing_otherwise(
    tmp_path: Path,
) -> None:
    """Viam's server exempts only Authenticate; viam-sdk notices a stale token only when its
    periodic ResourceNames fails, so ResourceNames must refuse a client without a valid one."""
    key = new_key()
    keyed = BackgroundDaemon(parse_config(rover_data([secret_file_entry(tmp_path, key)])),
                             listen="127.0.0.1:0")
    try:
        wire = Wire(keyed.address)
        try:
            status, message = grpc_error(lambda: resource_names(wire, None))
            assert status == Status.UNAUTHENTICATED and "authorization: Bearer" in message
            stale = bearer("tether1.bm9wZQ.99999999999.AAAA.AAAA")
            assert grpc_error(lambda: resource_names(wire, stale))[0] == Status.UNAUTHENTICATED
            token = wire.authenticate(key.id, key.secret)  # Authenticate itself needs no token
            assert "base" in resource_names(wire, bearer(token))
        finally:
            wire.close()
    finally:
        keyed.close()
    open_daemon = BackgroundDaemon(parse_config(rover_data()), listen="127.0.0.1:0")
    try:
        wire = Wire(open_daemon.address)
        try:
            assert set(resource_names(wire, None)) == {"base", "left", "right"}
        finally:
            wire.close()
    finally:
        open_daemon.close()


# -- tokens as values: no state, bounded life, revoked with their key -------------------------


class Clock:
    """A settable wall clock for an Authenticator."""

    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def api_key(key: Key) -> ApiKey:
    return ApiKey(key.id, key.secret)


def owner_of(authenticator: Authenticator, token: str) -> str | Status:
    """The key id the token authenticates as, or the status it is refused with."""
    try:
        return authenticator.owner(bearer(token))
    except GRPCError as error:
        return error.status


def test_a_token_is_accepted_by_a_new_authenticator_with_the_same_keys() -> None:
    """What a restarted daemon holds: the same config, no memory of the tokens it issued."""
    a, b = new_key(), new_key()
    keys = (api_key(a), api_key(b))
    token = Authenticator(keys).authenticate(b.id, "api-key", b.secret)
    assert owner_of(Authenticator(keys), token) == b.id
    assert owner_of(Authenticator((api_key(b),)), token) == b.id, "other keys do not matter"


def test_rotating_the_secret_or_removing_the_key_revokes_its_tokens() -> None:
    a, b = new_key(), new_key()
    token = Authenticator((api_key(a), api_key(b))).authenticate(a.id, "api-key", a.secret)
    rotated = Authenticator((ApiKey(a.id, new_key().secret), api_key(b)))
    assert owner_of(rotated, token) == Status.UNAUTHENTICATED
    assert owner_of(Authenticator((api_key(b),)), token) == Status.UNAUTHENTICATED


def test_a_token_expires_after_its_lifetime_and_one_from_a_clock_set_back_is_refused() -> None:
    key = new_key()
    clock = Clock()
    authenticator = Authenticator((api_key(key),), clock=clock)
    token = authenticator.authenticate(key.id, "api-key", key.secret)
    clock.now += TOKEN_LIFETIME - 1
    assert owner_of(authenticator, token) == key.id
    clock.now += 1
    assert owner_of(authenticator, token) == Status.UNAUTHENTICATED, "expired"
    clock.now -= TOKEN_LIFETIME + 3600  # the clock was an hour fast when the token was issued
    assert owner_of(authenticator, token) == Status.UNAUTHENTICATED, "expiry beyond a lifetime"


def test_altered_or_malformed_tokens_are_refused() -> None:
    a, b = new_key(), new_key()
    authenticator = Authenticator((api_key(a), api_key(b)))
    token = authenticator.authenticate(a.id, "api-key", a.secret)
    version, encoded_id, issued, expires, nonce, mac = token.split(".")
    b_id = authenticator.authenticate(b.id, "api-key", b.secret).split(".")[1]
    flipped = mac[:-2] + ("A" if mac[-2] != "A" else "B") + mac[-1]
    forgeries = {
        "another key's id": ".".join([version, b_id, issued, expires, nonce, mac]),
        "a later expiry": ".".join(
            [version, encoded_id, issued, str(int(expires) + 60), nonce, mac]),
        "an earlier issue time": ".".join(
            [version, encoded_id, str(int(issued) - 60), expires, nonce, mac]),
        "another nonce": ".".join([version, encoded_id, issued, expires, "A" + nonce[1:], mac]),
        "one MAC character changed": ".".join(
            [version, encoded_id, issued, expires, nonce, flipped]),
        "no MAC": ".".join([version, encoded_id, issued, expires, nonce, ""]),
        "another version": ".".join(["tether1", encoded_id, issued, expires, nonce, mac]),
        "the old format": ".".join(["tether1", encoded_id, expires, nonce, mac]),
        "a negative expiry": ".".join([version, encoded_id, issued, "-1", nonce, mac]),
        "an extra part": f"{token}.x",
        "non-ASCII": token[:-1] + "é",
        "a huge token": token + "A" * 5000,
        "the secret itself": a.secret,
        "empty": "",
    }
    assert owner_of(authenticator, token) == a.id
    for what, forged in forgeries.items():
        assert owner_of(authenticator, forged) == Status.UNAUTHENTICATED, what


# -- viam-sdk, unchanged, across a daemon restart ------------------------------------------------


@pytest.fixture
def processes() -> Iterator[Processes]:
    started = Processes()
    yield started
    started.close()


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return make_certificate(tmp_path_factory.mktemp("tls"))


class ViamClient:
    """tests/server/clients/viam_tls.py in loop mode; a thread collects its stdout lines."""

    def __init__(self, address: str, key: Key, linear: float) -> None:
        self.process = subprocess.Popen(
            [sys.executable, str(VIAM_TLS_CLIENT), address, key.id, str(linear), "loop"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env={**os.environ, "TETHER_TEST_API_SECRET": key.secret},
        )
        self.lines: list[str] = []
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line.strip())

    def close(self) -> str:
        """Kill it; its stderr (the SDK's log)."""
        if self.process.poll() is None:
            self.process.kill()
        _, err = self.process.communicate(timeout=10)
        return err


def restart(daemon: HostedDaemon, folder: Path, config: dict[str, Any]) -> HostedDaemon:
    """What `systemctl restart` does: SIGTERM, wait for the exit, start the same config again."""
    daemon.signal(signal.SIGTERM)
    assert daemon.process.wait(20) == 0, daemon.errors[-5:]
    folder.mkdir()
    return HostedDaemon(folder, config, daemon.address)


def test_keyed_viam_sdk_drives_again_after_a_daemon_restart(
    tmp_path: Path, certificate: tuple[Path, Path], processes: Processes
) -> None:
    """`tether serve` (TLS, one API key) is restarted: its motors stop and its connections
    close; a new process serves the same config on the same port. viam-sdk keeps the token it
    got at connect and logs in again only when its 10 s ResourceNames check fails (and even
    then its component clients keep the old token), so the same RobotClient drives again only
    if the new daemon accepts the old token: signed, not remembered."""
    pytest.importorskip("viam")
    key = new_key()
    cert, key_file = certificate
    config = rover_data([secret_file_entry(tmp_path, key)], heartbeat_window=0.5,
                        tls_cert=str(cert), tls_key=str(key_file))
    (tmp_path / "first").mkdir()
    daemon = HostedDaemon(tmp_path / "first", config, f"127.0.0.1:{free_port()}")
    processes.add(daemon)
    client = ViamClient(daemon.address, key, 0.3)
    try:
        assert wait_for(lambda: daemon.timeline.duty("left") == 0.3, 20) is not None, (
            f"viam-sdk never drove: {client.lines[-3:]}")
        stopping = time.monotonic()
        daemon = restart(daemon, tmp_path / "second", config)
        processes.add(daemon)
        restarted = time.monotonic()
        recovered = wait_for(lambda: daemon.timeline.duty("left") == 0.3, RECOVERY_BOUND, 0.005)
        seen = client.lines[-3:]
        assert recovered is not None, f"not driving {RECOVERY_BOUND:g} s after the restart: {seen}"
        print(f"viam-sdk drove again {recovered - stopping:.3f} s after SIGTERM, "
              f"{recovered - restarted:.3f} s after the new daemon was ready")
        assert client.process.poll() is None, "the same client process"
        with connect(daemon.address, api_key=key.arg, tls=str(cert)) as rover:
            assert [s.owner for s in rover.status().sessions] == [key.id], "its new session"
    finally:
        log = client.close()
    assert not any("UNAUTHENTICATED" in line for line in client.lines), log[-2000:]
