"""[auth] and the secrets a config points at: key ids, secrets hard to guess, files kept private.

A secret is refused when it is short or obviously guessable; a secret file or TLS private key
that its group or other users can read is refused with the `chmod` that fixes it. No error ever
shows a secret; they name the file, the key id and what was expected.
"""

from __future__ import annotations

import os
import shlex
import stat
from dataclasses import dataclass, field

from tether.errors import ConfigError
from tether.robot.table import NUMBER, Table

MIN_SECRET = 16
#: Characters of a secret that no simple rule predicts from the ones before it (see surprises()).
MIN_UNPREDICTABLE = 6
MAX_KEY_ID = 128
#: Seconds a bearer token is valid unless [auth] token_lifetime says otherwise: long enough for a
#: day's viam-sdk app (it never renews its token; tether's own client renews at half-life).
DEFAULT_TOKEN_LIFETIME = 24 * 3600
TOKEN_LIFETIME_RANGE = (60, 7 * 24 * 3600)
MAKE_SECRET = "openssl rand -base64 32"
#: Lower-cased strings a guesser tries first: common passwords, keyboard rows, examples from docs.
WELL_KNOWN = (
    "correct-horse-battery-staple", "correcthorsebatterystaple", "qwertyuiop", "asdfghjkl",
    "zxcvbnm", "password", "passw0rd", "changeme", "letmein", "iloveyou", "welcome", "secret",
    "example", "default", "tether", "hunter2", "monkey", "dragon", "master", "admin", "rover",
    "qwerty", "azerty", "test",
)


@dataclass(frozen=True)
class ApiKey:
    """An API key: clients authenticate with its id and secret; sessions belong to the id."""

    id: str
    secret: str = field(repr=False)


def parse_auth(table: Table) -> tuple[tuple[ApiKey, ...], int]:
    """[auth]: the API keys ([[auth.keys]]) and the bearer tokens' lifetime in seconds."""
    table.only({"keys", "token_lifetime"})
    low, high = TOKEN_LIFETIME_RANGE
    lifetime = table.get("token_lifetime", NUMBER, DEFAULT_TOKEN_LIFETIME)
    if not low <= lifetime <= high:
        raise table.fail("token_lifetime", f"seconds in [{low}, {high}] (1 minute to 7 days)")
    keys = []
    for index, data in enumerate(table.get("keys", list, [])):
        entry = Table(table.source, f"[[auth.keys]] #{index + 1}", data)
        entry.only({"id", "secret_file", "secret_env"})
        key_id = _key_id(entry)
        path, env = entry.get("secret_file", str), entry.get("secret_env", str)
        if (path is None) == (env is None):
            raise entry.fail("secret_file", "exactly one of secret_file or secret_env")
        name = "secret_env" if env is not None else "secret_file"
        secret = _from_env(entry, str(env)) if env is not None else _from_file(entry, str(path))
        why = weakness(secret)
        if why is not None:
            raise entry.fail(name, f"a secret for key id {key_id!r} that is hard to guess "
                                   f"({why}); make one with `{MAKE_SECRET}`")
        keys.append(ApiKey(key_id, secret))
    ids = [k.id for k in keys]
    if len(set(ids)) != len(ids):
        raise ConfigError(f"{table.source}: [[auth.keys]]: an id is used twice")
    return tuple(keys), int(lifetime)


def _key_id(entry: Table) -> str:
    key_id: str = entry.get("id", str, required=True)
    if not key_id or len(key_id) > MAX_KEY_ID or not key_id.isprintable() or any(
        c.isspace() for c in key_id
    ):
        raise entry.fail("id", f"1 to {MAX_KEY_ID} printable characters without spaces "
                               "(viam-sdk wants a UUID)")
    return key_id


def _from_env(entry: Table, env: str) -> str:
    value = os.environ.get(env, "").strip()
    if not value:
        raise entry.fail("secret_env", "the name of a set, non-empty environment variable")
    return value


def _from_file(entry: Table, path: str) -> str:
    try:
        data = read_private(path)
    except OSError as exc:
        raise entry.fail("secret_file", f"a readable file ({exc.strerror})") from exc
    except SharedFile as exc:
        raise entry.fail("secret_file", str(exc)) from None
    try:
        return data.decode().strip()
    except UnicodeDecodeError:
        raise entry.fail("secret_file", "a file holding a UTF-8 text secret") from None


class SharedFile(Exception):
    """A file that should be private is readable or writable by its group or other users."""


def read_private(path: str) -> bytes:
    """The bytes of a file only its owner may access; SharedFile (with the fix) otherwise."""
    with open(path, "rb") as handle:
        refuse_shared(path, os.fstat(handle.fileno()).st_mode)
        return handle.read()


def check_private(path: str) -> None:
    """SharedFile unless only the file's owner may access it (OSError if it is missing)."""
    refuse_shared(path, os.stat(path).st_mode)


def refuse_shared(path: str, mode: int) -> None:
    """SharedFile naming the mode and the chmod that fixes it, if group or others have access."""
    if stat.S_IMODE(mode) & 0o077:
        raise SharedFile(
            f"a file only its owner can read (mode {stat.S_IMODE(mode):04o} lets its group or "
            f"other users at it; fix: chmod 600 {shlex.quote(path)})"
        )


def weakness(secret: str) -> str | None:
    """Why a secret is obviously guessable (never quoting it), or None if it is not."""
    if len(secret) < MIN_SECRET:
        return f"{len(secret)} characters; it needs at least {MIN_SECRET} characters"
    unpredictable = surprises(_without_well_known(secret.lower()))
    if unpredictable < MIN_UNPREDICTABLE:
        return (f"only {unpredictable} of its characters are unpredictable, expected at least "
                f"{MIN_UNPREDICTABLE}: it repeats characters, runs like 'abcd' or '1234', or "
                "holds well-known words")
    return None


def surprises(text: str) -> int:
    """Characters that neither repeat one of the four before them nor step by one from the last.

    A random 16-character base64 secret has about 14; 'aaaa...', 'abab...', 'abcdef...',
    '12345...' have 0 or 1; a random 16-digit number has fewer than 6 one time in twenty."""
    count = 0
    for index in range(1, len(text)):
        char, previous = text[index], text[index - 1]
        if char in text[max(0, index - 4):index] or abs(ord(char) - ord(previous)) == 1:
            continue
        count += 1
    return count


def _without_well_known(text: str) -> str:
    for word in sorted(WELL_KNOWN, key=len, reverse=True):  # a phrase before its words
        text = text.replace(word, "")
    return text


def private_file(table: Table, key: str, path: str) -> None:
    """Refuse (naming the key) a private-key file that its group or other users can read."""
    try:
        check_private(path)
    except OSError as exc:
        raise table.fail(key, f"a readable PEM file ({exc.strerror})") from None
    except SharedFile as exc:
        raise table.fail(key, str(exc)) from None
