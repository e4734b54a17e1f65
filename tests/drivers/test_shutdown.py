"""SIGTERM/SIGHUP to a real process: every motor pin is low before the process exits."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import textwrap

import pytest

CHILD = textwrap.dedent(
    """
    import atexit, json, sys, time
    from tether.fakes.sim import build_sim_rover
    from tether.drivers.shutdown import stop_on_exit

    sim = build_sim_rover(motors_per_side=2)
    factory = sim.devices["pins"]
    pins = sorted({p for m in sim.motors.values() for p in m.pins.values()})

    def report():
        states = {p: [factory.state(p), factory.fake_pin(p).function] for p in pins}
        print(json.dumps({"states": states, "duties": sim.duties()}), flush=True)

    atexit.register(report)  # registered first, so it runs after the guard's hook
    if sys.argv[1] == "guarded":
        stop_on_exit(sim.base, *sim.motors.values())
    sim.base.set_power(0.9, 0.0)
    print("driving", flush=True)
    time.sleep(30)
    """
)


def run_child(mode: str, signum: signal.Signals) -> tuple[int, list[str]]:
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, mode], stdout=subprocess.PIPE, text=True
    )
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "driving"
    child.send_signal(signum)
    out, _ = child.communicate(timeout=20)
    return child.returncode, out.splitlines()


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_signal_stops_every_motor_and_drives_pins_low_before_exit(
    signum: signal.Signals,
) -> None:
    code, lines = run_child("guarded", signum)
    assert code == 128 + signum
    report = json.loads(lines[-1])
    assert set(report["duties"].values()) == {0.0}
    assert report["states"], "the child reported its pins"
    for pin, (state, function) in report["states"].items():
        assert state == 0.0, f"GPIO{pin} left at {state}"
        assert function == "input", f"GPIO{pin} not released"


def test_without_the_guard_sigterm_skips_all_cleanup() -> None:
    """Why the guard exists: default SIGTERM runs no atexit hook, gpiozero's included."""
    code, lines = run_child("unguarded", signal.SIGTERM)
    assert code == -signal.SIGTERM
    assert lines == []
