"""Lead list queries: filters, visibility scope and keyset pagination, as plain data.

A :class:`LeadQuery` is what a repository receives: the memory adapter calls
:meth:`LeadQuery.matches`, a SQL adapter translates the same fields to a
``WHERE`` clause. Lists are ordered newest first by ``(created_at, id)``; a
cursor is the position of the last lead of a page, so pages stay stable while
new leads arrive.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import datetime

import attrs

from leadcore.leads._model import Lead
from leadcore.workflow import Category, Workflow

__all__ = ["Cursor", "LeadQuery", "Page", "Scope", "hidden_done"]


def _optional_set(value: Iterable[str | None] | None) -> frozenset[str | None] | None:
    return None if value is None else frozenset(value)


def _status_set(value: Iterable[str | None]) -> frozenset[str | None]:
    return frozenset(value)


def _set(value: Iterable[str]) -> frozenset[str]:
    return frozenset(value)


@attrs.frozen
class Cursor:
    """The position after which the next page starts (newest-first order)."""

    created_at: datetime
    """The creation time of the last lead of the page."""
    lead_id: str
    """The id of the last lead of the page."""

    def before(self, lead: Lead) -> bool:
        """Whether ``lead`` comes after this position in newest-first order."""
        return (lead.created_at, lead.id) < (self.created_at, self.lead_id)


@attrs.frozen
class Scope:
    """Which leads a user may see when not all: those of some projects, or routed to them."""

    project_ids: frozenset[str] = attrs.field(factory=frozenset, converter=_set)
    assignee_id: str | None = None

    def allows(self, lead: Lead) -> bool:
        """Whether a lead is inside the scope."""
        if lead.project_id is not None and lead.project_id in self.project_ids:
            return True
        return self.assignee_id is not None and self.assignee_id in lead.assignee_ids


@attrs.frozen
class LeadQuery:
    """Filters of a lead list; every field left ``None`` filters nothing.

    ``status_ids`` may contain ``None`` for leads with no status.
    """

    status_ids: frozenset[str | None] | None = attrs.field(default=None, converter=_optional_set)
    exclude_status_ids: frozenset[str | None] = attrs.field(
        factory=frozenset, converter=_status_set
    )
    assignee_id: str | None = None
    supplier_id: str | None = None
    channel: str | None = None
    project_id: str | None = None
    pool_id: str | None = None
    created_from: datetime | None = None
    created_until: datetime | None = None
    text: str | None = None
    converted: bool | None = None
    scope: Scope | None = None
    after: Cursor | None = None
    limit: int | None = None

    def matches(self, lead: Lead) -> bool:
        """Whether ``lead`` passes every filter (ignoring ``after`` and ``limit``)."""
        s = lead.status_id
        if self.status_ids is not None and s not in self.status_ids:
            return False
        if s in self.exclude_status_ids:
            return False
        if self.assignee_id is not None and self.assignee_id not in lead.assignee_ids:
            return False
        if self.supplier_id is not None and lead.source.supplier_id != self.supplier_id:
            return False
        if self.channel is not None and lead.source.channel != self.channel:
            return False
        if self.project_id is not None and lead.project_id != self.project_id:
            return False
        if self.pool_id is not None and lead.pool_id != self.pool_id:
            return False
        if self.created_from is not None and lead.created_at < self.created_from:
            return False
        if self.created_until is not None and lead.created_at >= self.created_until:
            return False
        if self.converted is not None and lead.converted != self.converted:
            return False
        if self.scope is not None and not self.scope.allows(lead):
            return False
        return self.text is None or _text_matches(self.text, lead)


def _text_matches(text: str, lead: Lead) -> bool:
    needle = text.strip().casefold()
    if not needle:
        return True
    if needle in lead.name.casefold() or any(needle in e for e in lead.emails):
        return True
    digits = "".join(ch for ch in needle if ch.isdigit())
    # A number typed the local way ("050-...") loses its trunk zero in the stored E.164 form.
    return any(
        len(wanted) >= 3 and any(wanted in p for p in lead.phones)
        for wanted in {digits, digits.lstrip("0")}
    )


@attrs.frozen
class Page:
    """One page of a list, and the cursor of the next page (``None`` on the last)."""

    items: tuple[Lead, ...]
    """The leads of this page, newest first."""
    next: Cursor | None
    """Pass it as ``after`` for the next page; ``None`` on the last page."""


def hidden_done(
    workflow: Workflow,
    *,
    include_done: bool,
    status_ids: Collection[str | None] | None,
    categories: Collection[Category] | None,
    converted: bool | None,
) -> frozenset[str | None]:
    """The done statuses a lead list hides: all by default, none when asked for done leads.

    A lead that has finished its way need not be seen every day, so a list
    hides the leads in done statuses, unless ``include_done`` is true or
    another filter names done leads: a done status in ``status_ids``, the
    done category in ``categories``, or ``converted=True`` (conversion moves
    a lead to a done status). An explicit filter always wins over the
    default; ``converted=False`` names no done lead, so the default stays.

    >>> from leadcore.workflow import sample_workflow
    >>> wf = sample_workflow()
    >>> sorted(hidden_done(wf, include_done=False, status_ids=None, categories=None,
    ...                    converted=None))
    ['do_not_call', 'lost', 'not_relevant', 'won']
    >>> hidden_done(wf, include_done=False, status_ids=None, categories=None, converted=True)
    frozenset()
    """
    asks_done = (
        include_done
        or converted is True
        or (categories is not None and Category.DONE in categories)
        or (
            status_ids is not None
            and any(s is not None and s in workflow and workflow.is_done(s) for s in status_ids)
        )
    )
    return frozenset() if asks_done else frozenset(workflow.done_statuses())
