"""Connection caps sized from the fd limit, peers counted by address, refusals logged sparingly."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest

from tether.errors import ConfigError
from tether.server.admission import (
    FD_SPARE,
    LISTEN_BACKLOG,
    MAX_CONNECTIONS,
    MAX_CONNECTIONS_PER_PEER,
    ConnectionLimits,
    ThrottledWarning,
    peer_key,
)

UNIT = Path(__file__).resolve().parent.parent.parent / "examples" / "tether.service"


def test_caps_keep_room_below_systemds_default_fd_limit() -> None:
    limits = ConnectionLimits.for_fd_limit(1024, in_use=30)
    kept = 30 + 2 * (LISTEN_BACKLOG + 1) + FD_SPARE
    assert limits.max_connections == 1024 - kept
    assert limits.max_per_peer == MAX_CONNECTIONS_PER_PEER


def test_a_high_fd_limit_still_caps_connections() -> None:
    limits = ConnectionLimits.for_fd_limit(1 << 20, in_use=30)
    assert limits.max_connections == MAX_CONNECTIONS


def test_an_fd_limit_that_leaves_no_room_is_an_error_naming_it() -> None:
    with pytest.raises(ConfigError, match=r"RLIMIT_NOFILE = 100: expected at least \d+ file"):
        ConnectionLimits.for_fd_limit(100, in_use=30)


def test_the_systemd_unit_raises_the_fd_limit_enough_for_the_full_caps() -> None:
    found = re.search(r"^LimitNOFILE=(\d+)$", UNIT.read_text(), re.M)
    assert found is not None, "examples/tether.service leaves systemd's 1024 fds"
    assert ConnectionLimits.for_fd_limit(int(found.group(1)), in_use=64).max_connections == (
        MAX_CONNECTIONS
    )


@pytest.mark.parametrize(("host", "key"), [
    ("192.0.2.7", "192.0.2.7"),
    ("::ffff:192.0.2.7", "192.0.2.7"),
    ("2001:db8:1:2::1", "2001:db8:1:2::/64"),
    ("2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"),
    ("fe80::1%eth0", "fe80::/64"),
])
def test_peers_are_counted_by_address_and_ipv6_by_its_64(host: str, key: str) -> None:
    assert peer_key(host) == key


def test_a_thousand_refusals_write_one_line_that_counts_the_rest(
    caplog: pytest.LogCaptureFixture,
) -> None:
    log = logging.getLogger("tether.test_admission")
    warning = ThrottledWarning(log, interval=3600)
    with caplog.at_level(logging.WARNING, logger=log.name):
        for n in range(1000):
            warning.note(f"refused {n}")
    assert [r.getMessage() for r in caplog.records] == ["refused 0"]
    warning._last -= 3600  # an interval later
    with caplog.at_level(logging.WARNING, logger=log.name):
        warning.note("refused again")
    assert caplog.records[-1].getMessage() == "refused again (999 more since the last such line)"


class _Stranger:
    """Just what ConnectionBudget reads of a connection."""

    def __init__(self, peer: str) -> None:
        self.peer, self.counted, self.trusted, self.closed = peer, True, False, False
        self.doorway = type("Door", (), {"port": "gRPC"})()

    def close_now(self) -> bool:
        self.closed = True
        return True


def test_strangers_hold_at_most_max_untrusted_connections_and_a_keyed_one_still_gets_in() -> None:
    """Before: strangers on many addresses could hold every slot up to the total (918 at 1024
    fds, RSS +22.9 MiB in bench/attack_bench.py); now they hold max_untrusted, oldest idle
    evicted first, and connections that showed a key never count against it."""
    from tether.server.admission import ConnectionBudget

    budget = ConnectionBudget(ConnectionLimits(max_connections=10, max_per_peer=10,
                                               max_untrusted=4))
    strangers = []
    for n in range(4):
        assert budget.admit(f"192.0.2.{n}", "gRPC")
        stranger = _Stranger(f"192.0.2.{n}")
        strangers.append(stranger)
        budget.idle(stranger, evictable=True)  # type: ignore[arg-type]
    assert budget.admit("192.0.2.9", "gRPC"), "a fifth stranger gets in by evicting the oldest"
    assert strangers[0].closed and not strangers[1].closed
    assert budget.untrusted == 4
    strangers[1].counted = True
    budget.trusted(strangers[1])  # type: ignore[arg-type]  # it authenticated
    strangers[1].trusted = True
    assert budget.untrusted == 3
    for stranger in strangers[2:]:
        budget.idle(stranger, evictable=False)  # type: ignore[arg-type]  # busy
    budget.idle(strangers[1], evictable=False)  # type: ignore[arg-type]
    assert budget.admit("192.0.2.10", "gRPC")  # 3 untrusted + 1: at the cap
    assert not budget.admit("192.0.2.11", "gRPC"), "no idle stranger to evict: refused"
    assert budget.total == 5  # 4 admitted, 1 evicted, 2 more (one trusted among them)
