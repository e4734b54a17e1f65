"""The command value checks, where drivers first defined them; they live in tether.contract now."""

from tether.contract.checks import (
    MAX_MOVE_SECONDS,
    check_duration,
    check_finite,
    check_number,
    check_option,
)

__all__ = ["MAX_MOVE_SECONDS", "check_duration", "check_finite", "check_number", "check_option"]
