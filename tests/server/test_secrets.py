"""Secrets a guesser would try first, key ids that can't be told apart, and files others can read.

Every refusal is a ConfigError that names the file, the key and what fixes it; none shows a
secret. Nothing here opens a socket.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

import pytest

from tests.server.test_auth import make_certificate, new_key, rover_data
from tether.config import parse_config
from tether.errors import ConfigError

ENV = "TETHER_TEST_SECRETS_SECRET"
KEY_ID = "0f6e6a52-3f5c-4d8e-9a59-6f1b1b7e1c2a"
WEAK = {
    "sixteen a's": "a" * 16,
    "two letters repeated": "ab" * 8,
    "a word repeated": "rover1" * 3,
    "the alphabet": "abcdefghijklmnop",
    "digits in a row": "1234567890123456",
    "digits counting down": "9876543210987654",
    "a password and digits": "password12345678",
    "the README's classic": "correct-horse-battery-staple",
    "keyboard rows": "qwertyuiopasdfgh",
    "two runs of one letter": "aaaaaaaabbbbbbbb",
    "case changes only": "aAaAaAaAaAaAaAaAaA",
    "mostly one letter": "aaaaaaaaaaaaaX7q",
}


def private(path: Path, text: str, mode: int = 0o600) -> str:
    path.write_text(text)
    path.chmod(mode)
    return str(path)


def with_keys(*entries: dict[str, Any]) -> dict[str, Any]:
    return {**rover_data(), "auth": {"keys": list(entries)}}


def refusal(data: dict[str, Any]) -> str:
    with pytest.raises(ConfigError) as error:
        parse_config(data, "rover.toml")
    return str(error.value)


@pytest.mark.parametrize("what", list(WEAK))
def test_an_obviously_weak_secret_is_refused_naming_the_key_id_never_the_secret(
    what: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = WEAK[what]
    monkeypatch.setenv(ENV, secret)
    path = private(tmp_path / "laptop.key", secret + "\n")
    for entry, key in (({"secret_file": path}, "secret_file"), ({"secret_env": ENV}, "secret_env")):
        message = refusal(with_keys({"id": KEY_ID, **entry}))
        assert f"[[auth.keys]] #1.{key} = " in message, message
        assert f"a secret for key id '{KEY_ID}' that is hard to guess" in message, message
        assert "openssl rand -base64 32" in message
        assert secret not in message and secret.lower() not in message.lower()


def test_random_secrets_of_sixteen_characters_and_more_are_accepted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    made = [secrets.token_urlsafe(12) for _ in range(150)] + [
        secrets.token_hex(16) for _ in range(150)] + [secrets.token_urlsafe(32) for _ in range(50)]
    for index, secret in enumerate(made):
        monkeypatch.setenv(ENV, secret)
        config = parse_config(with_keys({"id": f"k{index}", "secret_env": ENV}))
        assert config.keys[0].secret == secret


@pytest.mark.parametrize("key_id", ["", " ", "laptop key", "laptop\n", "\tlaptop", "lap\x00top",
                                    "lap\x1btop", "k" * 129])
def test_an_empty_key_id_or_one_with_spaces_or_control_characters_is_refused(
    key_id: str, tmp_path: Path
) -> None:
    path = private(tmp_path / "laptop.key", secrets.token_urlsafe(24))
    message = refusal(with_keys({"id": key_id, "secret_file": path}))
    assert "[[auth.keys]] #1.id = " in message, message
    assert "1 to 128 printable characters without spaces" in message, message


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660, 0o620], ids=oct)
def test_a_secret_file_others_can_read_is_refused_with_the_chmod_that_fixes_it(
    mode: int, tmp_path: Path
) -> None:
    key = new_key()
    path = private(tmp_path / "laptop key.secret", key.secret, mode)
    message = refusal(with_keys({"id": key.id, "secret_file": path}))
    assert f"[[auth.keys]] #1.secret_file = '{path}'" in message, message
    assert f"mode {mode:04o}" in message
    assert f"chmod 600 '{path}'" in message, "quoted: the path has a space"
    assert key.secret not in message


@pytest.mark.parametrize("mode", [0o600, 0o400], ids=oct)
def test_a_secret_file_only_its_owner_can_read_is_accepted(mode: int, tmp_path: Path) -> None:
    key = new_key()
    path = private(tmp_path / "laptop.key", key.secret + "\n", mode)
    assert parse_config(with_keys({"id": key.id, "secret_file": path})).keys[0].secret == (
        key.secret)


@pytest.mark.parametrize("mode", [0o644, 0o640], ids=oct)
def test_a_tls_private_key_others_can_read_is_refused_with_the_chmod_that_fixes_it(
    mode: int, tmp_path: Path
) -> None:
    cert, key = make_certificate(tmp_path)
    key.chmod(mode)
    message = refusal(rover_data(tls_cert=str(cert), tls_key=str(key)))
    assert f"[server].tls_key = '{key}'" in message, message
    assert f"mode {mode:04o}" in message and f"chmod 600 {key}" in message, message
    key.chmod(0o600)
    cert.chmod(0o644)  # the certificate is public
    assert parse_config(rover_data(tls_cert=str(cert), tls_key=str(key))).server.tls_key == str(
        key)
