"""One TOML table being checked: every error names the file, the table, the key and the value."""

from __future__ import annotations

import math
from typing import Any

from tether.errors import ConfigError

PIN = (int, str)
NUMBER = (int, float)


class Table:
    """One TOML table being read; every error names the file and the key."""

    def __init__(self, source: str, where: str, data: object) -> None:
        if not isinstance(data, dict):
            raise ConfigError(f"{source}: {where}: expected a table, got {data!r}")
        self.source, self.where, self.data = source, where, data

    def fail(self, key: str, expected: str) -> ConfigError:
        shown = self.data.get(key, "<missing>")
        return ConfigError(f"{self.source}: {self.where}.{key} = {shown!r}: expected {expected}")

    def only(self, allowed: set[str]) -> None:
        for key, value in self.data.items():
            if key not in allowed:
                expected = f"one of {', '.join(sorted(allowed))}" if allowed else "no keys"
                raise ConfigError(
                    f"{self.source}: {self.where}.{key} = {value!r}: unknown key; "
                    f"expected {expected}"
                )

    def get(self, key: str, kind: Any, default: Any = None, *, required: bool = False) -> Any:
        if key not in self.data:
            if required:
                raise self.fail(key, f"a {kind_name(kind)} (required)")
            return default
        value = self.data[key]
        if not is_kind(value, kind):
            raise self.fail(key, f"a {kind_name(kind)}")
        return value

    def number(self, key: str, low: float, high: float, default: float | None = None,
               *, required: bool = False) -> float | None:
        value = self.get(key, NUMBER, default, required=required)
        if value is not None and not (math.isfinite(value) and low <= value <= high):
            raise self.fail(key, f"a number in [{low:g}, {high:g}]")
        return None if value is None else float(value)


def is_kind(value: object, kind: Any) -> bool:
    """isinstance for TOML values: a boolean is never taken for a number."""
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if isinstance(value, bool) and bool not in kinds:
        return False
    return isinstance(value, kinds)


def kind_name(kind: Any) -> str:
    """How an error names the expected type."""
    kinds = kind if isinstance(kind, tuple) else (kind,)
    names = {int: "integer", float: "number", str: "string", bool: "boolean", list: "list",
             dict: "table"}
    return " or ".join(names.get(k, k.__name__) for k in kinds)
