"""The guess budget: doubling waits per peer, a bounded table, one log line per peer a minute."""

from __future__ import annotations

import logging
import time

import pytest

from tether.server.guesses import FREE_FAILURES, MAX_PEERS, MAX_WAIT, GuessBudget, peer_name


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_each_wrong_key_past_the_free_ones_doubles_the_wait_up_to_a_cap() -> None:
    clock = Clock()
    budget = GuessBudget(clock=clock)
    for _ in range(FREE_FAILURES):
        assert budget.wait("192.0.2.7") == 0.0
        budget.failed("192.0.2.7", "k")
    assert budget.wait("192.0.2.7") == 0.0, "the free ones cost nothing"
    waits = []
    for _ in range(12):
        budget.failed("192.0.2.7", "k")
        waits.append(budget.wait("192.0.2.7"))
        for _ in range(50):  # hammering while it waits neither is checked nor extends the wait
            assert budget.wait("192.0.2.7") == waits[-1]
        clock.now += waits[-1]
        assert budget.wait("192.0.2.7") == 0.0
    assert waits == [1, 2, 4, 8, 16, 32, 64, 128, 256, MAX_WAIT, MAX_WAIT, MAX_WAIT]
    assert budget.wait("192.0.2.8") == 0.0, "another peer"


def test_a_peer_quiet_for_a_quarter_of_an_hour_starts_again_and_the_table_stays_bounded() -> None:
    clock = Clock()
    budget = GuessBudget(clock=clock)
    for _ in range(FREE_FAILURES + 1):
        budget.failed("192.0.2.7", "k")
    assert budget.wait("192.0.2.7") > 0
    clock.now += 15 * 60
    assert budget.wait("192.0.2.7") == 0.0
    budget.failed("192.0.2.7", "k")
    assert budget.wait("192.0.2.7") == 0.0, "forgotten: its count started again"
    started = time.monotonic()
    for n in range(3 * MAX_PEERS):
        budget.failed(f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}", "k")
    assert len(budget) == MAX_PEERS, "the peers quiet for longest were forgotten"
    assert time.monotonic() - started < 5.0


def test_a_storm_of_wrong_keys_logs_one_line_per_peer_per_minute(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="tether.server")
    clock = Clock()
    budget = GuessBudget(clock=clock)
    for _second in range(120):
        for _ in range(100):
            if budget.wait("192.0.2.7", "k" * 500) == 0:
                budget.failed("192.0.2.7", "k" * 500)
        budget.failed("198.51.100.1", "other")
        clock.now += 1
    lines = [r.getMessage() for r in caplog.records]
    mine = [line for line in lines if "192.0.2.7" in line]
    assert len(mine) == 2 and len(lines) == 4, lines
    assert "in the last 60 s" in mine[1] and "refused unchecked" in mine[1]
    assert "'kkkkkkkkkk" in mine[0] and "(500 characters)" in mine[0] and "k" * 41 not in mine[0]


@pytest.mark.parametrize(("address", "peer"), [
    (("192.0.2.7", 5000), "192.0.2.7"),
    (("::ffff:192.0.2.7", 5000, 0, 0), "192.0.2.7"),
    (("2001:db8:1:2:aaaa::1", 5000, 0, 0), "2001:db8:1:2::/64"),
    (("2001:db8:1:2:bbbb::9", 6000, 0, 0), "2001:db8:1:2::/64"),
    ("", "unix socket"),
    ("127.0.0.1", "127.0.0.1"),
    (None, "unknown peer"),
])
def test_failures_count_per_ipv4_address_per_ipv6_64_and_for_the_unix_socket(
    address: object, peer: str
) -> None:
    assert peer_name(address) == peer
