"""A :class:`~leadcore.leads.LeadQuery` as a SQL ``WHERE`` clause.

Every filter translates exactly, except the text search: its ``WHERE`` part
is a superset (substring tests on a lower-cased copy of the name, e-mails
and phones), and the repository runs :meth:`LeadQuery.matches` on what comes
back, so the answer is exactly the memory adapter's.
"""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import ColumnElement, FromClause, and_, exists, false, or_, select, true

from leadcore.leads._query import LeadQuery
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


def lead_filters(
    organization_id: str, query: LeadQuery, *, assignee_joined: bool = False
) -> list[ColumnElement[bool]]:
    """The conditions of ``query`` (without its cursor) on the leads table.

    With ``assignee_joined`` the statement reads the leads through the
    assignee rows of ``query.assignee_id`` (see :func:`assigned_leads`), so
    the assignee condition is left out.
    """
    out: list[ColumnElement[bool]] = [_L.organization_id == organization_id]
    if query.status_ids is not None:
        out.append(_status_in(query.status_ids))
    if query.exclude_status_ids:
        out.append(_status_not_in(query.exclude_status_ids))
    if query.assignee_id is not None and not assignee_joined:
        out.append(_assigned_to(query.assignee_id))
    for column, value in (
        (_L.supplier_id, query.supplier_id),
        (_L.channel, query.channel),
        (_L.project_id, query.project_id),
        (_L.pool_id, query.pool_id),
    ):
        if value is not None:
            out.append(column == value)
    if query.created_from is not None:
        out.append(_L.created_us >= micros(query.created_from))
    if query.created_until is not None:
        out.append(_L.created_us < micros(query.created_until))
    if query.converted is not None:
        out.append(_L.converted == query.converted)
    if query.scope is not None:
        scope = query.scope
        parts: list[ColumnElement[bool]] = []
        if scope.project_ids:
            parts.append(_L.project_id.in_(sorted(scope.project_ids)))
        if scope.assignee_id is not None:
            parts.append(_assigned_to(scope.assignee_id))
        out.append(or_(*parts) if parts else false())
    if query.text is not None:
        text = _text(query.text)
        if text is not None:
            out.append(text)
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
