"""API keys and TLS: who may drive, whose session is whose, what is refused, and nothing moves.

Every daemon here listens on 127.0.0.1 (or is refused before it binds); no test sends traffic
anywhere else.
"""

from __future__ import annotations

import asyncio
import copy
import functools
import os
import secrets
import select
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest
from grpclib.client import Channel
from grpclib.const import Status
from grpclib.exceptions import GRPCError, StreamTerminatedError

from tether.client import AuthError, connect, connect_async
from tether.client.channel import open_channel
from tether.config import parse_config
from tether.demo_configs import DEMO_CONFIGS
from tether.errors import ConfigError, ConnectionLost
from tether.server.auth import is_local
from tether.server.background import BackgroundDaemon
from tether.server.daemon import Daemon
from tether.session import SessionManager
from tether.wire.proto.rpc.v1 import auth_grpc, auth_pb2
from tether.wire.tether.v1 import control_grpc, control_pb2
from tether.wire.viam.common.v1 import common_pb2
from tether.wire.viam.component.base.v1 import base_grpc, base_pb2
from tether.wire.viam.robot.v1 import robot_grpc, robot_pb2

T = TypeVar("T")
Metadata = dict[str, str] | list[tuple[str, str]] | None

BASE = {"name": "base", "left": ["left"], "right": ["right"], "width_mm": 160,
        "wheel_circumference_mm": 204}
EXPIRED = (Status.INVALID_ARGUMENT, "SESSION_EXPIRED")
VIAM_TLS_CLIENT = Path(__file__).resolve().parent / "clients" / "viam_tls.py"


# -- keys, configs, daemons ---------------------------------------------------------------------


@dataclass(frozen=True)
class Key:
    """An API key as a client holds it."""

    id: str
    secret: str

    @property
    def arg(self) -> str:
        """The 'ID:SECRET' form connect() takes."""
        return f"{self.id}:{self.secret}"


def new_key() -> Key:
    """A key whose id is a UUID (viam-sdk insists) and whose secret is random."""
    return Key(str(uuid.uuid4()), secrets.token_urlsafe(24))


def secret_file_entry(folder: Path, key: Key) -> dict[str, str]:
    """An [[auth.keys]] entry whose secret lives in a 0600 file (with a trailing newline)."""
    path = folder / f"{key.id}.secret"
    path.write_text(key.secret + "\n")
    path.chmod(0o600)
    return {"id": key.id, "secret_file": str(path)}


def rover_data(keys: list[dict[str, str]] | None = None, **server: Any) -> dict[str, Any]:
    """The embedded gpio two-motor rover ('base' over 'left'/'right') on 127.0.0.1:0."""
    data = copy.deepcopy(DEMO_CONFIGS["gpio"])
    data["base"] = [dict(BASE)]
    data["server"] = {"listen": "127.0.0.1:0", "heartbeat_window": 2.0, **server}
    if keys is not None:
        data["auth"] = {"keys": keys}
    return data


def manager(daemon: BackgroundDaemon) -> SessionManager:
    """The running daemon's session manager."""
    assert daemon.daemon.api is not None
    return daemon.daemon.api.sessions


def make_certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed P-256 certificate for 127.0.0.1/localhost (cert.pem, key.pem) in folder.

    Skips the calling test when the openssl CLI is missing.
    """
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("the openssl CLI is not installed: cannot make a test TLS certificate")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "2", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
        check=True, capture_output=True, timeout=30,
    )
    return cert, key


@pytest.fixture
def keys() -> tuple[Key, Key]:
    return new_key(), new_key()


@pytest.fixture
def keyed(tmp_path: Path, keys: tuple[Key, Key]) -> Iterator[BackgroundDaemon]:
    """A plaintext daemon on 127.0.0.1 with two API keys (secrets in files), window 2 s."""
    config = parse_config(
        rover_data([secret_file_entry(tmp_path, k) for k in keys]), "<test_auth: keyed>"
    )
    daemon = BackgroundDaemon(config, sim=True, listen="127.0.0.1:0")
    try:
        yield daemon
    finally:
        daemon.close()


class Wire:
    """Raw stubs on one plaintext channel, run from the test thread: no client-side checks."""

    def __init__(self, address: str) -> None:
        self.loop = asyncio.new_event_loop()

        async def open_() -> Channel:
            return open_channel(address)

        self.channel = self.loop.run_until_complete(open_())
        self.auth = auth_grpc.AuthServiceStub(self.channel)
        self.robot = robot_grpc.RobotServiceStub(self.channel)
        self.control = control_grpc.ControlServiceStub(self.channel)
        self.base = base_grpc.BaseServiceStub(self.channel)

    def run(self, call: Callable[[], Awaitable[T]], timeout: float = 5.0) -> T:
        return self.loop.run_until_complete(asyncio.wait_for(call(), timeout))

    def authenticate(self, entity: str, secret: str, kind: str = "api-key") -> str:
        request = auth_pb2.AuthenticateRequest(
            entity=entity, credentials=auth_pb2.Credentials(type=kind, payload=secret)
        )
        return self.run(lambda: self.auth.Authenticate(request)).access_token

    def bearer(self, key: Key) -> dict[str, str]:
        """Authorization metadata for a fresh token of key."""
        return {"authorization": f"Bearer {self.authenticate(key.id, key.secret)}"}

    def start_session(self, metadata: Metadata, resume: str = "") -> str:
        request = robot_pb2.StartSessionRequest(resume=resume)
        return self.run(lambda: self.robot.StartSession(request, metadata=metadata)).id

    def set_power(self, linear: float, metadata: Metadata = None) -> None:
        self.run(lambda: self.base.SetPower(set_power_request(linear), metadata=metadata))

    def close(self) -> None:
        self.channel.close()
        self.loop.run_until_complete(asyncio.sleep(0.01))  # let the transport finish closing
        self.loop.close()


def set_power_request(linear: float) -> base_pb2.SetPowerRequest:
    return base_pb2.SetPowerRequest(
        name="base", linear=common_pb2.Vector3(y=linear), angular=common_pb2.Vector3(z=0.0)
    )


def grpc_error(call: Callable[[], object]) -> tuple[Status, str]:
    """The (status, message) the call failed with; fails the test if it succeeded."""
    with pytest.raises(GRPCError) as error:
        call()
    return error.value.status, error.value.message or ""


@pytest.fixture
def wire(keyed: BackgroundDaemon) -> Iterator[Wire]:
    client = Wire(keyed.address)
    try:
        yield client
    finally:
        client.close()


# -- 1. missing key ---------------------------------------------------------------------------


def test_client_without_a_key_is_refused_at_connect(keyed: BackgroundDaemon) -> None:
    """connect() lists resources, and only Authenticate is exempt (as on Viam's server)."""
    with pytest.raises(AuthError, match="API key is required"):
        connect(keyed.address)
    assert manager(keyed).sessions() == []
    assert not keyed.moving()


def test_raw_calls_without_a_valid_bearer_token_are_unauthenticated_and_nothing_moves(
    keyed: BackgroundDaemon, wire: Wire, keys: tuple[Key, Key]
) -> None:
    owner = keys[0]
    token = wire.authenticate(owner.id, owner.secret)
    live = wire.start_session({"authorization": f"Bearer {token}"})  # a live session to aim at
    attempts: dict[str, Metadata] = {
        "no metadata": None,
        "an empty bearer token": {"authorization": "Bearer "},
        "a made-up token": {"authorization": f"Bearer {secrets.token_urlsafe(32)}"},
        "the key's secret as the token": {"authorization": f"Bearer {owner.secret}"},
        "a valid token under another scheme": {"authorization": f"Basic {token}"},
        "a valid token with no scheme": {"authorization": token},
        "a live session id alone": {"viam-sid": live},
        "a forged owner header": [("tether-owner", owner.id), ("viam-sid", live)],
    }
    for what, metadata in attempts.items():
        status, message = grpc_error(functools.partial(wire.set_power, 0.8, metadata))
        assert status == Status.UNAUTHENTICATED, what
        assert "authorization: Bearer" in message, what
    for what, call in {
        "ResourceNames": lambda: wire.run(
            lambda: wire.robot.ResourceNames(robot_pb2.ResourceNamesRequest())),
        "StartSession": lambda: wire.start_session(None),
        "SendSessionHeartbeat": lambda: wire.run(lambda: wire.robot.SendSessionHeartbeat(
            robot_pb2.SendSessionHeartbeatRequest(id=live))),
        "StopAll": lambda: wire.run(lambda: wire.robot.StopAll(robot_pb2.StopAllRequest())),
        "Status": lambda: wire.run(lambda: wire.control.Status(control_pb2.StatusRequest())),
    }.items():
        assert grpc_error(call)[0] == Status.UNAUTHENTICATED, what
    assert not keyed.moving()
    assert manager(keyed).owner_of("base") is None
    assert [s.id for s in manager(keyed).sessions()] == [live]


# -- 2. wrong secret, unknown key id --------------------------------------------------------------


def test_wrong_secret_or_unknown_key_id_is_refused_at_connect(
    keyed: BackgroundDaemon, wire: Wire, keys: tuple[Key, Key]
) -> None:
    a, b = keys
    attempts: dict[str, tuple[str, str] | str] = {
        "a wrong secret": (a.id, secrets.token_urlsafe(24)),
        "a wrong secret, 'ID:SECRET' form": f"{a.id}:{secrets.token_urlsafe(24)}",
        "an unknown key id with a real secret": (str(uuid.uuid4()), a.secret),
        "another key's secret": (a.id, b.secret),
        "the secret with one character changed": (a.id, a.secret[:-1] + chr(ord(a.secret[-1]) ^ 1)),
        "the secret plus one character": (a.id, a.secret + "x"),
        "an empty secret": (a.id, ""),
        "id and secret swapped": (a.secret, a.id),
    }
    for what, api_key in attempts.items():
        with pytest.raises(AuthError, match="unknown API key id or wrong secret"):
            connect(keyed.address, api_key=api_key)
            pytest.fail(f"connected with {what}")
    status, _ = grpc_error(lambda: wire.authenticate(a.id, a.secret, kind="password"))
    assert status == Status.UNAUTHENTICATED, "the right secret as another credential type"
    with connect(keyed.address, api_key=a.arg) as client:  # the control: the real key works
        assert list(client.status().sessions) == []
    assert not keyed.moving()


def test_a_refused_connect_leaves_no_connection_open_at_the_daemon(
    keyed: BackgroundDaemon, keys: tuple[Key, Key]
) -> None:
    assert keyed.daemon.api is not None
    tracker = keyed.daemon.api.tracker
    assert keyed.wait_until(lambda: tracker.open_connections == 0, 1.0)
    with pytest.raises(AuthError) as refused:  # (kept, as an application's log would keep it)
        connect(keyed.address, api_key=(keys[0].id, secrets.token_urlsafe(24)))
    assert refused.value is not None
    assert keyed.wait_until(lambda: tracker.open_connections == 0, 1.0), (
        f"{tracker.open_connections} connection(s) left open by a refused connect()")


# -- 3. another key's session id ------------------------------------------------------------------


def test_another_keys_token_with_a_sessions_id_is_session_expired_and_the_owner_keeps_the_base(
    keyed: BackgroundDaemon, wire: Wire, keys: tuple[Key, Key]
) -> None:
    a, b = keys
    with connect(keyed.address, api_key=a.arg) as client, client.session(5.0) as session:
        client.base("base").set_power(0.4, 0.0)
        driving = keyed.duties()
        assert all(d > 0 for d in driving.values())
        owner = manager(keyed).owner_of("base")
        assert owner is not None and (owner.id, owner.owner) == (session.id, a.id)

        b_auth = wire.bearer(b)
        hijacks: dict[str, Metadata] = {
            "B's token, A's session id": {**b_auth, "viam-sid": session.id},
            "... plus forged owner headers": [
                ("authorization", b_auth["authorization"]), ("viam-sid", session.id),
                ("tether-owner", a.id), ("tether-owner", a.id),
            ],
        }
        for what, metadata in hijacks.items():
            assert grpc_error(functools.partial(wire.set_power, -0.9, metadata)) == EXPIRED, what
        heartbeat = robot_pb2.SendSessionHeartbeatRequest(id=session.id)
        assert grpc_error(lambda: wire.run(
            lambda: wire.robot.SendSessionHeartbeat(heartbeat, metadata=b_auth))) == EXPIRED
        end = control_pb2.EndSessionRequest(id=session.id)
        assert grpc_error(lambda: wire.run(
            lambda: wire.control.EndSession(end, metadata=b_auth))) == EXPIRED
        assert wire.start_session(b_auth, resume=session.id) != session.id, "B cannot resume it"

        assert keyed.duties() == driving
        assert manager(keyed).owner_of("base") is owner
        assert session.heartbeat() > 4.0, "A's session is alive and still heartbeats"
        client.base("base").set_power(0.2, 0.0)
        assert keyed.duties()["left"] == pytest.approx(0.2), "A still drives"
    assert keyed.wait_until(lambda: not keyed.moving(), 1.0), "leaving A's session stopped it"


# -- 4. brute force -------------------------------------------------------------------------------


def test_500_random_session_ids_with_a_valid_token_are_all_session_expired_and_nothing_moves(
    keyed: BackgroundDaemon, wire: Wire, keys: tuple[Key, Key]
) -> None:
    a, b = keys
    with connect(keyed.address, api_key=a.arg) as client, client.session(5.0) as session:
        auth = wire.bearer(b)  # an attacker holding a valid key of its own
        guesses = [str(uuid.uuid4()) for _ in range(500)]
        assert session.id not in guesses
        limit = asyncio.Semaphore(50)

        async def guess(sid: str) -> tuple[Status, str] | None:
            async with limit:
                try:
                    await wire.base.SetPower(set_power_request(1.0),
                                             metadata={**auth, "viam-sid": sid})
                except GRPCError as error:
                    return error.status, error.message or ""
                return None

        async def guess_all() -> list[tuple[Status, str] | None]:
            return await asyncio.gather(*(guess(sid) for sid in guesses))

        answers = wire.run(guess_all, timeout=30)
        assert answers == [EXPIRED] * len(guesses)
        assert not keyed.moving()
        assert manager(keyed).owner_of("base") is None
        assert [s.id for s in manager(keyed).sessions()] == [session.id], "no session was made"


# -- 5. listening beyond loopback -----------------------------------------------------------------


@pytest.mark.parametrize("listen", ["0.0.0.0:0", "[::]:0"])
def test_listening_beyond_loopback_without_keys_is_refused_before_binding(listen: str) -> None:
    daemon = Daemon(parse_config(rover_data(), "<no keys>"), sim=True, listen=listen)

    async def attempt() -> str:
        try:
            bound = await daemon.start()
        except ConfigError as refused:
            return str(refused)
        await daemon.stop()
        pytest.fail(f"listened on {bound} without API keys")

    message = asyncio.run(attempt())
    assert listen in message and "needs API keys" in message and "[[auth.keys]]" in message
    assert (daemon.robot, daemon.bound) == (None, ""), "refused before building or binding"


def test_loopback_and_unix_socket_without_keys_are_allowed(tmp_path: Path) -> None:
    config = parse_config(rover_data(), "<no keys>")
    socket = f"unix:{tmp_path / 'tether.sock'}"
    for listen, bound in (("127.0.0.1:0", "127.0.0.1:"), (socket, socket)):
        daemon = BackgroundDaemon(config, sim=True, listen=listen)
        try:
            assert daemon.address.startswith(bound) and daemon.address != "127.0.0.1:0"
        finally:
            daemon.close()


@pytest.mark.parametrize(
    ("address", "local"),
    [(("127.0.0.1", 8080), True), (("127.0.0.2", 0), True), (("::1", 8080), True),
     (("localhost", 8080), True), ("/run/tether/tether.sock", True),
     (("0.0.0.0", 8080), False), (("::", 8080), False), (("192.0.2.1", 8080), False),
     (("localhost.example.com", 8080), False), (("rover.local", 8080), False)],
)
def test_is_local_is_true_only_for_loopback_and_unix_sockets(
    address: tuple[str, int] | str, local: bool
) -> None:
    assert is_local(address) is local


# -- 6. config errors -----------------------------------------------------------------------------


UNSET = "TETHER_TEST_AUTH_UNSET_SECRET"
SHORT = "short-secret-15"  # 15 characters
STRONG = secrets.token_urlsafe(24)


def _write(path: Path, text: str) -> str:
    """A file only its owner can read (as tether requires of secret and key files)."""
    path.write_text(text)
    path.chmod(0o600)
    return str(path)


CONFIG_ERRORS: dict[str, tuple[Callable[[Path], dict[str, Any]], str, str]] = {
    "secret_env naming an unset variable": (
        lambda tmp: {"auth": {"keys": [{"id": "k", "secret_env": UNSET}]}},
        f"[[auth.keys]] #1.secret_env = '{UNSET}'", "set, non-empty environment variable"),
    "a missing secret_file": (
        lambda tmp: {"auth": {"keys": [{"id": "k", "secret_file": str(tmp / "nope")}]}},
        "[[auth.keys]] #1.secret_file = ", "a readable file (No such file or directory)"),
    "a secret_file shorter than 16 characters": (
        lambda tmp: {"auth": {"keys": [{"id": "k", "secret_file": _write(tmp / "s", SHORT)}]}},
        "[[auth.keys]] #1.secret_file = ", "at least 16 characters"),
    "a short secret_file padded with whitespace to over 16": (
        lambda tmp: {"auth": {"keys": [
            {"id": "k", "secret_file": _write(tmp / "s", f"  {SHORT}\n\n")}]}},
        "[[auth.keys]] #1.secret_file = ", "at least 16 characters"),
    "both secret_file and secret_env": (
        lambda tmp: {"auth": {"keys": [{"id": "k", "secret_env": "HOME",
                                        "secret_file": _write(tmp / "s", STRONG)}]}},
        "[[auth.keys]] #1.secret_file", "exactly one of secret_file or secret_env"),
    "neither secret_file nor secret_env": (
        lambda tmp: {"auth": {"keys": [{"id": "k"}]}},
        "[[auth.keys]] #1.secret_file", "exactly one of secret_file or secret_env"),
    "the second key's problem names the second key": (
        lambda tmp: {"auth": {"keys": [
            {"id": "k1", "secret_file": _write(tmp / "ok", STRONG)},
            {"id": "k2", "secret_env": UNSET}]}},
        f"[[auth.keys]] #2.secret_env = '{UNSET}'", "environment variable"),
    "tls_cert without tls_key": (
        lambda tmp: {"server": {"listen": "127.0.0.1:0", "tls_cert": str(tmp / "cert.pem")}},
        "[server].tls_key = '<missing>'", "both tls_cert and tls_key, or neither"),
    "tls_key without tls_cert": (
        lambda tmp: {"server": {"listen": "127.0.0.1:0", "tls_key": str(tmp / "key.pem")}},
        "[server].tls_cert = '<missing>'", "both tls_cert and tls_key, or neither"),
}


@pytest.mark.parametrize("case", list(CONFIG_ERRORS))
def test_config_error_names_the_key(
    case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(UNSET, raising=False)
    build, where, expected = CONFIG_ERRORS[case]
    with pytest.raises(ConfigError) as error:
        parse_config({**rover_data(), **build(tmp_path)}, "rover.toml")
    message = str(error.value)
    assert message.startswith("rover.toml: "), message
    assert where in message and expected in message, message
    assert SHORT not in message, "the error never shows a secret"


def test_secret_env_set_but_empty_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(UNSET, "")
    with pytest.raises(ConfigError, match=r"#1\.secret_env = 'TETHER_TEST_AUTH_UNSET_SECRET'"):
        parse_config({**rover_data(), "auth": {"keys": [{"id": "k", "secret_env": UNSET}]}})


def test_secret_env_shorter_than_16_characters_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(UNSET, "hunter2")
    with pytest.raises(ConfigError, match="at least 16 characters"):
        parse_config({**rover_data(), "auth": {"keys": [{"id": "k", "secret_env": UNSET}]}})


def test_secrets_load_from_file_and_env_and_never_show_in_the_config_repr(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from_file, from_env = new_key(), new_key()
    monkeypatch.setenv(UNSET, from_env.secret)
    config = parse_config({**rover_data(), "auth": {"keys": [
        secret_file_entry(tmp_path, from_file), {"id": from_env.id, "secret_env": UNSET}]}})
    assert [(k.id, k.secret) for k in config.keys] == [
        (from_file.id, from_file.secret), (from_env.id, from_env.secret)
    ], "the file's trailing newline is stripped"
    assert from_file.secret not in repr(config) and from_env.secret not in repr(config)


def test_unreadable_tls_files_are_a_config_error_when_the_config_is_read(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"\[server\]\.tls_cert = '.*cert\.pem': expected a "
                                          r"readable PEM file \(No such file"):
        parse_config(rover_data(tls_cert=str(tmp_path / "cert.pem"),
                                tls_key=str(tmp_path / "key.pem")), "rover.toml")


def test_tls_files_that_are_not_pem_are_a_config_error_when_the_config_is_read(
    tmp_path: Path
) -> None:
    cert, key = _write(tmp_path / "cert.pem", "not a certificate"), _write(tmp_path / "key.pem", "")
    with pytest.raises(ConfigError, match=r"\[server\]\.tls_cert = '.*cert\.pem': expected a "
                                          "PEM certificate for the key in tls_key"):
        parse_config(rover_data(tls_cert=cert, tls_key=key), "rover.toml")


def test_tls_files_gone_after_the_check_are_a_config_error_before_anything_starts(
    tmp_path: Path
) -> None:
    cert, key = make_certificate(tmp_path)
    config = parse_config(rover_data(tls_cert=str(cert), tls_key=str(key)), "rover.toml")
    cert.unlink()
    daemon = Daemon(config, sim=True)
    with pytest.raises(ConfigError, match=r"\[server\]\.tls_cert/tls_key = .*cert\.pem"):
        asyncio.run(daemon.start())
    assert (daemon.robot, daemon.bound) == (None, "")


# -- 7. TLS -------------------------------------------------------------------------------------


@dataclass
class TlsRover:
    daemon: BackgroundDaemon
    key: Key
    ca: str  # the daemon's self-signed certificate, as the client's CA file


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return make_certificate(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def tls_rover(tmp_path: Path, certificate: tuple[Path, Path]) -> Iterator[TlsRover]:
    """A TLS daemon on 127.0.0.1 with one key (UUID id, secret in a file), window 0.5 s."""
    cert, key_file = certificate
    key = new_key()
    data = rover_data([secret_file_entry(tmp_path, key)], heartbeat_window=0.5,
                      tls_cert=str(cert), tls_key=str(key_file))
    daemon = BackgroundDaemon(parse_config(data, "<test_auth: tls>"), sim=True,
                              listen="127.0.0.1:0")
    try:
        yield TlsRover(daemon, key, str(cert))
    finally:
        daemon.close()


def test_tether_client_over_tls_drives_in_a_session_and_leaving_the_block_stops_the_rover(
    tls_rover: TlsRover,
) -> None:
    # The asyncio client here; the blocking one over TLS is tested below.
    daemon, key = tls_rover.daemon, tls_rover.key

    async def drive() -> None:
        client = await connect_async(daemon.address, api_key=key.arg, tls=tls_rover.ca)
        async with client:
            async with client.session(heartbeat_window=2.0) as session:
                await client.base("base").set_power(0.5, 0.0)
                assert daemon.duties() == {"left": pytest.approx(0.5),
                                           "right": pytest.approx(0.5)}
                owner = manager(daemon).owner_of("base")
                assert owner is not None and (owner.id, owner.owner) == (session.id, key.id)
            left = time.monotonic()
            while daemon.moving() and time.monotonic() - left < 1.0:
                await asyncio.sleep(0.001)
            assert daemon.duties() == {"left": 0.0, "right": 0.0}, "leaving the block stopped it"
            assert manager(daemon).sessions() == []

    asyncio.run(drive())


def test_closing_a_blocking_tls_client_touches_its_transport_only_from_its_own_loop(
    tls_rover: TlsRover, monkeypatch: pytest.MonkeyPatch
) -> None:
    daemon, key = tls_rover.daemon, tls_rover.key
    monkeypatch.setenv("PYTHONASYNCIODEBUG", "1")  # the client's loop checks its thread
    client = connect(daemon.address, api_key=key.arg, tls=tls_rover.ca)
    try:
        client.close()
    finally:  # the bug leaves the client's loop thread running: stop it (test-only access)
        loop = client._loop.loop
        if not loop.is_closed():
            loop.call_soon_threadsafe(client._inner.close)
            client._loop.close()


def _read_line(process: subprocess.Popen[str], timeout: float) -> str:
    assert process.stdout is not None
    ready, _, _ = select.select([process.stdout], [], [], timeout)
    return process.stdout.readline().strip() if ready else ""


def test_viam_sdk_over_tls_with_an_api_key_drives_and_its_sigkill_stops_the_rover_at_once(
    tls_rover: TlsRover,
) -> None:
    pytest.importorskip("viam")
    daemon, key = tls_rover.daemon, tls_rover.key
    client = subprocess.Popen(
        [sys.executable, str(VIAM_TLS_CLIENT), daemon.address, key.id, "0.5"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "TETHER_TEST_API_SECRET": key.secret},
    )
    try:
        line = _read_line(client, 20)
        if line != "driving":
            client.kill()
            _, err = client.communicate(timeout=10)
            pytest.fail(f"viam-sdk client did not start: {line!r}\n{err[-3000:]}")
        assert daemon.wait_until(daemon.moving, 5)
        (session,) = manager(daemon).sessions()
        assert session.owner == key.id, "the session belongs to the key id"
        time.sleep(0.3)  # let its heartbeat connection settle
        assert daemon.moving()
        killed = time.monotonic()
        client.send_signal(signal.SIGKILL)
        assert daemon.wait_until(lambda: not daemon.moving(), 5)
        stopped = daemon.stopped_at()
        assert stopped is not None
        assert stopped - killed < 0.25, f"stopped {stopped - killed:.3f} s after SIGKILL"
        assert manager(daemon).sessions() == []
    finally:
        if client.poll() is None:
            client.kill()
        client.communicate(timeout=10)


def test_plaintext_and_untrusting_clients_get_nothing_from_the_tls_daemon(
    tls_rover: TlsRover,
) -> None:
    daemon, key = tls_rover.daemon, tls_rover.key
    started = time.monotonic()
    with pytest.raises(ConnectionLost):
        connect(daemon.address, api_key=key.arg)  # cleartext HTTP/2 to a TLS port
    with pytest.raises(ConnectionLost, match="CERTIFICATE_VERIFY_FAILED"):
        connect(daemon.address, api_key=key.arg, tls=True)  # system CAs: self-signed refused
    wire = Wire(daemon.address)
    try:
        with pytest.raises((StreamTerminatedError, ConnectionError)):
            wire.set_power(0.9, {"viam-sid": str(uuid.uuid4())})
    finally:
        wire.close()
    assert time.monotonic() - started < 5, "failed fast, not by a timeout"
    assert not daemon.moving()
    assert manager(daemon).sessions() == []

    async def control() -> list[tuple[str, str]]:
        async with await connect_async(daemon.address, api_key=key.arg, tls=tls_rover.ca) as ok:
            return await ok.resource_names()

    assert ("base", "base") in asyncio.run(control()), "the daemon still serves TLS"
