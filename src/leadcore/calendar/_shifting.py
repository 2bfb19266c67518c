"""Moving the dates of a series by a wall-clock difference, into another time zone."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import attrs

from leadcore.calendar._model import Recurrence, When

__all__ = ["shift", "shifted"]


def shift(value: When, delta: timedelta, old: ZoneInfo, new: ZoneInfo) -> When:
    """Move a point of a series by a wall-clock ``delta``, into zone ``new``."""
    if isinstance(value, datetime):
        wall = value.astimezone(old).replace(tzinfo=None)
        return (wall + delta).replace(tzinfo=new)
    return value + timedelta(days=delta.days)


def shifted(rec: Recurrence, delta: timedelta, old: ZoneInfo, new: ZoneInfo) -> Recurrence:
    """``rec`` with every date it holds moved by ``delta`` (see :func:`shift`)."""

    def move(value: When | None) -> When | None:
        return None if value is None else shift(value, delta, old, new)

    return Recurrence(
        rec.rule,
        exdates=[shift(x, delta, old, new) for x in rec.exdates],
        rdates=[shift(x, delta, old, new) for x in rec.rdates],
        overrides=[
            attrs.evolve(
                o,
                original_start=shift(o.original_start, delta, old, new),
                start=move(o.start),
                end=move(o.end),
            )
            for o in rec.overrides
        ],
    )
