"""Lead list queries: filters, visibility scope and keyset pagination, as plain data.

A :class:`LeadQuery` is what a repository receives. It states its filters
once, as :attr:`LeadQuery.terms`: the memory adapter evaluates them
(:meth:`LeadQuery.matches`), a SQL adapter compiles the same terms to a
``WHERE`` clause. Lists are ordered newest first by ``(created_at, id)``; a
cursor is the position of the last lead of a page, so pages stay stable while
new leads arrive.
"""

from __future__ import annotations

import warnings
from collections.abc import Collection, Iterable, Iterator, Sequence
from datetime import datetime
from typing import overload

import attrs

from leadcore._paging import Cursor
from leadcore.leads._model import HistoryEntry, Lead
from leadcore.leads._terms import AnyTerm, LeadField, LeadTerm, TermOp, Terms, holds
from leadcore.workflow import Category, Workflow

__all__ = ["Cursor", "HistoryPage", "LeadQuery", "Page", "Scope", "hidden_done", "history_page"]


def _optional_set(value: Iterable[str | None] | None) -> frozenset[str | None] | None:
    return None if value is None else frozenset(value)


def _status_set(value: Iterable[str | None]) -> frozenset[str | None]:
    return frozenset(value)


def _set(value: Iterable[str]) -> frozenset[str]:
    return frozenset(value)


@attrs.frozen
class Scope:
    """Which leads a user may see when not all: those of some projects, or routed to them."""

    project_ids: frozenset[str] = attrs.field(factory=frozenset, converter=_set)
    assignee_id: str | None = None

    @property
    def term(self) -> AnyTerm:
        """The scope as a term: in one of its projects, or routed to its user."""
        terms: list[LeadTerm] = []
        if self.project_ids:
            terms.append(LeadTerm(LeadField.PROJECT_ID, TermOp.IN, self.project_ids))
        if self.assignee_id is not None:
            terms.append(LeadTerm(LeadField.ASSIGNEE_IDS, TermOp.HAS, self.assignee_id))
        return AnyTerm(tuple(terms))

    def allows(self, lead: Lead) -> bool:
        """Whether a lead is inside the scope."""
        return holds(self.term, lead)


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

    @property
    def terms(self) -> Terms:
        """Every filter of the query as terms that must all hold (``after``/``limit`` aside).

        The one description of the filters: :meth:`matches` evaluates it and
        a SQL adapter compiles it.

        >>> [(t.field.value, t.op.value, t.value) for t in LeadQuery(channel="fb").terms]
        [('channel', 'equals', 'fb')]
        """
        out: list[LeadTerm | AnyTerm] = []
        if self.status_ids is not None:
            out.append(LeadTerm(LeadField.STATUS_ID, TermOp.IN, self.status_ids))
        if self.exclude_status_ids:
            out.append(LeadTerm(LeadField.STATUS_ID, TermOp.NOT_IN, self.exclude_status_ids))
        if self.assignee_id is not None:
            out.append(LeadTerm(LeadField.ASSIGNEE_IDS, TermOp.HAS, self.assignee_id))
        for field, value in (
            (LeadField.SUPPLIER_ID, self.supplier_id),
            (LeadField.CHANNEL, self.channel),
            (LeadField.PROJECT_ID, self.project_id),
            (LeadField.POOL_ID, self.pool_id),
        ):
            if value is not None:
                out.append(LeadTerm(field, TermOp.EQUALS, value))
        if self.created_from is not None:
            out.append(LeadTerm(LeadField.CREATED_AT, TermOp.AT_LEAST, self.created_from))
        if self.created_until is not None:
            out.append(LeadTerm(LeadField.CREATED_AT, TermOp.BELOW, self.created_until))
        if self.converted is not None:
            out.append(LeadTerm(LeadField.CONVERTED, TermOp.EQUALS, self.converted))
        if self.scope is not None:
            out.append(self.scope.term)
        if self.text is not None:
            out.append(LeadTerm(LeadField.CONTACT, TermOp.SEARCH, self.text))
        return tuple(out)

    def matches(self, lead: Lead) -> bool:
        """Whether ``lead`` passes every filter (ignoring ``after`` and ``limit``)."""
        return all(holds(term, lead) for term in self.terms)


@attrs.frozen
class Page:
    """One page of a list, and the cursor of the next page (``None`` on the last)."""

    items: tuple[Lead, ...]
    """The leads of this page, newest first."""
    next: Cursor | None
    """Pass it as ``after`` for the next page; ``None`` on the last page."""


def _as_list(name: str) -> None:
    warnings.warn(
        f"history() returns a page: {name} the list page.items instead; "
        "the list form will be removed in the next release",
        DeprecationWarning,
        stacklevel=3,
    )


@attrs.frozen
class HistoryPage:
    """One page of a lead's history, newest first, and the cursor of the next page.

    The page used to be a plain list: iterating it, ``len`` and indexing
    still work for one release, with a ``DeprecationWarning``.
    """

    items: tuple[HistoryEntry, ...]
    """The entries of this page, newest first."""
    next: Cursor | None
    """Pass it as ``after`` for the next page; ``None`` on the last page."""

    def __iter__(self) -> Iterator[HistoryEntry]:
        _as_list("iterate")
        return iter(self.items)

    def __len__(self) -> int:
        _as_list("count")
        return len(self.items)

    @overload
    def __getitem__(self, index: int) -> HistoryEntry: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[HistoryEntry, ...]: ...

    def __getitem__(self, index: int | slice) -> HistoryEntry | tuple[HistoryEntry, ...]:
        _as_list("index")
        return self.items[index]


def history_page(
    entries: Sequence[HistoryEntry], *, limit: int, after: Cursor | None, skip: int = 0
) -> HistoryPage:
    """The page of ``entries`` (newest first) after the cursor ``after``, then ``skip`` more.

    The cursor is the last entry handed out: the page goes on right after it,
    however many entries were added since (history is only ever added to).
    An entry no longer among ``entries`` places the page by its time instead.

    >>> from datetime import UTC, datetime
    >>> from leadcore.leads import HistoryKind
    >>> at = datetime(2026, 3, 2, tzinfo=UTC)
    >>> entries = [HistoryEntry(f"h{n}", "o", "l", HistoryKind.NOTE, at, "u") for n in (3, 2, 1)]
    >>> first = history_page(entries, limit=2, after=None)
    >>> [e.id for e in first.items], first.next
    (['h3', 'h2'], Cursor(at=datetime.datetime(2026, 3, 2, 0, 0, tzinfo=datetime.timezone.utc), id='h2'))
    >>> [e.id for e in history_page(entries, limit=2, after=first.next).items]
    ['h1']
    """  # noqa: E501
    start = 0
    if after is not None:
        ids = [e.id for e in entries]
        if after.id in ids:
            start = ids.index(after.id) + 1
        else:
            start = next((i for i, e in enumerate(entries) if e.at < after.at), len(entries))
    start += skip
    items = tuple(entries[start : start + limit])
    more = start + limit < len(entries)
    return HistoryPage(items, Cursor(items[-1].at, items[-1].id) if more and items else None)


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
