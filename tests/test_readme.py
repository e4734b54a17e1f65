"""The README's code runs as printed (with the mock pin factory instead of a Pi's)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"


def test_first_python_example_runs_on_mock_pins() -> None:
    block = re.search(r"```python\n(.*?)```", README.read_text(), re.S)
    assert block is not None
    code = block.group(1).replace('make_pin_factory("lgpio")', 'make_pin_factory("mock")')
    code += "\nassert not base.is_moving(), 'the session end stopped the base'\nprint('ok')\n"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


def test_readme_starts_with_the_two_fresh_clone_commands() -> None:
    lines = README.read_text().splitlines()
    commands = lines[lines.index("```sh") + 1 : lines.index("```sh") + 3]
    assert commands[0].endswith("tether demo")
    assert "pytest" in commands[1] and "mypy" in commands[1] and "ruff check" in commands[1]


def test_readme_links_into_the_site_resolve() -> None:
    """The README is short and points into docs/: every relative link names a file there."""
    links = re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", README.read_text())
    local = [link for link in links if "://" not in link]
    assert any(link.startswith("docs/") for link in local)
    missing = [link for link in local if not (README.parent / link).exists()]
    assert missing == []
