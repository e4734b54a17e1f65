"""Moved to tether.robot.auth; this module keeps the old import path working."""

from tether.robot.auth import (
    DEFAULT_TOKEN_LIFETIME,
    MAKE_SECRET,
    MAX_KEY_ID,
    MIN_SECRET,
    MIN_UNPREDICTABLE,
    TOKEN_LIFETIME_RANGE,
    WELL_KNOWN,
    ApiKey,
    SharedFile,
    check_private,
    parse_auth,
    private_file,
    read_private,
    refuse_shared,
    surprises,
    weakness,
)

__all__ = ["DEFAULT_TOKEN_LIFETIME", "MAKE_SECRET", "MAX_KEY_ID", "MIN_SECRET",
           "MIN_UNPREDICTABLE", "TOKEN_LIFETIME_RANGE", "WELL_KNOWN", "ApiKey", "SharedFile",
           "check_private", "parse_auth", "private_file", "read_private", "refuse_shared",
           "surprises", "weakness"]
