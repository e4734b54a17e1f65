"""Fake hardware that behaves like the real devices, for CI and users' own tests."""

from tether.fakes.clock import FakeClock
from tether.fakes.motor import FakeMotor, PowerSample

__all__ = ["FakeClock", "FakeMotor", "PowerSample"]
