"""The contract every tether resource (motor, base, ...) implements, so sessions can stop it."""

from __future__ import annotations

from typing import Protocol, runtime_checkable


@runtime_checkable
class Resource(Protocol):
    """A named thing the session layer can stop; drivers, fakes and test doubles all qualify."""

    @property
    def name(self) -> str:
        """The configured name clients use to address this resource."""
        ...

    def stop(self) -> None:
        """Stop all motion now; fast, idempotent, never raises for 'already stopped'."""
        ...

    def is_moving(self) -> bool:
        """Whether the resource is currently commanded to move."""
        ...

    def close(self) -> None:
        """Stop first, then release the hardware; idempotent."""
        ...


@runtime_checkable
class Actuator(Resource, Protocol):
    """A resource that moves something physical; the ones a shutdown must stop."""
