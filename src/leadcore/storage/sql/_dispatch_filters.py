"""An agent filter's criteria compiled into conditions on the dispatch queue.

The filter states each criterion once (:attr:`AgentFilter.criteria
<leadcore.dispatch.AgentFilter.criteria>`); this module says which queue
column holds each attribute a criterion tests and writes the criterion as a
condition on it. A criterion it cannot write (custom fields: the queue has
no column for them) is left to the Python check of the rows fetched.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Final

from sqlalchemy import ColumnElement, false, literal, or_

from leadcore.dispatch._filters import AgentFilter, AnyOf, Criterion, Op
from leadcore.storage.sql._codec import micros
from leadcore.storage.sql._dispatch_records import QUEUE
from leadcore.workflow import Category

__all__ = ["among", "filter_conditions"]

Statuses = tuple[tuple[str, Category], ...]
"""The workflow's statuses with their categories."""


def _as_is(value: Any) -> Any:
    return value


# The queue column of each attribute a criterion tests, and how a value is written there.
_COLUMNS: Final[dict[str, tuple[ColumnElement[Any], Callable[[Any], Any]]]] = {
    "status_id": (QUEUE.c.status_id, _as_is),
    "source": (QUEUE.c.source, _as_is),
    "created_at": (QUEUE.c.created_us, micros),
    "attempts": (QUEUE.c.attempts, _as_is),
}
_COMPARISONS: Final[dict[Op, Callable[[ColumnElement[Any], Any], ColumnElement[bool]]]] = {
    Op.AT_LEAST: lambda column, value: column >= value,
    Op.BELOW: lambda column, value: column < value,
    Op.AT_MOST: lambda column, value: column <= value,
}


def among(column: ColumnElement[Any], values: Sequence[Any]) -> ColumnElement[bool]:
    """``column IN (...)`` with one bound value each, fixed in the compiled statement.

    Not ``in_(values)``: that is an *expanding* parameter, and SQLAlchemy renders
    the statement's SQL again on every execution to spell it out (a tenth of a
    claim's time in Python). The lookups are built once per set of values anyway.
    """
    if not values:
        return false()
    return column.in_([literal(value, column.type) for value in values])


def _listed(criterion: Criterion, statuses: Statuses) -> tuple[ColumnElement[Any], set[Any]] | None:
    """An ``in`` criterion as the column and the values it may hold (``None``: not one)."""
    if criterion.op is not Op.IN:
        return None
    if criterion.field == "category":
        # The queue holds the status; the workflow says which statuses are in a category.
        return QUEUE.c.status_id, {s for s, category in statuses if category in criterion.value}
    found = _COLUMNS.get(criterion.field)
    if found is None:
        return None
    column, stored = found
    return column, {stored(value) for value in criterion.value}


def _condition(criterion: Criterion | AnyOf, statuses: Statuses) -> ColumnElement[bool] | None:
    """The criterion as a condition on the queue row; ``None`` if only Python can check it."""
    if isinstance(criterion, AnyOf):
        return _either(criterion.criteria, statuses)
    listed = _listed(criterion, statuses)
    if listed is not None:
        return among(listed[0], sorted(listed[1]))
    found = _COLUMNS.get(criterion.field)
    if found is None:
        return None
    column, stored = found
    if criterion.op is Op.IS_NONE:
        return column.is_(None)
    compare = _COMPARISONS.get(criterion.op)
    return None if compare is None else compare(column, stored(criterion.value))


def _either(criteria: Sequence[Criterion], statuses: Statuses) -> ColumnElement[bool] | None:
    # The values listed for one column make one ``IN``, where the first of them stands.
    lists: dict[str, tuple[ColumnElement[Any], set[Any]]] = {}
    parts: list[str | ColumnElement[bool]] = []
    for criterion in criteria:
        listed = _listed(criterion, statuses)
        if listed is not None:
            column, values = listed
            key = str(column.key)
            if key not in lists:
                lists[key] = (column, set())
                parts.append(key)
            lists[key][1].update(values)
            continue
        condition = _condition(criterion, statuses)
        if condition is None:
            return None
        parts.append(condition)
    return or_(
        *(
            among(lists[part][0], sorted(lists[part][1])) if isinstance(part, str) else part
            for part in parts
        )
    )


def filter_conditions(
    flt: AgentFilter | None, statuses: Statuses
) -> tuple[list[ColumnElement[bool]], bool]:
    """The filter's conditions on the queue, and whether Python must check criteria left out."""
    if flt is None:
        return [], False
    conditions: list[ColumnElement[bool]] = []
    checked = False
    for criterion in flt.criteria:
        condition = _condition(criterion, statuses)
        if condition is None:
            checked = True
        else:
            conditions.append(condition)
    return conditions, checked
