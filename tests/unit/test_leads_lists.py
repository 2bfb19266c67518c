"""Lead lists: filters, hidden done statuses, keyset pages and the status tabs."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

import pytest
from tests.unit.conftest import START

from leadcore import Leadcore
from leadcore.clock import ManualClock
from leadcore.core import Session
from leadcore.errors import ValidationError
from leadcore.leads import Cursor, Lead


def names(leads: tuple[Lead, ...] | list[Lead]) -> list[str]:
    return [lead.name for lead in leads]


@pytest.fixture
def board(s: Session, clock: ManualClock) -> dict[str, Lead]:
    """Six leads, one minute apart, in various statuses and sources."""
    supplier, _ = s.partners.add_supplier("Leads Ltd", admin_name="Avi")
    project = s.leads.create_project("Outbound")
    agent = s.users.create("Avi", "sales_manager")
    made: dict[str, Lead] = {}

    def add(name: str, **kw: object) -> Lead:
        clock.advance(timedelta(minutes=1))
        made[name] = s.leads.create(name, **kw)  # type: ignore[arg-type]
        return made[name]

    add("Fresh Facebook", channel="facebook", phones=["050-555-1234"])
    add("New Supplier", supplier_id=supplier.id, emails=["buyer@shop.example"])
    s.leads.change_status(made["New Supplier"].id, "new")
    add("Contacted Project", project_id=project.id, assignee_ids=[agent.id])
    s.leads.change_status(made["Contacted Project"].id, "contacted", note="spoke")
    add("Won Deal", channel="facebook")
    s.leads.change_status(made["Won Deal"].id, "won")
    add("Lost Cause", channel="google")
    s.leads.change_status(made["Lost Cause"].id, "lost", note="no budget")
    add("Qualified Google", channel="google")
    s.leads.change_status(made["Qualified Google"].id, "qualified")
    return made


def test_lists_are_newest_first_and_hide_done_statuses(s: Session, board: dict[str, Lead]) -> None:
    assert names(s.leads.list().items) == [
        "Qualified Google",
        "Contacted Project",
        "New Supplier",
        "Fresh Facebook",
    ]
    assert names(s.leads.list(include_done=True).items) == [
        "Qualified Google",
        "Lost Cause",
        "Won Deal",
        "Contacted Project",
        "New Supplier",
        "Fresh Facebook",
    ]


def test_asking_for_a_done_status_or_category_shows_it(s: Session, board: dict[str, Lead]) -> None:
    assert names(s.leads.list(status_ids=["won"]).items) == ["Won Deal"]
    assert names(s.leads.list(categories="done").items) == ["Lost Cause", "Won Deal"]
    assert names(s.leads.list(status_ids=["won", None]).items) == ["Won Deal", "Fresh Facebook"]


def test_status_none_means_no_status(s: Session, board: dict[str, Lead]) -> None:
    assert names(s.leads.list(status_ids=[None]).items) == ["Fresh Facebook"]


def test_filters_by_category_assignee_source_and_project(
    s: Session, board: dict[str, Lead]
) -> None:
    contacted = board["Contacted Project"]
    assert names(s.leads.list(categories="in_progress").items) == [
        "Qualified Google",
        "Contacted Project",
    ]
    assert names(s.leads.list(categories=["todo"]).items) == ["New Supplier"]
    assert names(s.leads.list(assignee_id=contacted.assignee_ids[0]).items) == ["Contacted Project"]
    assert names(s.leads.list(channel="facebook", include_done=True).items) == [
        "Won Deal",
        "Fresh Facebook",
    ]
    supplier_id = board["New Supplier"].source.supplier_id
    assert names(s.leads.list(supplier_id=supplier_id).items) == ["New Supplier"]
    assert names(s.leads.list(project_id=contacted.project_id).items) == ["Contacted Project"]


def test_filters_by_created_range_with_an_open_end(s: Session, board: dict[str, Lead]) -> None:
    start = board["New Supplier"].created_at
    end = board["Lost Cause"].created_at
    in_range = s.leads.list(created_from=start, created_until=end, include_done=True)
    assert names(in_range.items) == ["Won Deal", "Contacted Project", "New Supplier"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("fresh", ["Fresh Facebook"]),
        ("GOOGLE", ["Qualified Google"]),
        ("shop.example", ["New Supplier"]),
        ("+972 50-555", ["Fresh Facebook"]),
        ("050-555-1234", ["Fresh Facebook"]),
        ("5551234", ["Fresh Facebook"]),
        ("55", []),  # too few digits to search phones, and no name has them
        ("nobody", []),
    ],
)
def test_free_text_searches_names_emails_and_phones(
    s: Session, board: dict[str, Lead], text: str, expected: list[str]
) -> None:
    assert names(s.leads.list(text=text).items) == expected


def test_unknown_statuses_and_categories_are_refused(s: Session) -> None:
    with pytest.raises(ValidationError, match="'archived' is not a status"):
        s.leads.list(status_ids=["archived"])
    with pytest.raises(ValidationError, match="categories"):
        s.leads.list(categories="finished")
    with pytest.raises(ValidationError, match="limit"):
        s.leads.list(limit=0)
    naive = datetime(2026, 3, 2, 9, 0)
    with pytest.raises(ValidationError, match="created_from: must be timezone-aware"):
        s.leads.list(created_from=naive)
    with pytest.raises(ValidationError, match="created_until: must be timezone-aware"):
        s.leads.status_counts(created_until=naive)


def test_pages_follow_each_other_without_gaps_or_repeats(s: Session, clock: ManualClock) -> None:
    for i in range(10):
        if i % 3 == 0:
            clock.advance(timedelta(seconds=1))  # several leads share an instant
        s.leads.create(f"Lead {i}")
    seen: list[str] = []
    page = s.leads.list(limit=4)
    while True:
        seen += [lead.id for lead in page.items]
        if page.next is None:
            break
        page = s.leads.list(limit=4, after=page.next)
    assert seen == [lead.id for lead in s.leads.list(limit=100).items]
    assert len(seen) == len(set(seen)) == 10


def test_pages_stay_stable_while_new_leads_arrive(s: Session, clock: ManualClock) -> None:
    for i in range(6):
        clock.advance(timedelta(seconds=1))
        s.leads.create(f"Old {i}")
    first = s.leads.list(limit=3)
    assert first.next is not None
    for i in range(5):
        s.leads.create(f"Arrived {i}")  # at the same instant as the newest, and after
        clock.advance(timedelta(seconds=1))
    second = s.leads.list(limit=3, after=first.next)
    assert names(first.items) + names(second.items) == [f"Old {i}" for i in reversed(range(6))]
    assert second.next is None


def test_paging_while_another_thread_inserts_sees_every_earlier_lead_once(
    core: Leadcore, s: Session, clock: ManualClock
) -> None:
    for i in range(30):
        if i % 4 == 0:
            clock.advance(timedelta(seconds=1))
        s.leads.create(f"Old {i}")
    earlier = {lead.id for lead in s.leads.list(limit=100).items}
    stop = threading.Event()

    def insert() -> None:
        writer = core.session(s.user_id)
        while not stop.is_set():
            writer.leads.create("Arrived")

    inserter = threading.Thread(target=insert)
    inserter.start()
    try:
        seen: list[str] = []
        page = s.leads.list(limit=4)
        while True:
            seen += [lead.id for lead in page.items]
            if page.next is None:
                break
            page = s.leads.list(limit=4, after=page.next)
    finally:
        stop.set()
        inserter.join()
    assert len(seen) == len(set(seen))
    assert earlier <= set(seen)


def test_the_last_page_has_no_next_cursor(s: Session) -> None:
    s.leads.create("Only")
    page = s.leads.list(limit=1)
    assert page.next is None
    assert isinstance(s.leads.list(limit=1, after=Cursor(START, "lead-0")).items, tuple)


def test_status_counts_are_the_status_tabs(s: Session, board: dict[str, Lead]) -> None:
    counts = s.leads.status_counts()
    assert list(counts)[:4] == [None, "new", "no_answer", "callback"]
    assert counts[None] == 1
    assert counts["new"] == 1
    assert counts["contacted"] == 1
    assert counts["qualified"] == 1
    assert counts["callback"] == 0
    assert "won" not in counts
    assert sum(counts.values()) == len(s.leads.list().items)
    with_done = s.leads.status_counts(include_done=True)
    assert (with_done["won"], with_done["lost"], with_done["not_relevant"]) == (1, 1, 0)


def test_status_counts_take_the_same_filters_as_lists(s: Session, board: dict[str, Lead]) -> None:
    google = s.leads.status_counts(channel="google", include_done=True)
    assert {k: v for k, v in google.items() if v} == {"qualified": 1, "lost": 1}
    progress = s.leads.status_counts(categories="in_progress")
    assert {k: v for k, v in progress.items() if v} == {"contacted": 1, "qualified": 1}
    assert None not in progress  # leads with no status are not in a category
    assert set(progress) == {"contacted", "qualified", "meeting", "proposal", "negotiation"}
    text = s.leads.status_counts(text="supplier")
    assert {k: v for k, v in text.items() if v} == {"new": 1}


def test_the_lead_cursor_old_attribute_names_still_work_with_a_warning() -> None:
    cursor = Cursor(START, "lead-1")
    with pytest.deprecated_call(match="Cursor.created_at is renamed Cursor.at"):
        assert cursor.created_at == cursor.at
    with pytest.deprecated_call(match="Cursor.lead_id is renamed Cursor.id"):
        assert cursor.lead_id == cursor.id
