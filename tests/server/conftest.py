"""Daemon fixtures."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.server.harness import DaemonThread


@pytest.fixture
def daemon() -> Iterator[DaemonThread]:
    running = DaemonThread()
    yield running
    running.close()
