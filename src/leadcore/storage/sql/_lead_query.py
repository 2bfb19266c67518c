"""A :class:`~leadcore.leads.LeadQuery` as a SQL ``WHERE`` clause.

The query states each filter once, as terms (:attr:`LeadQuery.terms
<leadcore.leads.LeadQuery.terms>`); this module says which column holds each
field a term tests and writes the term as a condition on it. Every term
translates exactly, except the text search: its ``WHERE`` part
is a superset (substring tests on a lower-cased copy of the name, e-mails
and phones), and the repository runs :meth:`LeadQuery.matches` on what comes
back, so the answer is exactly the memory adapter's.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any, Final

from sqlalchemy import ColumnElement, FromClause, and_, exists, false, or_, select, true

from leadcore.leads._query import LeadQuery
from leadcore.leads._terms import AnyTerm, LeadField, LeadTerm, TermOp
from leadcore.storage.sql._codec import micros
from leadcore.storage.sql._tables import ASSIGNEES, LEADS

__all__ = ["LEADS_ORDER", "ListOrder", "after", "assigned_leads", "assignee_is", "lead_filters"]

_L = LEADS.table.c
_A = ASSIGNEES.c


def _status_in(ids: Collection[str | None]) -> ColumnElement[bool]:
    named = sorted(s for s in ids if s is not None)
    parts: list[ColumnElement[bool]] = []
    if named:
        parts.append(_L.status_id.in_(named))
    if None in ids:
        parts.append(_L.status_id.is_(None))
    return or_(*parts) if parts else false()


def _status_not_in(ids: Collection[str | None]) -> ColumnElement[bool]:
    named = sorted(s for s in ids if s is not None)
    if None in ids:
        parts = [_L.status_id.is_not(None)]
        if named:
            parts.append(_L.status_id.not_in(named))
        return and_(*parts)
    # NOT IN is unknown for a NULL status, which must pass: say so explicitly.
    return or_(_L.status_id.is_(None), _L.status_id.not_in(named)) if named else true()


def _assigned_to(user_id: str) -> ColumnElement[bool]:
    # An alias: the statement may read the leads through assignee rows already.
    a = ASSIGNEES.alias("assigned").c
    return exists(
        select(a.lead_id)
        .where(a.organization_id == _L.organization_id, a.user_id == user_id, a.lead_id == _L.id)
        .correlate(LEADS.table)
    )


def _as_is(value: Any) -> Any:
    return value


_COMPARISONS: Final[dict[TermOp, Callable[[ColumnElement[Any], Any], ColumnElement[bool]]]] = {
    TermOp.EQUALS: lambda column, value: column == value,
    TermOp.AT_LEAST: lambda column, value: column >= value,
    TermOp.BELOW: lambda column, value: column < value,
}


def _text(text: str) -> ColumnElement[bool] | None:
    needle = text.strip().casefold()
    if not needle:
        return None
    parts = [_L.search.contains(needle, autoescape=True)]
    digits = "".join(ch for ch in needle if ch.isdigit())
    for wanted in sorted({digits, digits.lstrip("0")}):
        if len(wanted) >= 3:
            parts.append(_L.search.contains(wanted, autoescape=True))
    return or_(*parts)


# The leads column of each field a term tests, and how a value is written there.
_COLUMNS: Final[dict[LeadField, tuple[ColumnElement[Any], Callable[[Any], Any]]]] = {
    LeadField.STATUS_ID: (_L.status_id, _as_is),
    LeadField.SUPPLIER_ID: (_L.supplier_id, _as_is),
    LeadField.CHANNEL: (_L.channel, _as_is),
    LeadField.PROJECT_ID: (_L.project_id, _as_is),
    LeadField.POOL_ID: (_L.pool_id, _as_is),
    LeadField.CREATED_AT: (_L.created_us, micros),
    LeadField.CONVERTED: (_L.converted, _as_is),
}


def _condition(term: LeadTerm | AnyTerm) -> ColumnElement[bool] | None:
    """The term as a condition on the leads row; ``None`` when it filters nothing."""
    if isinstance(term, AnyTerm):
        parts: list[ColumnElement[bool]] = []
        for alternative in term.terms:
            condition = _condition(alternative)
            if condition is None:
                # An alternative that filters nothing makes the whole group filter nothing.
                return None
            parts.append(condition)
        return or_(*parts) if parts else false()
    if term.field is LeadField.ASSIGNEE_IDS and term.op is TermOp.HAS:
        return _assigned_to(term.value)
    if term.field is LeadField.CONTACT and term.op is TermOp.SEARCH:
        return _text(term.value)
    column, stored = _COLUMNS[term.field]
    if term.op is TermOp.IN:
        if term.field is LeadField.STATUS_ID:
            return _status_in(term.value)
        return column.in_(sorted(stored(v) for v in term.value))
    if term.op is TermOp.NOT_IN and term.field is LeadField.STATUS_ID:
        return _status_not_in(term.value)
    compare = _COMPARISONS.get(term.op)
    if compare is None:
        raise ValueError(f"no SQL for {term.field.value} {term.op.value}")
    return compare(column, stored(term.value))


def lead_filters(
    organization_id: str, query: LeadQuery, *, assignee_joined: bool = False
) -> list[ColumnElement[bool]]:
    """The conditions of ``query`` (without its cursor) on the leads table.

    Compiled from :attr:`LeadQuery.terms <leadcore.leads.LeadQuery.terms>`.
    With ``assignee_joined`` the statement reads the leads through the
    assignee rows of ``query.assignee_id`` (see :func:`assigned_leads`), so
    the assignee condition is left out.
    """
    out: list[ColumnElement[bool]] = [_L.organization_id == organization_id]
    for term in query.terms:
        if (
            assignee_joined
            and isinstance(term, LeadTerm)
            and term.field is LeadField.ASSIGNEE_IDS
            and term.value == query.assignee_id
        ):
            continue
        condition = _condition(term)
        if condition is not None:
            out.append(condition)
    return out


def assigned_leads() -> tuple[FromClause, ListOrder]:
    """Leads read through assignee rows, and the columns of their list order.

    An agent's list walks the ``(organization, user, created, lead)`` index
    of the assignee rows, newest first, and joins each lead by its key: the
    cost follows the page size, not the organisation's leads (an ``EXISTS``
    test would walk every lead of the organisation looking for the agent's).
    Use it with ``WHERE`` :func:`assignee_is`.
    """
    joined = ASSIGNEES.join(
        LEADS.table, and_(_L.organization_id == _A.organization_id, _L.id == _A.lead_id)
    )
    return joined, (_A.created_us, _A.lead_id)


def assignee_is(organization_id: str, user_id: str) -> list[ColumnElement[bool]]:
    """The conditions that pick one user's assignee rows (see :func:`assigned_leads`)."""
    return [_A.organization_id == organization_id, _A.user_id == user_id]


#: The columns a list is ordered by, newest first: the creation instant, then the lead id.
ListOrder = tuple[ColumnElement[int], ColumnElement[str]]
LEADS_ORDER: ListOrder = (_L.created_us, _L.id)


def after(created_us: int, lead_id: str, order: ListOrder = LEADS_ORDER) -> ColumnElement[bool]:
    """Leads after a position in newest-first ``(created_at, id)`` order."""
    created, ident = order
    return or_(created < created_us, and_(created == created_us, ident < lead_id))
