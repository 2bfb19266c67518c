"""Lists hide done leads by default; a filter that names done leads finds them.

Conversion moves a lead to a done status, so ``converted=True`` asks for
done leads, as a done status or the done category does. ``status_counts``
follows the same rule as ``list``. On memory and on SQLite (the other SQL
backends: ``tests/integration/test_sql_done_filters.py``).
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leadcore import Leadcore, Session
from leadcore.clock import ManualClock
from leadcore.ids import SequentialIds
from leadcore.storage.protocols import Storage
from leadcore.storage.sql import SqlStorage
from leadcore.workflow import Category

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def build_board(storage: Storage | None = None) -> tuple[Session, dict[str, str]]:
    """Leads in every kind of place: no status, live, done, converted, converted then undone."""
    clock = ManualClock(START)
    core = Leadcore(storage, clock, SequentialIds())
    _, admin = core.create_organization("Agency", admin_name="Dana")
    s = core.session(admin.id)
    ids: dict[str, str] = {}

    def add(name: str) -> str:
        clock.advance(timedelta(minutes=1))
        ids[name] = s.leads.create(name).id
        return ids[name]

    add("Fresh")
    s.leads.change_status(add("Contacted"), "contacted", note="spoke")
    s.leads.change_status(add("Lost"), "lost", note="no budget")
    s.leads.convert(add("Converted"))
    s.leads.convert(add("Converted to lost"), status_id="lost", note="as a lost deal")
    undone = add("Converted then undone")
    s.leads.change_status(undone, "contacted", note="spoke")
    s.leads.convert(undone)
    s.leads.unconvert(undone, reason="wrong account")
    return s, ids


@pytest.fixture(params=["memory", "sqlite"])
def board(request: pytest.FixtureRequest) -> Iterator[tuple[Session, dict[str, str]]]:
    storage = SqlStorage("sqlite://", create=True) if request.param == "sqlite" else None
    s, ids = build_board(storage)
    yield s, ids
    if storage is not None:
        storage.close()


def names(s: Session, **filters: object) -> list[str]:
    return [lead.name for lead in s.leads.list(limit=100, **filters).items]  # type: ignore[arg-type]


def test_converted_leads_are_found_by_the_filter_that_names_them(
    board: tuple[Session, dict[str, str]],
) -> None:
    s, _ = board
    assert names(s, converted=True) == ["Converted to lost", "Converted"]
    assert names(s, converted=True) == names(s, converted=True, include_done=True)
    counts = s.leads.status_counts(converted=True)
    assert {k: v for k, v in counts.items() if v} == {"won": 1, "lost": 1}


def test_without_a_filter_that_names_them_done_leads_stay_hidden(
    board: tuple[Session, dict[str, str]],
) -> None:
    s, _ = board
    assert names(s) == ["Converted then undone", "Contacted", "Fresh"]
    assert names(s, converted=False) == ["Converted then undone", "Contacted", "Fresh"]
    assert names(s, converted=False, include_done=True) == [
        "Converted then undone",
        "Lost",
        "Contacted",
        "Fresh",
    ]
    assert "lost" not in s.leads.status_counts(converted=False)


def test_a_done_status_or_the_done_category_names_done_leads(
    board: tuple[Session, dict[str, str]],
) -> None:
    s, _ = board
    assert names(s, status_ids=["lost"]) == ["Converted to lost", "Lost"]
    assert names(s, status_ids=["lost", "contacted"]) == [
        "Converted then undone",
        "Converted to lost",
        "Lost",
        "Contacted",
    ]
    assert names(s, status_ids=["lost"], converted=False) == ["Lost"]
    assert names(s, categories="done", converted=True) == ["Converted to lost", "Converted"]
    assert s.leads.status_counts(categories="done", converted=False)["lost"] == 1


# -- the rule, for every combination of filters -----------------------------------------------


@functools.cache
def _memory_board() -> tuple[Session, dict[str, str]]:
    return build_board()


STATUS_FILTERS: list[object] = [None, "lost", "won", "contacted", ["lost", "new"]]
CATEGORIES: list[object] = [None, "done", "todo", ["in_progress", "done"]]


@settings(max_examples=40)
@given(
    status=st.sampled_from([*STATUS_FILTERS, "any"]),
    category=st.sampled_from(CATEGORIES),
    converted=st.sampled_from([None, True, False]),
    include_done=st.booleans(),
)
def test_a_list_shows_a_done_lead_exactly_when_a_filter_asks_for_done_leads(
    status: object, category: object, converted: bool | None, include_done: bool
) -> None:
    s, _ = _memory_board()
    wf = s.workflow.current()
    filters: dict[str, object] = {
        "categories": category,
        "converted": converted,
        "include_done": include_done,
    }
    if status != "any":
        filters["status_ids"] = [None] if status is None else status
    everything = {lead.id: lead for lead in s.leads.list(limit=100, include_done=True).items}
    listed = s.leads.list(limit=100, **filters).items  # type: ignore[arg-type]
    wanted_statuses = [status] if isinstance(status, str) and status != "any" else status
    categories = [category] if isinstance(category, str) else category
    asks_done = (
        include_done
        or converted is True
        or (isinstance(categories, list) and Category.DONE in categories)
        or (isinstance(wanted_statuses, list) and any(wf.is_done(x) for x in wanted_statuses))
    )
    for lead in listed:
        assert lead.id in everything
        if lead.status_id is not None and wf.is_done(lead.status_id):
            assert asks_done, (filters, lead.name)
    if converted is True:
        assert all(lead.converted for lead in listed)
        if status == "any" and category is None:
            assert len(listed) == sum(1 for lead in everything.values() if lead.converted)


@settings(max_examples=30)
@given(
    category=st.sampled_from(CATEGORIES),
    converted=st.sampled_from([None, True, False]),
    include_done=st.booleans(),
)
def test_the_status_tabs_count_what_the_list_shows(
    category: object, converted: bool | None, include_done: bool
) -> None:
    s, _ = _memory_board()
    filters = {"categories": category, "converted": converted, "include_done": include_done}
    listed = s.leads.list(limit=100, **filters).items  # type: ignore[arg-type]
    counts = s.leads.status_counts(**filters)  # type: ignore[arg-type]
    assert sum(counts.values()) == len(listed)
    assert {k: v for k, v in counts.items() if v} == {
        status: sum(1 for lead in listed if lead.status_id == status)
        for status in {lead.status_id for lead in listed}
    }
