"""A config dict as TOML text, for a config that has to be a file: the demo's guardian act
starts `tether serve` on one, as tests and benches do. Only what configs hold: tables, arrays
of tables (also nested, [[auth.keys]]), strings, numbers, booleans and arrays of them."""

from __future__ import annotations

import json
import tomllib
from typing import Any

__all__ = ["to_toml"]


def to_toml(data: dict[str, Any]) -> str:
    """The TOML text of a config dict (tables, arrays of tables, [[auth.keys]]); round-trips."""
    lines: list[str] = []
    for key, value in data.items():
        if isinstance(value, dict):
            nested = {k: v for k, v in value.items() if _is_tables(v)}
            lines.append(f"[{key}]")
            lines += [f"{k} = {_toml_value(v)}" for k, v in value.items() if k not in nested]
            for sub, tables in nested.items():
                for table in tables:
                    lines.append(f"[[{key}.{sub}]]")
                    lines += [f"{k} = {_toml_value(v)}" for k, v in table.items()]
        elif _is_tables(value):
            for table in value:
                lines.append(f"[[{key}]]")
                lines += [f"{k} = {_toml_value(v)}" for k, v in table.items()]
        else:
            lines.append(f"{key} = {_toml_value(value)}")
    text = "\n".join(lines) + "\n"
    if tomllib.loads(text) != data:
        raise ValueError(f"no TOML text reads back as {data!r}")
    return text


def _is_tables(value: object) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"no TOML for {value!r}")
