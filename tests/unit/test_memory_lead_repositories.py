"""The lead repositories, checked through the storage ports only.

Every test takes a ``Storage`` from the ``storage`` fixture and uses nothing but
:mod:`leadcore.storage.protocols`, so the checks can run against any adapter.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import attrs
import pytest

from leadcore.errors import ConflictError, NotFound
from leadcore.leads import (
    Account,
    Contact,
    Conversion,
    Cursor,
    HistoryEntry,
    HistoryKind,
    Lead,
    LeadQuery,
    LeadSettings,
    Note,
    Opportunity,
    Project,
    Scope,
    Source,
    Task,
)
from leadcore.storage.memory import MemoryStorage
from leadcore.storage.protocols import Storage
from leadcore.workflow import name_key

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ORG, OTHER = "org-a", "org-b"


@pytest.fixture
def storage() -> Iterator[Storage]:
    store = MemoryStorage()
    yield store
    store.close()


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def lead(lead_id: str, minutes: int = 0, org: str = ORG, **kw: object) -> Lead:
    return Lead(
        id=lead_id,
        organization_id=org,
        name=str(kw.pop("name", lead_id)),
        created_at=at(minutes),
        updated_at=at(minutes),
        **kw,  # type: ignore[arg-type]
    )


def entry(entry_id: str, lead_id: str, minutes: int, org: str = ORG, **kw: object) -> HistoryEntry:
    return HistoryEntry(
        id=entry_id,
        organization_id=org,
        lead_id=lead_id,
        kind=HistoryKind(str(kw.pop("kind", "note"))),
        at=at(minutes),
        actor_id=str(kw.pop("actor_id", "user-1")),
        **kw,  # type: ignore[arg-type]
    )


def task(task_id: str, lead_id: str, due: int, assignee: str = "user-1", org: str = ORG) -> Task:
    return Task(
        id=task_id,
        organization_id=org,
        lead_id=lead_id,
        title=task_id,
        due_at=at(due),
        assignee_id=assignee,
        created_by="user-1",
        created_at=T0,
    )


def store(storage: Storage, *leads: Lead) -> None:
    with storage.unit_of_work() as uow:
        for x in leads:
            uow.leads.add(x)
        uow.commit()


# -- leads -----------------------------------------------------------------------------


def test_a_lead_round_trips_and_is_invisible_to_other_organisations(storage: Storage) -> None:
    original = lead("lead-1", phones=["+972505551234"], fields={"budget": 3})
    store(storage, original)
    with storage.unit_of_work() as uow:
        assert uow.leads.get(ORG, "lead-1") == original
        assert uow.leads.get(OTHER, "lead-1") is None
        assert uow.leads.query(OTHER, LeadQuery()) == []
        assert dict(uow.leads.count_by_status(OTHER, LeadQuery())) == {}
        assert uow.leads.matching(OTHER, phones=["+972505551234"]) == []


def test_adding_a_taken_id_is_a_conflict(storage: Storage) -> None:
    store(storage, lead("lead-1"))
    with storage.unit_of_work() as uow, pytest.raises(ConflictError):
        uow.leads.add(lead("lead-1"))


def test_nothing_is_stored_without_commit(storage: Storage) -> None:
    with storage.unit_of_work() as uow:
        uow.leads.add(lead("lead-1"))
        uow.history.add(entry("h-1", "lead-1", 0))
        assert uow.leads.get(ORG, "lead-1") is not None  # a unit of work sees its own writes
    with storage.unit_of_work() as uow:
        assert uow.leads.get(ORG, "lead-1") is None
        assert uow.history.for_lead(ORG, "lead-1") == []


def test_update_is_a_compare_and_set_on_the_version(storage: Storage) -> None:
    original = lead("lead-1")
    store(storage, original)
    moved = attrs.evolve(original, status_id="new", version=2)
    with storage.unit_of_work() as uow:
        uow.leads.update(moved, expected_version=1)
        uow.commit()
    with storage.unit_of_work() as uow:
        with pytest.raises(ConflictError):
            uow.leads.update(attrs.evolve(moved, version=3), expected_version=1)
        with pytest.raises(NotFound):
            uow.leads.update(lead("lead-404"), expected_version=1)
        with pytest.raises(NotFound):
            uow.leads.update(attrs.evolve(moved, organization_id=OTHER), expected_version=2)
        assert uow.leads.get(ORG, "lead-1") == moved


def test_two_units_of_work_updating_one_lead_the_second_commit_conflicts(
    storage: Storage,
) -> None:
    original = lead("lead-1")
    store(storage, original)
    first, second = storage.unit_of_work(), storage.unit_of_work()
    with first, second:
        first.leads.update(attrs.evolve(original, status_id="a", version=2), expected_version=1)
        second.leads.update(attrs.evolve(original, status_id="b", version=2), expected_version=1)
        first.commit()
        with pytest.raises(ConflictError):
            second.commit()
    with storage.unit_of_work() as uow:
        assert uow.leads.get(ORG, "lead-1") == attrs.evolve(original, status_id="a", version=2)


def test_concurrent_threads_updating_one_lead_exactly_one_wins(storage: Storage) -> None:
    original = lead("lead-1")
    store(storage, original)
    barrier = threading.Barrier(8)
    wins: list[str] = []

    def work(name: str) -> None:
        with storage.unit_of_work() as uow:
            current = uow.leads.get(ORG, "lead-1")
            assert current is not None
            barrier.wait()
            try:
                uow.leads.update(
                    attrs.evolve(current, status_id=name, version=2), expected_version=1
                )
                uow.commit()
            except ConflictError:
                return
            wins.append(name)

    threads = [threading.Thread(target=work, args=(f"s{i}",)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(wins) == 1
    with storage.unit_of_work() as uow:
        stored = uow.leads.get(ORG, "lead-1")
        assert stored is not None
        assert (stored.status_id, stored.version) == (wins[0], 2)


def test_query_is_newest_first_by_created_at_then_id_with_cursor_and_limit(
    storage: Storage,
) -> None:
    store(storage, lead("b", 1), lead("a", 1), lead("c", 0), lead("d", 2))
    with storage.unit_of_work() as uow:
        assert [x.id for x in uow.leads.query(ORG, LeadQuery())] == ["d", "b", "a", "c"]
        after = Cursor(at(1), "b")
        assert [x.id for x in uow.leads.query(ORG, LeadQuery(after=after))] == ["a", "c"]
        assert [x.id for x in uow.leads.query(ORG, LeadQuery(limit=2))] == ["d", "b"]


def test_query_applies_every_filter(storage: Storage) -> None:
    store(
        storage,
        lead("l1", 0, status_id=None, source=Source(channel="fb"), phones=["+972505551234"]),
        lead("l2", 1, status_id="new", assignee_ids=["u1"], project_id="p1"),
        lead("l3", 2, status_id="won", source=Source(supplier_id="s1"), emails=["x@y.example"]),
        lead("l4", 3, status_id="new", pool_id="pool", conversion_id="c1"),
    )

    def ids(**kw: object) -> list[str]:
        with storage.unit_of_work() as uow:
            return [x.id for x in uow.leads.query(ORG, LeadQuery(**kw))]  # type: ignore[arg-type]

    assert ids(status_ids=[None]) == ["l1"]
    assert ids(status_ids=["new", None]) == ["l4", "l2", "l1"]
    assert ids(exclude_status_ids=["won"]) == ["l4", "l2", "l1"]
    assert ids(assignee_id="u1") == ["l2"]
    assert ids(channel="fb") == ["l1"]
    assert ids(supplier_id="s1") == ["l3"]
    assert ids(project_id="p1") == ["l2"]
    assert ids(pool_id="pool") == ["l4"]
    assert ids(converted=True) == ["l4"]
    assert ids(created_from=at(1), created_until=at(3)) == ["l3", "l2"]
    assert ids(text="505551") == ["l1"]
    assert ids(text="X@Y") == ["l3"]
    assert ids(scope=Scope(project_ids={"p1"}, assignee_id=None)) == ["l2"]
    assert ids(scope=Scope(assignee_id="u1")) == ["l2"]
    assert ids(scope=Scope()) == []


def test_count_by_status_counts_matching_leads(storage: Storage) -> None:
    store(storage, lead("l1", status_id="new"), lead("l2", status_id="new"), lead("l3"))
    with storage.unit_of_work() as uow:
        assert dict(uow.leads.count_by_status(ORG, LeadQuery())) == {"new": 2, None: 1}
        only = uow.leads.count_by_status(ORG, LeadQuery(status_ids=["new"]))
        assert dict(only) == {"new": 2}


def test_matching_finds_shared_contacts_oldest_first_and_since(storage: Storage) -> None:
    phone, other_phone = "+972505551234", "+972523456789"
    store(
        storage,
        lead("new", 5, phones=[phone]),
        lead("old", 0, phones=[phone], emails=["a@b.example"]),
        lead("named", 1, name="Dana Levi"),
        lead("twin", 0, org=OTHER, phones=[phone]),
    )
    with storage.unit_of_work() as uow:
        assert [x.id for x in uow.leads.matching(ORG, phones=[phone])] == ["old", "new"]
        assert [x.id for x in uow.leads.matching(ORG, phones=[phone], since=at(1))] == ["new"]
        assert [x.id for x in uow.leads.matching(ORG, emails=["a@b.example"])] == ["old"]
        assert [x.id for x in uow.leads.matching(ORG, name_keys=[name_key("DANA levi")])] == [
            "named"
        ]
        assert uow.leads.matching(ORG, phones=[other_phone]) == []
        assert uow.leads.matching(ORG) == []


def test_matching_follows_changed_contact_details(storage: Storage) -> None:
    phone, other_phone = "+972505551234", "+972523456789"
    original = lead("l1", phones=[phone])
    store(storage, original)
    with storage.unit_of_work() as uow:
        uow.leads.update(
            attrs.evolve(original, phones=[other_phone], version=2), expected_version=1
        )
        uow.commit()
    with storage.unit_of_work() as uow:
        assert uow.leads.matching(ORG, phones=[phone]) == []
        assert [x.id for x in uow.leads.matching(ORG, phones=[other_phone])] == ["l1"]


def test_matching_sees_leads_added_earlier_in_the_same_unit_of_work(storage: Storage) -> None:
    with storage.unit_of_work() as uow:
        uow.leads.add(lead("l1", phones=["+972505551234"]))
        assert [x.id for x in uow.leads.matching(ORG, phones=["+972505551234"])] == ["l1"]


# -- history, notes, tasks -------------------------------------------------------------


def test_history_for_a_lead_is_newest_first_ties_by_reverse_insertion(storage: Storage) -> None:
    with storage.unit_of_work() as uow:
        uow.history.add(entry("h-b", "l1", 1))
        uow.history.add(entry("h-a", "l1", 1, actor_id="user-2"))
        uow.history.add(entry("h-c", "l1", 0))
        uow.history.add(entry("h-x", "l2", 5))
        uow.history.add(entry("h-y", "l1", 9, org=OTHER))
        uow.commit()
    with storage.unit_of_work() as uow:
        assert [e.id for e in uow.history.for_lead(ORG, "l1")] == ["h-a", "h-b", "h-c"]
        own = uow.history.for_lead(ORG, "l1", actor_ids={"user-1"})
        assert [e.id for e in own] == ["h-b", "h-c"]
        assert [e.id for e in uow.history.between(ORG, None, None)] == [
            "h-c",
            "h-b",
            "h-a",
            "h-x",
        ]
        assert [e.id for e in uow.history.between(ORG, at(1), at(5))] == ["h-b", "h-a"]
        assert [e.id for e in uow.history.between(OTHER, None, None)] == ["h-y"]


def test_history_written_by_separate_units_of_work_keeps_their_order(storage: Storage) -> None:
    for name in ("first", "second", "third"):
        with storage.unit_of_work() as uow:
            uow.history.add(entry(name, "l1", 0))
            uow.commit()
    with storage.unit_of_work() as uow:
        assert [e.id for e in uow.history.for_lead(ORG, "l1")] == ["third", "second", "first"]


def test_notes_are_oldest_first_per_lead(storage: Storage) -> None:
    def note(note_id: str, lead_id: str, minutes: int) -> Note:
        return Note(note_id, ORG, lead_id, "user-1", note_id, at(minutes))

    with storage.unit_of_work() as uow:
        for n in (note("n-2", "l1", 1), note("n-1", "l1", 0), note("n-3", "l2", 0)):
            uow.notes.add(n)
        uow.commit()
    with storage.unit_of_work() as uow:
        assert [n.id for n in uow.notes.for_lead(ORG, "l1")] == ["n-1", "n-2"]
        assert uow.notes.get(ORG, "n-3") == note("n-3", "l2", 0)
        assert uow.notes.get(OTHER, "n-3") is None


def test_tasks_by_due_time_and_open_tasks_of_assignees(storage: Storage) -> None:
    with storage.unit_of_work() as uow:
        uow.tasks.add(task("t-late", "l1", 30))
        uow.tasks.add(task("t-soon", "l1", 10))
        uow.tasks.add(task("t-other", "l2", 5, assignee="user-2"))
        uow.tasks.add(task("t-foreign", "l1", 1, org=OTHER))
        uow.commit()
    with storage.unit_of_work() as uow:
        assert [t.id for t in uow.tasks.for_lead(ORG, "l1")] == ["t-soon", "t-late"]
        assert [t.id for t in uow.tasks.open_for(ORG, {"user-1"}, None)] == ["t-soon", "t-late"]
        assert [t.id for t in uow.tasks.open_for(ORG, {"user-1"}, at(30))] == ["t-soon"]
        both = uow.tasks.open_for(ORG, {"user-1", "user-2"}, at(20))
        assert [t.id for t in both] == ["t-other", "t-soon"]
        done = attrs.evolve(task("t-soon", "l1", 10), completed_at=at(11), completed_by="user-1")
        uow.tasks.update(done)
        assert [t.id for t in uow.tasks.open_for(ORG, {"user-1"}, None)] == ["t-late"]
        assert uow.tasks.for_lead(ORG, "l1")[0] == done
        with pytest.raises(NotFound):
            uow.tasks.update(task("t-404", "l1", 0))


# -- projects, settings, do-not-call ---------------------------------------------------


def test_projects_by_name_then_id(storage: Storage) -> None:
    with storage.unit_of_work() as uow:
        for pid, name in (("p3", "B"), ("p2", "A"), ("p1", "B")):
            uow.projects.add(Project(pid, ORG, name, T0))
        uow.commit()
    with storage.unit_of_work() as uow:
        assert [p.id for p in uow.projects.list(ORG)] == ["p2", "p1", "p3"]
        uow.projects.update(Project("p2", ORG, "Z", T0))
        assert [p.id for p in uow.projects.list(ORG)] == ["p1", "p3", "p2"]
        assert uow.projects.get(OTHER, "p1") is None
        with pytest.raises(NotFound):
            uow.projects.update(Project("p9", ORG, "X", T0))


def test_the_do_not_call_list_and_settings_per_organisation(storage: Storage) -> None:
    settings = LeadSettings(duplicate_window=None)
    with storage.unit_of_work() as uow:
        uow.do_not_call.add(ORG, "+972523456789")
        uow.do_not_call.add(ORG, "+972505551234")
        uow.do_not_call.add(ORG, "+972505551234")
        uow.lead_settings.put(ORG, settings)
        uow.commit()
    with storage.unit_of_work() as uow:
        assert list(uow.do_not_call.list(ORG)) == ["+972505551234", "+972523456789"]
        assert uow.do_not_call.contains(ORG, "+972505551234")
        assert not uow.do_not_call.contains(OTHER, "+972505551234")
        uow.do_not_call.remove(ORG, "+972505551234")
        uow.do_not_call.remove(ORG, "+972000000000")
        assert list(uow.do_not_call.list(ORG)) == ["+972523456789"]
        assert uow.lead_settings.get(ORG) == settings
        assert uow.lead_settings.get(OTHER) is None


# -- accounts, contacts, opportunities, conversions ------------------------------------


def test_conversion_records_and_what_they_link(storage: Storage) -> None:
    account = Account("acc-1", ORG, "Cohen Ltd", T0, created_from_lead_id="l1")
    contacts = [Contact(f"con-{n}", ORG, n, "acc-1", T0) for n in ("Ben", "Avi")]
    opportunities = [
        Opportunity(f"opp-{i}", ORG, "Deal", "acc-1", None, "prospecting", 1, at(i)) for i in (2, 1)
    ]
    conversions = [
        Conversion(
            f"conv-{i}",
            ORG,
            lead_id,
            at(i),
            "user-1",
            "con-Avi",
            "acc-1",
            i == 1,
            None,
            None,
            "won",
            {"name": lead_id},
        )
        for i, lead_id in ((2, "l2"), (1, "l1"), (3, "l1"))
    ]
    with storage.unit_of_work() as uow:
        uow.accounts.add(account)
        uow.accounts.add(Account("acc-0", ORG, "Abba", T0))
        for c in contacts:
            uow.contacts.add(c)
        for o in opportunities:
            uow.opportunities.add(o)
        for conv in conversions:
            uow.conversions.add(conv)
        uow.commit()
    with storage.unit_of_work() as uow:
        assert [a.id for a in uow.accounts.list(ORG)] == ["acc-0", "acc-1"]
        assert uow.accounts.get(OTHER, "acc-1") is None
        assert [c.id for c in uow.contacts.for_account(ORG, "acc-1")] == ["con-Avi", "con-Ben"]
        assert [o.id for o in uow.opportunities.for_account(ORG, "acc-1")] == ["opp-1", "opp-2"]
        assert [c.id for c in uow.conversions.list(ORG)] == ["conv-1", "conv-2", "conv-3"]
        assert [c.id for c in uow.conversions.for_lead(ORG, "l1")] == ["conv-1", "conv-3"]
        assert [c.id for c in uow.conversions.for_account(ORG, "acc-1")] == [
            "conv-1",
            "conv-2",
            "conv-3",
        ]
        assert uow.conversions.list(OTHER) == []
        undone = attrs.evolve(conversions[1], undone_at=at(9), undone_by="user-2")
        uow.conversions.update(undone)
        staged = attrs.evolve(opportunities[0], stage_id="qualification")
        uow.opportunities.update(staged)
        assert uow.conversions.get(ORG, "conv-1") == undone
        assert uow.opportunities.get(ORG, "opp-2") == staged
        assert uow.contacts.get(OTHER, "con-Avi") is None
