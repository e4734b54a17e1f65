"""Hardware drivers behind one Resource contract; backends are imported only when chosen."""

from tether.drivers.resource import Actuator, Resource

__all__ = ["Actuator", "Resource"]
