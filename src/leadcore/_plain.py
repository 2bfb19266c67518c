"""The type of plain data: what JSON and TOML hold, and what ``to_dict`` methods return."""

from __future__ import annotations

from typing import TypeAlias

__all__ = ["PlainDict", "PlainValue"]

#: A JSON-compatible value.
PlainValue: TypeAlias = "str | int | float | bool | list[PlainValue] | dict[str, PlainValue] | None"
#: A JSON-compatible object.
PlainDict: TypeAlias = "dict[str, PlainValue]"
