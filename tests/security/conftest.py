"""Fixtures of the attack tests: a keyed `tether serve --sim` process on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.security.rig import KeyedDaemon, start_keyed_daemon


@pytest.fixture
def keyed_daemon(tmp_path: Path) -> Iterator[KeyedDaemon]:
    """A daemon process with one API key and a 1 s heartbeat window; SIGTERMed after."""
    daemon = start_keyed_daemon(tmp_path, window=1.0)
    try:
        yield daemon
    finally:
        daemon.close()
