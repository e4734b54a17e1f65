"""The whole doctor: the report, its exit codes, off a Pi, and on this machine's own paths."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.doctor.trees import PI4, Tree
from tether.doctor import (
    EXIT_FAILURE,
    EXIT_SAFETY,
    Finding,
    Machine,
    Severity,
    exit_code,
    main,
    run_checks,
)

ROOT = Path(__file__).resolve().parents[2]
ROVER = str(ROOT / "examples" / "rover.toml")  # two GPIO motors on lgpio


def _finding(severity: Severity) -> Finding:
    return Finding("x", severity, "seen")


@pytest.mark.parametrize(("severities", "code"), [
    ((), 0),
    ((Severity.OK, Severity.INFO, Severity.WARNING), 0),
    ((Severity.OK, Severity.FAILURE), EXIT_FAILURE),
    ((Severity.FAILURE, Severity.SAFETY, Severity.WARNING), EXIT_SAFETY),
])
def test_a_safety_finding_wins_the_exit_code_then_a_failure(
    severities: tuple[Severity, ...], code: int,
) -> None:
    assert exit_code([_finding(s) for s in severities]) == code


def _healthy_pi(tree: Tree) -> None:
    """A Pi 4 set up as the README says: lines return to inputs, devices usable."""
    tree.model(PI4)
    tree.cmdline("console=tty1 root=PARTUUID=1234-02 quiet")
    tree.parameter("pinctrl_bcm2835", "persist_gpio_outputs", "N")
    tree.config_txt("dtparam=i2c_arm=on\ndtparam=strict_gpiod\n")
    tree.device("gpiochip0")
    (tree.root / "work").chmod(0o770)


def test_a_healthy_pi_exits_0_and_says_nothing_to_fix(
    tree: Tree, capsys: pytest.CaptureFixture[str],
) -> None:
    _healthy_pi(tree)
    assert main(ROVER, tree.machine()) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"tether doctor on {PI4}, as pi\n")
    assert "  ok       gpio release: released GPIO lines return to inputs" in out
    assert out.rstrip().endswith("nothing to fix: exit 0")


def test_a_stock_kernel_exits_1_and_prints_the_fix(
    tree: Tree, capsys: pytest.CaptureFixture[str],
) -> None:
    _healthy_pi(tree)
    (tree.root / "sys" / "module" / "pinctrl_bcm2835" / "parameters" /
     "persist_gpio_outputs").write_text("Y\n")
    assert main(ROVER, tree.machine()) == EXIT_SAFETY
    out = capsys.readouterr().out
    assert "  SAFETY   gpio release: released GPIO lines stay driven" in out
    assert "           fix: dtparam=strict_gpiod is set (" in out
    assert out.rstrip().endswith("1 safety finding: exit 1")


def test_a_missing_device_exits_2(tree: Tree) -> None:
    _healthy_pi(tree)
    (tree.root / "dev" / "gpiochip0").unlink()
    findings = run_checks(ROVER, tree.machine())
    assert [f.check for f in findings if f.severity is Severity.FAILURE] == ["gpio devices"]
    assert exit_code(findings) == EXIT_FAILURE


def test_a_bad_config_fails_and_every_other_check_still_runs(tree: Tree, tmp_path: Path) -> None:
    _healthy_pi(tree)
    bad = tmp_path / "bad.toml"
    bad.write_text("[gpio]\npin_factory = \"lgpoi\"\n")
    findings = run_checks(str(bad), tree.machine())
    assert findings[0].severity is Severity.FAILURE
    assert "pin_factory" in findings[0].says and "lgpoi" in findings[0].says
    assert {"board", "gpio release", "gpio devices", "LG_WD", "i2c", "serial"} <= {
        f.check for f in findings}


def test_off_a_pi_the_doctor_says_so_and_checks_what_it_can(
    tree: Tree, capsys: pytest.CaptureFixture[str],
) -> None:
    tree.model("QEMU Virtual Machine")
    (tree.root / "work").chmod(0o770)
    assert main(None, tree.machine()) == 0
    out = capsys.readouterr().out
    assert "  info     board: not a Raspberry Pi (QEMU Virtual Machine): checking what applies " \
           "on any machine" in out
    assert "  info     gpio release: not a Raspberry Pi" in out
    assert "  ok       LG_WD: " in out


def test_a_simulated_config_needs_nothing_from_the_machine(tree: Tree) -> None:
    findings = run_checks(str(ROOT / "examples" / "rover.toml"), tree.machine())
    assert any(f.check == "gpio devices" and f.severity is Severity.FAILURE for f in findings)
    sim = ROOT / "examples" / "rover.toml"
    text = sim.read_text().replace("[server]", "sim = true\n\n[server]", 1)
    simulated = tree.write("sim.toml", text)
    findings = run_checks(str(simulated), tree.machine())
    assert "simulated hardware" in findings[0].says
    assert exit_code(findings) == 0


def test_on_this_machines_real_paths_the_cli_agrees_with_the_checks() -> None:
    """`tether doctor` as a user runs it, here: its exit code is the one its findings give."""
    for config in ([], [ROVER]):
        expected = run_checks(config[0] if config else None, Machine(cwd=ROOT))
        done = subprocess.run([sys.executable, "-m", "tether.cli", "doctor", *config],
                              capture_output=True, text=True, timeout=60, check=False, cwd=ROOT)
        assert done.returncode == exit_code(expected), done.stdout + done.stderr
        lines = done.stdout.splitlines()
        assert len(lines) >= len(expected) + 2
        for finding in expected:
            assert f"  {finding.severity.value:<8} {finding.check}: " in done.stdout
        if not Machine().is_pi():
            assert "not a Raspberry Pi" in done.stdout
            assert not any(f.check == "gpio release" and f.severity is Severity.SAFETY
                           for f in expected)
