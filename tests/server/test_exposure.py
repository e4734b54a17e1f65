"""API keys beyond loopback need TLS, unless the config accepts plaintext (then a loud warning).

A daemon that listens on 0.0.0.0 must never do so on this machine's network, not even on the
commit before this rule (where it would start): every `tether serve` here runs inside a network
namespace of its own (`unshare -rn`), whose only interface is its own loopback (brought up:
--sim reaches its fake pigpiod over TCP on 127.0.0.1, as pigpio reaches pigpiod on a Pi). Each
process is bounded in time and killed if it is still running.
"""

from __future__ import annotations

import functools
import select
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.server.test_auth import make_certificate, new_key, rover_data, secret_file_entry
from tether.robot.toml_text import to_toml

EXITED_WITHIN = 20.0
STARTED_WITHIN = 20.0
#: argv prefix, inside the namespace: bring its own loopback up, then run the rest.
LOOPBACK_UP = ("sh", "-c", 'ip link set lo up && exec "$@"', "sh")


@functools.cache
def namespaces_unavailable() -> str | None:
    """Why `unshare -rn` cannot run a command in a private network namespace here, or None."""
    unshare = shutil.which("unshare")
    if unshare is None:
        return "needs unshare (util-linux) to run the daemon in a private network namespace"
    if shutil.which("ip") is None:
        return "needs the `ip` command (iproute2) to bring the namespace's loopback up"
    probe = subprocess.run([unshare, "-rn", *LOOPBACK_UP, "true"], capture_output=True,
                           text=True, timeout=10, check=False)
    if probe.returncode != 0:
        return f"`unshare -rn` fails here: {probe.stderr.strip()}"
    return None


@dataclass
class Outcome:
    """What `tether serve` did in its namespace: started (and what it said) or exited."""

    started: bool
    exit_code: int | None
    stdout: str
    stderr: str


def serve_in_namespace(folder: Path, config: dict[str, Any], listen: str) -> Outcome:
    """`tether serve CONFIG --sim --listen LISTEN` in a private network namespace, then SIGTERM."""
    why = namespaces_unavailable()
    if why is not None:
        pytest.skip(why)
    path = folder / "rover.toml"
    path.write_text(to_toml(config))
    process = subprocess.Popen(
        ["unshare", "-rn", *LOOPBACK_UP, sys.executable, "-m", "tether.cli", "serve", str(path),
         "--sim", "--listen", listen],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    assert process.stdout is not None
    try:
        deadline = time.monotonic() + STARTED_WITHIN
        first = ""
        while time.monotonic() < deadline and process.poll() is None and not first:
            ready, _, _ = select.select([process.stdout], [], [], 0.1)
            if ready:
                first = process.stdout.readline()
        started = "tether: serving" in first
        if started or process.poll() is None:
            process.terminate()
        out, err = process.communicate(timeout=EXITED_WITHIN)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate(timeout=10)
    return Outcome(started, None if started else process.returncode, first + out, err)


def keyed(folder: Path, **server: Any) -> dict[str, Any]:
    """The sim rover with one API key (secret in a 0600 file) and these [server] settings."""
    return rover_data([secret_file_entry(folder, new_key())], **server)


def test_keys_without_tls_beyond_loopback_are_refused_before_binding(tmp_path: Path) -> None:
    outcome = serve_in_namespace(tmp_path, keyed(tmp_path), "0.0.0.0:0")
    assert not outcome.started, f"listened on 0.0.0.0 with keys in clear: {outcome.stdout!r}"
    assert outcome.exit_code == 2, outcome
    assert "listening on 0.0.0.0:0 (beyond this machine) with API keys needs TLS" in (
        outcome.stderr), outcome.stderr
    assert "tls_cert" in outcome.stderr and "allow_plaintext_keys = true" in outcome.stderr
    assert len(outcome.stderr.strip().splitlines()) == 1, "one line, no traceback"


def test_the_drive_page_beyond_loopback_with_keys_needs_tls_too(tmp_path: Path) -> None:
    config = keyed(tmp_path)
    config["web"] = {"enabled": True, "listen": "0.0.0.0:0"}
    outcome = serve_in_namespace(tmp_path, config, "127.0.0.1:0")
    assert not outcome.started, f"the drive page took keys in clear: {outcome.stdout!r}"
    assert outcome.exit_code == 2, outcome
    assert "0.0.0.0:0 (the drive page)" in outcome.stderr and "needs TLS" in outcome.stderr


def test_plaintext_keys_start_when_the_config_says_so_with_a_loud_warning(tmp_path: Path) -> None:
    outcome = serve_in_namespace(tmp_path, keyed(tmp_path, allow_plaintext_keys=True),
                                 "0.0.0.0:0")
    assert outcome.started, outcome
    warnings = [line for line in outcome.stderr.splitlines() if "INSECURE" in line]
    assert len(warnings) == 1, outcome.stderr
    assert "WARNING" in warnings[0] and "0.0.0.0:0" in warnings[0]
    assert "in clear" in warnings[0] and "tls_cert" in warnings[0]


def test_keys_with_tls_beyond_loopback_start_without_a_warning(tmp_path: Path) -> None:
    cert, key = make_certificate(tmp_path)
    outcome = serve_in_namespace(
        tmp_path, keyed(tmp_path, tls_cert=str(cert), tls_key=str(key)), "0.0.0.0:0")
    assert outcome.started, outcome
    assert "INSECURE" not in outcome.stderr


def test_loopback_with_keys_and_no_tls_starts_without_a_warning(tmp_path: Path) -> None:
    outcome = serve_in_namespace(tmp_path, keyed(tmp_path), "127.0.0.1:0")
    assert outcome.started, outcome
    assert "INSECURE" not in outcome.stderr


def test_allow_plaintext_keys_must_be_a_boolean(tmp_path: Path) -> None:
    from tether.config import parse_config
    from tether.errors import ConfigError

    with pytest.raises(ConfigError, match=r"\[server\]\.allow_plaintext_keys = 'yes': expected a "
                                          "boolean"):
        parse_config(keyed(tmp_path, allow_plaintext_keys="yes"), "rover.toml")


def test_tether_check_refuses_keys_without_tls_beyond_loopback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tether.cli import main

    path = tmp_path / "rover.toml"
    path.write_text(to_toml(keyed(tmp_path, listen="0.0.0.0:8080")))  # check binds nothing
    assert main(["check", str(path)]) == 2
    assert "with API keys needs TLS" in capsys.readouterr().err
