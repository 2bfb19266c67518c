"""Teach leadcore's one converter (:mod:`leadcore.serde`) the calendar's values.

Activities round-trip to plain data: a point in time as ISO 8601 text (a
date for all-day activities, an aware date-time otherwise), a reminder as
whole seconds, everything else as cattrs does for attrs classes.
"""

from __future__ import annotations

import types
import typing
from datetime import date, datetime, timedelta

from leadcore.errors import ValidationError
from leadcore.serde import converter

__all__ = ["register"]

_POINT = frozenset({datetime, date})


def _is_point(tp: object) -> bool:
    """Whether ``tp`` is ``datetime | date``, optionally with ``None``."""
    if typing.get_origin(tp) not in (typing.Union, types.UnionType):
        return False
    args = set(typing.get_args(tp)) - {type(None)}
    return args == _POINT


def _structure_point(value: object, tp: object) -> datetime | date | None:
    if value is None and type(None) in typing.get_args(tp):
        return None
    if isinstance(value, datetime | date):
        return value
    if not isinstance(value, str):
        raise ValidationError("not a point in time", [f"{value!r} is not ISO 8601 text"])
    try:
        return datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)
    except ValueError:
        raise ValidationError(
            "not a point in time", [f"{value!r} is not an ISO 8601 date or date-time"]
        ) from None


def _unstructure_point(value: datetime | date | None) -> str | None:
    return None if value is None else value.isoformat()


def _structure_delta(value: object, _: object) -> timedelta:
    if isinstance(value, timedelta):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return timedelta(seconds=value)
    raise ValidationError("not a duration", [f"{value!r} is not a number of seconds"])


def register() -> None:
    """Register the hooks (idempotent: later registrations win in cattrs)."""
    converter.register_structure_hook_func(_is_point, _structure_point)
    converter.register_unstructure_hook_func(_is_point, _unstructure_point)
    converter.register_structure_hook(timedelta, _structure_delta)
    converter.register_unstructure_hook(timedelta, lambda d: d.total_seconds())
