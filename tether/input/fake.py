"""Moved to tether.fakes.gamepad (every fake lives in tether.fakes); this keeps the old path."""

from tether.fakes.gamepad import FakeGamepad

__all__ = ["FakeGamepad"]
