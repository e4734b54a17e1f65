"""Fault rows of the guardian: tether itself dies or hangs while a client drives every family.

Each row measures fault -> duty 0 on every output from the fakes' own histories; the hardware
outlives the daemon (tests/faults/guarded_rig.py).
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.faults.guarded_rig import (
    DEATH_TARGET,
    HANG_TIMEOUT,
    Hardware,
    Serve,
    all_safe_after,
    driving,
    gone,
    until,
)


@pytest.fixture
def hardware(tmp_path: Path) -> Iterator[Hardware]:
    made = Hardware(tmp_path)
    yield made
    made.close()


@pytest.fixture
def guarded(hardware: Hardware) -> Iterator[tuple[Serve, Hardware]]:
    """A guarded daemon with a client driving every motor at 0.5."""
    with driving(hardware) as serve:
        yield serve, hardware


@pytest.mark.parametrize("fault", [signal.SIGKILL, signal.SIGABRT],
                         ids=["SIGKILL", "abort"])
def test_daemon_death_makes_every_output_safe(guarded: tuple[Serve, Hardware],
                                              fault: signal.Signals) -> None:
    # abort: SIGABRT is what os.abort() raises in the daemon; it dies without any cleanup.
    serve, hardware = guarded
    died = time.monotonic()
    os.kill(serve.daemon_pid, fault)
    delay = all_safe_after(hardware, died)
    print(f"daemon {fault.name} -> every duty 0: {delay * 1000:.2f} ms")
    until(lambda: not any(hardware.gpio_levels().values()), 1.0,
          lambda: f"a direction pin left high: {hardware.gpio_levels()}")
    assert delay < 10 * DEATH_TARGET, f"{delay * 1000:.1f} ms (target {DEATH_TARGET * 1000:g} ms)"
    assert serve.process.wait(10) == 3, "restart = never: the guardian stays down, exit 3"


@pytest.mark.parametrize("hang", ["SIGSTOP", "event loop blocked", "watchdog thread ended"])
def test_daemon_hang_is_killed_and_every_output_made_safe(guarded: tuple[Serve, Hardware],
                                                          hang: str) -> None:
    serve, hardware = guarded
    signum = {"SIGSTOP": signal.SIGSTOP, "event loop blocked": signal.SIGUSR1,
              "watchdog thread ended": signal.SIGUSR2}[hang]
    hung = time.monotonic()
    os.kill(serve.daemon_pid, signum)
    delay = all_safe_after(hardware, hung)
    print(f"daemon hang ({hang}) -> every duty 0: {delay * 1000:.1f} ms")
    assert delay < HANG_TIMEOUT + 0.2, f"{delay * 1000:.0f} ms (hang timeout 200 ms + 20 ms)"
    gone(serve.daemon_pid)
    assert any("SIGKILL" in line for line in serve.lines), "".join(serve.lines)


def test_guardian_death_stops_the_daemon_and_it_exits(guarded: tuple[Serve, Hardware]) -> None:
    serve, hardware = guarded
    assert serve.guardian_pid is not None
    died = time.monotonic()
    os.kill(serve.guardian_pid, signal.SIGKILL)
    delay = all_safe_after(hardware, died)
    gone(serve.daemon_pid)
    print(f"guardian SIGKILL -> every duty 0 (by the daemon): {delay * 1000:.1f} ms")
    assert delay < 1.0, f"{delay * 1000:.0f} ms"


def test_without_the_guardian_a_dead_daemon_leaves_gpio_driving(hardware: Hardware) -> None:
    """The hazard the guardian exists for: pigpiod keeps PWM after its client dies, a PCA9685
    its registers; serial controllers stop only by their own timeout."""
    with driving(hardware, guardian=False) as serve:
        assert serve.guardian_pid is None
        died = time.monotonic()
        os.kill(serve.daemon_pid, signal.SIGKILL)
        time.sleep(1.0)
        duties = hardware.duties()
        assert all(duties[n] > 0.4 for n in ("left", "right", "hat_left", "hat_right")), duties
        zero = hardware.zero_since()
        for name in ("saber", "claw"):  # by their own 0.6 s timeout, not at once
            stopped = zero[name]
            assert stopped is not None and 0.3 < stopped - died < 1.0, (name, zero)


def test_a_restarted_daemon_serves_again_and_status_shows_what_the_guardian_did(
        tmp_path: Path) -> None:
    from tether.demo.guardian import SERVING
    from tether.status import show_status

    hardware = Hardware(tmp_path, restart="always")
    try:
        with driving(hardware) as serve:
            first = serve.daemon_pid
            os.kill(first, signal.SIGKILL)
            all_safe_after(hardware, time.monotonic())
            until(lambda: sum(bool(SERVING.search(line)) for line in serve.lines) >= 2, 30,
                  lambda: "no second daemon served:\n" + "".join(serve.lines))
            second = [m for m in map(SERVING.search, serve.lines) if m][-1]
            assert int(second[2]) != first and int(second[3]) == serve.guardian_pid
            report = show_status(second[1])
    finally:
        hardware.close()
    assert f"daemon pid {second[2]}, guardian pid {serve.guardian_pid}" in report, report
    assert "guardian's last actions" in report, report
    for output in ("GPIO12 (left) safe", "GPIO13 (right) safe", "all channels",
                   "[[serial]] 'saber'", "[[serial]] 'smc'"):
        assert output in report, report


def test_ctrl_c_reaches_the_guardian_alone_and_the_daemon_stops_gracefully(
        hardware: Hardware) -> None:
    """SIGINT to the terminal's process group: one orderly shutdown, every output at 0."""
    with driving(hardware) as serve:
        os.killpg(serve.process.pid, signal.SIGINT)
        assert serve.process.wait(20) == 0, "".join(serve.lines)
        gone(serve.daemon_pid)
        assert all(d == 0.0 for d in hardware.duties().values()), hardware.duties()
        assert not any("second signal" in line for line in serve.lines), "".join(serve.lines)
        assert any("stopped; every actuator stopped and released" in line
                   for line in serve.lines), "".join(serve.lines)
