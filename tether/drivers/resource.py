"""The Resource contract, where drivers first defined it; it lives in tether.contract now."""

from tether.contract.resource import Actuator, Resource

__all__ = ["Actuator", "Resource"]
