"""A faked machine tree per test."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.doctor.trees import Tree


@pytest.fixture
def tree(tmp_path: Path) -> Tree:
    """An empty machine: no model, no cmdline, no devices, a normal user `pi`."""
    return Tree(tmp_path)
