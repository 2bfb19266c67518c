"""Checks of the lead repositories: leads, history, notes, tasks, projects, settings."""

from __future__ import annotations

import threading
from typing import TypeVar

import attrs
import pytest

from leadcore.dispatch import HistoryScope, ProjectRules
from leadcore.errors import ConflictError, NotFound
from leadcore.leads import (
    Cursor,
    HistoryEntry,
    HistoryKind,
    Lead,
    LeadQuery,
    LeadSettings,
    Note,
    Project,
    Scope,
    Source,
    Task,
)
from leadcore.storage.protocols import Storage
from leadcore.testing.conformance._base import (
    HANG_GUARD,
    StorageFixtures,
    require_capability,
    write_conflicts,
)
from leadcore.testing.conformance._records import T0, Records
from leadcore.testing.conformance._scope import Scope as Ids
from leadcore.testing.conformance._scope import at
from leadcore.workflow import name_key

__all__ = [
    "DoNotCallRepositoryTests",
    "HistoryRepositoryTests",
    "LeadRepositoryTests",
    "LeadSettingsRepositoryTests",
    "NoteRepositoryTests",
    "ProjectRepositoryTests",
    "TaskRepositoryTests",
    "lead",
    "store_leads",
]

S = TypeVar("S", bound=Storage)

PHONE, OTHER_PHONE = "+972505551234", "+972523456789"


def lead(ids: Ids, name: str, minutes: int = 0, *, other: bool = False) -> Lead:
    """A lead called ``name`` created ``minutes`` after ``T0`` (in the other organisation too)."""
    return Lead(
        id=ids(name),
        organization_id=ids.other if other else ids.org,
        name=name,
        created_at=at(minutes),
        updated_at=at(minutes),
    )


def store_leads(storage: Storage, *leads: Lead) -> None:
    """Store ``leads`` in one committed unit of work."""
    with storage.unit_of_work() as uow:
        for x in leads:
            uow.leads.add(x)
        uow.commit()


def _entry(
    ids: Ids, name: str, lead_name: str, minutes: int, *, actor: str = "user-1", other: bool = False
) -> HistoryEntry:
    return HistoryEntry(
        id=ids(name),
        organization_id=ids.other if other else ids.org,
        lead_id=ids(lead_name),
        kind=HistoryKind.NOTE,
        at=at(minutes),
        actor_id=actor,
    )


def _task(
    ids: Ids, name: str, lead_name: str, due: int, *, assignee: str = "user-1", other: bool = False
) -> Task:
    return Task(
        id=ids(name),
        organization_id=ids.other if other else ids.org,
        lead_id=ids(lead_name),
        title=name,
        due_at=at(due),
        assignee_id=assignee,
        created_by="user-1",
        created_at=T0,
    )


class LeadRepositoryTests(StorageFixtures[S]):
    """``uow.leads``: round trips, compare-and-set updates, queries, matching, isolation."""

    def test_a_lead_round_trips_and_is_invisible_to_other_organisations(
        self, storage: S, records: Records
    ) -> None:
        ids = Ids(records)
        original = attrs.evolve(lead(ids, "l1"), phones=[PHONE], fields={"budget": 3})
        store_leads(storage, original)
        with storage.unit_of_work() as uow:
            assert uow.leads.get(ids.org, ids("l1")) == original
            assert uow.leads.get(ids.other, ids("l1")) is None
            assert uow.leads.query(ids.other, LeadQuery()) == []
            assert dict(uow.leads.count_by_status(ids.other, LeadQuery())) == {}
            assert uow.leads.matching(ids.other, phones=[PHONE]) == []

    def test_adding_a_taken_lead_id_conflicts(self, storage: S, records: Records) -> None:
        ids = Ids(records)
        store_leads(storage, lead(ids, "l1"))
        with storage.unit_of_work() as uow, pytest.raises(ConflictError):
            uow.leads.add(lead(ids, "l1"))

    def test_nothing_is_stored_without_commit(self, storage: S, records: Records) -> None:
        ids = Ids(records)
        with storage.unit_of_work() as uow:
            uow.leads.add(lead(ids, "l1"))
            uow.history.add(_entry(ids, "h1", "l1", 0))
            assert uow.leads.get(ids.org, ids("l1")) is not None
        with storage.unit_of_work() as uow:
            assert uow.leads.get(ids.org, ids("l1")) is None
            assert uow.history.for_lead(ids.org, ids("l1")) == []

    def test_a_lead_update_is_a_compare_and_set_on_the_version(
        self, storage: S, records: Records
    ) -> None:
        ids = Ids(records)
        original = lead(ids, "l1")
        store_leads(storage, original)
        moved = attrs.evolve(original, status_id="new", version=2)
        with storage.unit_of_work() as uow:
            uow.leads.update(moved, expected_version=1)
            uow.commit()
        with storage.unit_of_work() as uow:
            with pytest.raises(ConflictError):
                uow.leads.update(attrs.evolve(moved, version=3), expected_version=1)
            with pytest.raises(NotFound):
                uow.leads.update(lead(ids, "l404"), expected_version=1)
            with pytest.raises(NotFound):
                uow.leads.update(attrs.evolve(moved, organization_id=ids.other), expected_version=2)
            assert uow.leads.get(ids.org, ids("l1")) == moved

    def test_of_two_units_of_work_updating_one_lead_the_second_conflicts(
        self, storage: S, records: Records
    ) -> None:
        require_capability(storage, "concurrent_units_of_work")
        ids = Ids(records)
        original = lead(ids, "l1")
        store_leads(storage, original)
        with storage.unit_of_work() as first, storage.unit_of_work() as second:
            assert second.leads.get(ids.org, ids("l1")) == original
            first.leads.update(attrs.evolve(original, status_id="a", version=2), expected_version=1)
            first.commit()

            def write_second() -> None:
                second.leads.update(
                    attrs.evolve(original, status_id="b", version=2), expected_version=1
                )
                second.commit()

            assert write_conflicts(write_second), "the second writer of a lead committed"
        with storage.unit_of_work() as uow:
            assert uow.leads.get(ids.org, ids("l1")) == attrs.evolve(
                original, status_id="a", version=2
            )

    def test_of_concurrent_threads_updating_one_lead_exactly_one_wins(
        self, storage: S, records: Records
    ) -> None:
        require_capability(storage, "concurrent_units_of_work")
        ids = Ids(records)
        store_leads(storage, lead(ids, "l1"))
        barrier = threading.Barrier(4, timeout=HANG_GUARD)
        wins: list[str] = []

        def work(name: str) -> None:
            with storage.unit_of_work() as uow:
                current = uow.leads.get(ids.org, ids("l1"))
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

        threads = [threading.Thread(target=work, args=(f"s{i}",)) for i in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(HANG_GUARD)
        assert len(wins) == 1
        with storage.unit_of_work() as uow:
            stored = uow.leads.get(ids.org, ids("l1"))
            assert stored is not None
            assert (stored.status_id, stored.version) == (wins[0], 2)

    def test_query_is_newest_first_by_created_at_then_id_with_cursor_and_limit(
        self, storage: S, records: Records
    ) -> None:
        ids = Ids(records)
        store_leads(
            storage, lead(ids, "b", 1), lead(ids, "a", 1), lead(ids, "c", 0), lead(ids, "d", 2)
        )
        with storage.unit_of_work() as uow:
            assert ids.names(uow.leads.query(ids.org, LeadQuery())) == ["d", "b", "a", "c"]
            after = LeadQuery(after=Cursor(at(1), ids("b")))
            assert ids.names(uow.leads.query(ids.org, after)) == ["a", "c"]
            assert ids.names(uow.leads.query(ids.org, LeadQuery(limit=2))) == ["d", "b"]

    def test_query_applies_every_filter(self, storage: S, records: Records) -> None:
        ids = Ids(records)
        store_leads(
            storage,
            attrs.evolve(lead(ids, "l1", 0), source=Source(channel="fb"), phones=[PHONE]),
            attrs.evolve(lead(ids, "l2", 1), status_id="new", assignee_ids=["u1"], project_id="p1"),
            attrs.evolve(
                lead(ids, "l3", 2),
                status_id="won",
                source=Source(supplier_id="s1"),
                emails=["x@y.example"],
            ),
            attrs.evolve(lead(ids, "l4", 3), status_id="new", pool_id="pool", conversion_id="c1"),
            attrs.evolve(lead(ids, "l5", 4, other=True), status_id="new", project_id="p1"),
        )

        def names(query: LeadQuery) -> list[str]:
            with storage.unit_of_work() as uow:
                return ids.names(uow.leads.query(ids.org, query))

        assert names(LeadQuery(status_ids=[None])) == ["l1"]
        assert names(LeadQuery(status_ids=["new", None])) == ["l4", "l2", "l1"]
        assert names(LeadQuery(exclude_status_ids=["won"])) == ["l4", "l2", "l1"]
        assert names(LeadQuery(assignee_id="u1")) == ["l2"]
        assert names(LeadQuery(channel="fb")) == ["l1"]
        assert names(LeadQuery(supplier_id="s1")) == ["l3"]
        assert names(LeadQuery(project_id="p1")) == ["l2"]
        assert names(LeadQuery(pool_id="pool")) == ["l4"]
        assert names(LeadQuery(converted=True)) == ["l4"]
        assert names(LeadQuery(created_from=at(1), created_until=at(3))) == ["l3", "l2"]
        assert names(LeadQuery(text="505551")) == ["l1"]
        assert names(LeadQuery(text="X@Y")) == ["l3"]
        assert names(LeadQuery(scope=Scope(project_ids={"p1"}, assignee_id=None))) == ["l2"]
        assert names(LeadQuery(scope=Scope(assignee_id="u1"))) == ["l2"]
        assert names(LeadQuery(scope=Scope())) == []

    def test_count_by_status_counts_matching_leads_of_the_organisation_only(
        self, storage: S, records: Records
    ) -> None:
        ids = Ids(records)
        store_leads(
            storage,
            attrs.evolve(lead(ids, "l1"), status_id="new"),
            attrs.evolve(lead(ids, "l2"), status_id="new"),
            lead(ids, "l3"),
            attrs.evolve(lead(ids, "l4", other=True), status_id="new"),
        )
        with storage.unit_of_work() as uow:
            assert dict(uow.leads.count_by_status(ids.org, LeadQuery())) == {"new": 2, None: 1}
            only = uow.leads.count_by_status(ids.org, LeadQuery(status_ids=["new"]))
            assert dict(only) == {"new": 2}
            assert dict(uow.leads.count_by_status(ids.other, LeadQuery())) == {"new": 1}

    def test_matching_finds_shared_contacts_oldest_first_and_since(
        self, storage: S, records: Records
    ) -> None:
        ids = Ids(records)
        store_leads(
            storage,
            attrs.evolve(lead(ids, "new", 5), phones=[PHONE]),
            attrs.evolve(lead(ids, "old", 0), phones=[PHONE], emails=["a@b.example"]),
            attrs.evolve(lead(ids, "named", 1), name="Dana Levi"),
            attrs.evolve(lead(ids, "twin", 0, other=True), phones=[PHONE]),
        )
        with storage.unit_of_work() as uow:
            assert ids.names(uow.leads.matching(ids.org, phones=[PHONE])) == ["old", "new"]
            since = uow.leads.matching(ids.org, phones=[PHONE], since=at(1))
            assert ids.names(since) == ["new"]
            by_email = uow.leads.matching(ids.org, emails=["a@b.example"])
            assert ids.names(by_email) == ["old"]
            by_name = uow.leads.matching(ids.org, name_keys=[name_key("DANA levi")])
            assert ids.names(by_name) == ["named"]
            assert uow.leads.matching(ids.org, phones=[OTHER_PHONE]) == []
            assert uow.leads.matching(ids.org) == []
            assert ids.names(uow.leads.matching(ids.other, phones=[PHONE])) == ["twin"]

    def test_matching_follows_changed_contact_details(self, storage: S, records: Records) -> None:
        ids = Ids(records)
        original = attrs.evolve(lead(ids, "l1"), phones=[PHONE])
        store_leads(storage, original)
        with storage.unit_of_work() as uow:
            changed = attrs.evolve(original, phones=[OTHER_PHONE], version=2)
            uow.leads.update(changed, expected_version=1)
            uow.commit()
        with storage.unit_of_work() as uow:
            assert uow.leads.matching(ids.org, phones=[PHONE]) == []
            assert ids.names(uow.leads.matching(ids.org, phones=[OTHER_PHONE])) == ["l1"]

    def test_matching_sees_leads_added_earlier_in_the_same_unit_of_work(
        self, storage: S, records: Records
    ) -> None:
        ids = Ids(records)
        with storage.unit_of_work() as uow:
            uow.leads.add(attrs.evolve(lead(ids, "l1"), phones=[PHONE]))
            assert ids.names(uow.leads.matching(ids.org, phones=[PHONE])) == ["l1"]

    def test_leads_added_many_at_once_are_stored_and_matched_like_leads_added_one_by_one(
        self, storage: S, records: Records
    ) -> None:
        ids = Ids(records)
        batch = [
            attrs.evolve(lead(ids, "a", 0), phones=[PHONE]),
            attrs.evolve(lead(ids, "b", 1), emails=["b@b.example"], assignee_ids=["user-1"]),
            attrs.evolve(lead(ids, "c", 2), phones=[PHONE], emails=["b@b.example"]),
        ]
        with storage.unit_of_work() as uow:
            uow.leads.add_many(batch)
            assert ids.names(uow.leads.matching(ids.org, phones=[PHONE])) == ["a", "c"]
            uow.commit()
        with storage.unit_of_work() as uow:
            assert [uow.leads.get(ids.org, x.id) for x in batch] == batch
            assert ids.names(uow.leads.matching(ids.org, phones=[PHONE])) == ["a", "c"]
            assert ids.names(uow.leads.matching(ids.org, emails=["b@b.example"])) == ["b", "c"]
            by_name = uow.leads.matching(ids.org, name_keys=[name_key("B")])
            assert ids.names(by_name) == ["b"]
            assert ids.names(uow.leads.query(ids.org, LeadQuery(assignee_id="user-1"))) == ["b"]
            assert uow.leads.matching(ids.other, phones=[PHONE]) == []
            assert uow.leads.get(ids.other, batch[0].id) is None
            uow.leads.add_many([])

    def test_adding_many_leads_with_a_taken_id_conflicts_and_stores_none_of_them(
        self, storage: S, records: Records
    ) -> None:
        ids = Ids(records)
        store_leads(storage, lead(ids, "taken"))
        fresh = attrs.evolve(lead(ids, "fresh"), phones=[PHONE])
        with storage.unit_of_work() as uow:
            with pytest.raises(ConflictError):
                uow.leads.add_many([fresh, lead(ids, "taken", 3)])
            with pytest.raises(ConflictError):
                uow.leads.add_many([fresh, fresh])
            assert uow.leads.get(ids.org, fresh.id) is None
            assert uow.leads.matching(ids.org, phones=[PHONE]) == []
            uow.leads.add(fresh)
            with pytest.raises(ConflictError):
                uow.leads.add_many([fresh])


class HistoryRepositoryTests(StorageFixtures[S]):
    """``uow.history``: newest first per lead, oldest first between instants, ties by insertion."""

    def test_history_orders_ties_by_insertion_and_stays_in_its_organisation(
        self, storage: S, records: Records
    ) -> None:
        ids = Ids(records)
        with storage.unit_of_work() as uow:
            uow.history.add(_entry(ids, "h-b", "l1", 1))
            uow.history.add(_entry(ids, "h-a", "l1", 1, actor="user-2"))
            uow.history.add(_entry(ids, "h-c", "l1", 0))
            uow.history.add(_entry(ids, "h-x", "l2", 5))
            uow.history.add(_entry(ids, "h-y", "l1", 9, other=True))
            uow.commit()
        with storage.unit_of_work() as uow:
            assert ids.names(uow.history.for_lead(ids.org, ids("l1"))) == ["h-a", "h-b", "h-c"]
            own = uow.history.for_lead(ids.org, ids("l1"), actor_ids={"user-1"})
            assert ids.names(own) == ["h-b", "h-c"]
            every = uow.history.between(ids.org, None, None)
            assert ids.names(every) == ["h-c", "h-b", "h-a", "h-x"]
            assert ids.names(uow.history.between(ids.org, at(1), at(5))) == ["h-b", "h-a"]
            assert ids.names(uow.history.between(ids.other, None, None)) == ["h-y"]
            assert ids.names(uow.history.for_lead(ids.other, ids("l1"))) == ["h-y"]

    def test_history_written_by_separate_units_of_work_keeps_their_order(
        self, storage: S, records: Records
    ) -> None:
        ids = Ids(records)
        for name in ("first", "second", "third"):
            with storage.unit_of_work() as uow:
                uow.history.add(_entry(ids, name, "l1", 0))
                uow.commit()
        with storage.unit_of_work() as uow:
            newest_first = uow.history.for_lead(ids.org, ids("l1"))
            assert ids.names(newest_first) == ["third", "second", "first"]
            oldest_first = uow.history.between(ids.org, None, None)
            assert ids.names(oldest_first) == ["first", "second", "third"]


class NoteRepositoryTests(StorageFixtures[S]):
    """``uow.notes``: oldest first per lead; invisible to other organisations."""

    def test_notes_are_oldest_first_per_lead_and_stay_in_their_organisation(
        self, storage: S, records: Records
    ) -> None:
        ids = Ids(records)

        def note(name: str, lead_name: str, minutes: int) -> Note:
            return Note(ids(name), ids.org, ids(lead_name), "user-1", name, at(minutes))

        with storage.unit_of_work() as uow:
            for n in (note("n-2", "l1", 1), note("n-1", "l1", 0), note("n-3", "l2", 0)):
                uow.notes.add(n)
            uow.commit()
        with storage.unit_of_work() as uow:
            assert ids.names(uow.notes.for_lead(ids.org, ids("l1"))) == ["n-1", "n-2"]
            assert uow.notes.get(ids.org, ids("n-3")) == note("n-3", "l2", 0)
            assert uow.notes.get(ids.other, ids("n-3")) is None
            assert uow.notes.for_lead(ids.other, ids("l1")) == []


class TaskRepositoryTests(StorageFixtures[S]):
    """``uow.tasks``: by due time per lead, open tasks of assignees, updates, isolation."""

    def test_tasks_by_due_time_and_open_tasks_of_assignees(
        self, storage: S, records: Records
    ) -> None:
        ids = Ids(records)
        with storage.unit_of_work() as uow:
            uow.tasks.add(_task(ids, "t-late", "l1", 30))
            uow.tasks.add(_task(ids, "t-soon", "l1", 10))
            uow.tasks.add(_task(ids, "t-other", "l2", 5, assignee="user-2"))
            uow.tasks.add(_task(ids, "t-foreign", "l1", 1, other=True))
            uow.commit()
        with storage.unit_of_work() as uow:
            assert ids.names(uow.tasks.for_lead(ids.org, ids("l1"))) == ["t-soon", "t-late"]
            assert ids.names(uow.tasks.open_for(ids.org, {"user-1"}, None)) == ["t-soon", "t-late"]
            assert ids.names(uow.tasks.open_for(ids.org, {"user-1"}, at(30))) == ["t-soon"]
            both = uow.tasks.open_for(ids.org, {"user-1", "user-2"}, at(20))
            assert ids.names(both) == ["t-other", "t-soon"]
            assert ids.names(uow.tasks.open_for(ids.other, {"user-1"}, None)) == ["t-foreign"]
            assert uow.tasks.get(ids.other, ids("t-soon")) is None
            done = attrs.evolve(
                _task(ids, "t-soon", "l1", 10), completed_at=at(11), completed_by="user-1"
            )
            uow.tasks.update(done)
            assert ids.names(uow.tasks.open_for(ids.org, {"user-1"}, None)) == ["t-late"]
            assert uow.tasks.for_lead(ids.org, ids("l1"))[0] == done
            assert uow.tasks.get(ids.org, ids("t-soon")) == done
            with pytest.raises(NotFound):
                uow.tasks.update(_task(ids, "t-404", "l1", 0))
            with pytest.raises(NotFound):
                uow.tasks.update(attrs.evolve(done, organization_id=ids.other))


class ProjectRepositoryTests(StorageFixtures[S]):
    """``uow.projects``: by name then id; updates; isolation."""

    def test_projects_by_name_then_id(self, storage: S, records: Records) -> None:
        ids = Ids(records)
        with storage.unit_of_work() as uow:
            for name, title in (("p3", "B"), ("p2", "A"), ("p1", "B")):
                uow.projects.add(Project(ids(name), ids.org, title, T0))
            uow.projects.add(Project(ids("p4"), ids.other, "A", T0))
            uow.commit()
        with storage.unit_of_work() as uow:
            assert ids.names(uow.projects.list(ids.org)) == ["p2", "p1", "p3"]
            uow.projects.update(Project(ids("p2"), ids.org, "Z", T0))
            assert ids.names(uow.projects.list(ids.org)) == ["p1", "p3", "p2"]
            assert uow.projects.get(ids.org, ids("p2")) == Project(ids("p2"), ids.org, "Z", T0)
            assert uow.projects.get(ids.other, ids("p1")) is None
            assert ids.names(uow.projects.list(ids.other)) == ["p4"]
            with pytest.raises(NotFound):
                uow.projects.update(Project(ids("p9"), ids.org, "X", T0))
            with pytest.raises(NotFound):
                uow.projects.update(Project(ids("p1"), ids.other, "X", T0))

    def test_every_history_scope_is_kept_with_the_project(
        self, storage: S, records: Records
    ) -> None:
        ids = Ids(records)
        projects = [
            Project(
                ids(f"p-{scope.value}"), ids.org, scope.value, T0, ProjectRules(history_scope=scope)
            )
            for scope in HistoryScope
        ]
        with storage.unit_of_work() as uow:
            for project in projects:
                uow.projects.add(project)
            uow.commit()
        with storage.unit_of_work() as uow:
            for project in projects:
                stored = uow.projects.get(ids.org, project.id)
                assert stored is not None
                assert stored.rules.history_scope is project.rules.history_scope


class DoNotCallRepositoryTests(StorageFixtures[S]):
    """``uow.do_not_call``: a sorted set of numbers per organisation."""

    def test_the_do_not_call_list_is_a_sorted_set_per_organisation(
        self, storage: S, records: Records
    ) -> None:
        ids = Ids(records)
        with storage.unit_of_work() as uow:
            uow.do_not_call.add(ids.org, OTHER_PHONE)
            uow.do_not_call.add(ids.org, PHONE)
            uow.do_not_call.add(ids.org, PHONE)
            uow.commit()
        with storage.unit_of_work() as uow:
            assert list(uow.do_not_call.list(ids.org)) == [PHONE, OTHER_PHONE]
            assert uow.do_not_call.contains(ids.org, PHONE)
            assert not uow.do_not_call.contains(ids.other, PHONE)
            assert list(uow.do_not_call.list(ids.other)) == []
            uow.do_not_call.remove(ids.org, PHONE)
            uow.do_not_call.remove(ids.org, "+972000000000")
            assert list(uow.do_not_call.list(ids.org)) == [OTHER_PHONE]

    def test_listed_answers_which_numbers_are_on_this_organisations_list(
        self, storage: S, records: Records
    ) -> None:
        ids = Ids(records)
        third = "+972541234567"
        with storage.unit_of_work() as uow:
            uow.do_not_call.add(ids.org, PHONE)
            uow.do_not_call.add(ids.other, OTHER_PHONE)
            uow.commit()
        with storage.unit_of_work() as uow:
            asked = [PHONE, OTHER_PHONE, third]
            assert uow.do_not_call.listed(ids.org, asked) == frozenset({PHONE})
            assert uow.do_not_call.listed(ids.other, asked) == frozenset({OTHER_PHONE})
            assert uow.do_not_call.listed(ids.org, []) == frozenset()
            uow.do_not_call.add(ids.org, third)
            uow.do_not_call.remove(ids.org, PHONE)
            assert uow.do_not_call.listed(ids.org, asked) == frozenset({third})


class LeadSettingsRepositoryTests(StorageFixtures[S]):
    """``uow.lead_settings``: ``None`` until stored; one value per organisation."""

    def test_settings_are_kept_per_organisation(self, storage: S, records: Records) -> None:
        ids = Ids(records)
        settings = LeadSettings(duplicate_window=None)
        with storage.unit_of_work() as uow:
            assert uow.lead_settings.get(ids.org) is None
            uow.lead_settings.put(ids.org, settings)
            uow.commit()
        with storage.unit_of_work() as uow:
            assert uow.lead_settings.get(ids.org) == settings
            assert uow.lead_settings.get(ids.other) is None
