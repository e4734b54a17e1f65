"""Fixtures of the fault matrix: in-process daemons, child processes, network namespaces."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.faults.netns import NetPair, net_pair, unavailable
from tests.faults.rig import Processes, build
from tether.server.background import BackgroundDaemon

MakeDaemon = Callable[[dict[str, Any]], BackgroundDaemon]


@pytest.fixture
def processes() -> Iterator[Processes]:
    """Child processes of the test: killed (even if stopped) and reaped afterwards."""
    started = Processes()
    yield started
    started.close()


@pytest.fixture
def make_daemon() -> Iterator[MakeDaemon]:
    """In-process daemons on 127.0.0.1 (ephemeral port) over the config's fakes; closed after."""
    running: list[BackgroundDaemon] = []

    def make(config: dict[str, Any]) -> BackgroundDaemon:
        daemon = BackgroundDaemon(build(config), sim=True, listen="127.0.0.1:0")
        running.append(daemon)
        return daemon

    yield make
    for daemon in reversed(running):
        daemon.close()


@pytest.fixture
def net() -> Iterator[NetPair]:
    """Two fresh network namespaces joined by a veth pair; skipped where that is impossible."""
    reason = unavailable()
    if reason is not None:
        pytest.skip(f"network namespaces unavailable: {reason}")
    with net_pair() as pair:
        yield pair


@pytest.fixture
def ns_processes(net: NetPair) -> Iterator[Processes]:
    """Processes inside `net`'s namespaces: reaped before the namespaces are deleted."""
    started = Processes()
    yield started
    started.close()
