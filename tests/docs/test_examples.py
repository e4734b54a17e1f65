"""Every code example on the site runs, on the simulator, as printed.

Python blocks run in a fresh interpreter: one that connects to 127.0.0.1:8080 finds a simulated
daemon of examples/rover.toml there, and `make_pin_factory("lgpio")` becomes "mock" (the only
two changes). TOML configs build on the fakes and drive; every `tether ...` command parses with
the CLI's own parser. A block marked `<!-- example: hardware -->` needs a Pi or another host:
it is compiled or parsed, not run.
"""

from __future__ import annotations

import shlex
import subprocess
import sys
import tomllib

import pytest

from tests.docs.blocks import ROOT, Block, site_blocks
from tether.cli import _build_parser
from tether.config import parse_config
from tether.robot import build_robot

DAEMON_ADDRESS = '"127.0.0.1:8080"'
ON_A_PI, ON_FAKES = 'make_pin_factory("lgpio")', 'make_pin_factory("mock")'


def ids(block: Block) -> str:
    return block.where


@pytest.mark.parametrize("block", site_blocks("python"), ids=ids)
def test_python_example_runs_on_the_simulator(block: Block) -> None:
    code = compile(block.text, block.where, "exec")
    assert code is not None
    if not block.runnable:
        return
    script = block.text.replace(ON_A_PI, ON_FAKES)
    if DAEMON_ADDRESS not in script:
        run(block, script)
        return
    from tests.server.harness import DaemonThread

    daemon = DaemonThread()
    try:
        run(block, script.replace(DAEMON_ADDRESS, repr(daemon.address)))
        assert daemon.wait_until(lambda: not daemon.moving(), 3), "the rover was left moving"
        api = daemon.daemon.api
        assert api is not None
        assert api.sessions.recent_stops(), "the example never drove the simulated rover"
    finally:
        daemon.close()


def run(block: Block, script: str) -> None:
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=60, check=False, cwd=ROOT)
    assert done.returncode == 0, f"{block.where} exited {done.returncode}:\n{done.stderr}"


@pytest.mark.parametrize("block", site_blocks("toml"), ids=ids)
def test_toml_example_parses_and_configs_drive_in_sim(block: Block) -> None:
    data = tomllib.loads(block.text)
    if "motor" not in data or not block.runnable:
        return
    robot = build_robot(parse_config(data, block.where), sim=True)
    try:
        assert robot.bases, f"{block.where}: a rover config without a [[base]]"
        for base in robot.bases.values():
            base.set_power(0.4, 0.0)
            assert base.is_moving()
            base.stop()
            assert not base.is_moving()
    finally:
        robot.close()


@pytest.mark.parametrize("block", site_blocks("sh"), ids=ids)
def test_tether_commands_parse(block: Block) -> None:
    parser = _build_parser()
    for line in block.text.splitlines():
        for argv in tether_commands(line):
            try:
                parser.parse_args(argv)
            except SystemExit as exc:  # --help/--version exit 0; a bad argument exits 2
                assert exc.code == 0, f"{block.where}: tether {shlex.join(argv)}: refused"


def tether_commands(line: str) -> list[list[str]]:
    """The arguments of each `tether` (or `.venv/bin/tether`) command on a shell line."""
    words = shlex.split(line, comments=True)
    commands, current = [], list[str]()
    for word in [*words, "&&"]:
        if word in ("&&", "||", ";", "|"):
            if current and current[0].rsplit("/", 1)[-1] == "tether":
                commands.append(current[1:])
            current = []
        else:
            current.append(word)
    return commands


def test_the_site_has_examples_of_each_kind() -> None:
    """The collection itself works: the pages' blocks are found, runnable ones included."""
    runnable = [b for b in site_blocks("python") if b.runnable]
    assert len(runnable) >= 5
    assert any(DAEMON_ADDRESS in b.text for b in runnable)
    assert sum("[[motor]]" in b.text for b in site_blocks("toml")) >= 5
    assert any(tether_commands(line) for b in site_blocks("sh") for line in b.text.splitlines())
