"""Every fake lives in tether.fakes and is exported from it; the gamepad keeps its old paths."""

from __future__ import annotations

import importlib

import pytest

import tether.fakes
import tether.input
from tether.fakes.gamepad import FakeGamepad


@pytest.mark.parametrize("path", ["tether.input.fake", "tether.input", "tether.fakes"])
def test_the_fake_gamepad_is_the_same_class_on_every_path(path: str) -> None:
    assert importlib.import_module(path).FakeGamepad is FakeGamepad


@pytest.mark.parametrize("name", tether.fakes.__all__)
def test_every_name_tether_fakes_exports_is_importable(name: str) -> None:
    value = getattr(tether.fakes, name)
    assert value.__module__.startswith("tether.fakes.")


def test_the_input_package_still_lists_the_fake_gamepad() -> None:
    assert "FakeGamepad" in tether.input.__all__
