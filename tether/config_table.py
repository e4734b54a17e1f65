"""Moved to tether.robot.table; this module keeps the old import path working."""

from tether.robot.table import NUMBER, PIN, Table, is_kind, kind_name

__all__ = ["NUMBER", "PIN", "Table", "is_kind", "kind_name"]
