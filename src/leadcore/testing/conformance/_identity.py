"""Checks of identity: every ``add`` with a taken id raises ``ConflictError`` and writes nothing.

An adapter that inserts with ``ON CONFLICT DO NOTHING`` (or ``INSERT
IGNORE``), or that replaces the row it finds, loses a record silently. The
rule (docs/adapters.md, rule 3) is the same for every repository: a taken id
raises :class:`~leadcore.errors.ConflictError` from ``add`` or at the latest
from ``commit()``, and the stored record stays as it was. An id is taken
within its organisation, by a committed record or by one added earlier in the
same unit of work.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

import attrs

from leadcore.calendar import Activity
from leadcore.leads import (
    Account,
    Contact,
    Conversion,
    HistoryEntry,
    HistoryKind,
    Note,
    Opportunity,
    Project,
    Task,
)
from leadcore.storage.protocols import Storage, UnitOfWork
from leadcore.testing.conformance._base import StorageFixtures, require_capability, write_conflicts
from leadcore.testing.conformance._calendar import _activity
from leadcore.testing.conformance._leads import lead, store_leads
from leadcore.testing.conformance._records import T0, Records
from leadcore.testing.conformance._scope import Identified, at
from leadcore.testing.conformance._scope import Scope as Ids

__all__ = ["IdentityTests"]

S = TypeVar("S", bound=Storage)
R = TypeVar("R", bound=Identified)


def _renamed(record: R, new_id: str) -> R:
    """``record`` under another id (every record added here is an attrs class)."""
    renamed: R = attrs.evolve(cast(Any, record), id=new_id)
    return renamed


def _taken_id_conflicts(
    storage: Storage,
    first: R,
    second: R,
    add: Callable[[UnitOfWork, R], None],
    read: Callable[[UnitOfWork], object],
    what: str,
) -> None:
    """Check both ways an id is taken: by a committed record, by one staged earlier.

    ``first`` and ``second`` share an id and differ in content; ``read``
    returns what a reader sees of that id (the record, or a list holding it).
    """
    with storage.unit_of_work() as uow:
        add(uow, first)
        uow.commit()
    with storage.unit_of_work() as uow:
        expected = read(uow)

    def add_again() -> None:
        with storage.unit_of_work() as uow:
            add(uow, second)
            uow.commit()

    assert write_conflicts(add_again), f"a second {what} was added under a taken id"
    with storage.unit_of_work() as uow:
        assert read(uow) == expected, f"adding a {what} under a taken id changed the stored one"

    def add_twice() -> None:
        with storage.unit_of_work() as uow:
            add(uow, _renamed(first, f"{first.id}-twice"))
            add(uow, _renamed(second, f"{first.id}-twice"))
            uow.commit()

    assert write_conflicts(add_twice), f"one unit of work added two {what}s under one id"


class IdentityTests(StorageFixtures[S]):
    """Every ``add``: a taken id raises ``ConflictError`` (from ``add`` or ``commit()``)."""

    def test_a_taken_history_entry_id_conflicts(self, storage: S, records: Records) -> None:
        ids = Ids(records)
        store_leads(storage, lead(ids, "l1"))
        first = HistoryEntry(ids("h1"), ids.org, ids("l1"), HistoryKind.NOTE, at(1), "user-1")
        second = attrs.evolve(first, actor_id="user-2", text="again")
        _taken_id_conflicts(
            storage,
            first,
            second,
            lambda uow, e: uow.history.add(e),
            lambda uow: list(uow.history.for_lead(ids.org, ids("l1"))),
            "history entry",
        )

    def test_a_taken_note_id_conflicts(self, storage: S, records: Records) -> None:
        ids = Ids(records)
        store_leads(storage, lead(ids, "l1"))
        first = Note(ids("n1"), ids.org, ids("l1"), "user-1", "first", at(1))
        second = attrs.evolve(first, text="second")
        _taken_id_conflicts(
            storage,
            first,
            second,
            lambda uow, n: uow.notes.add(n),
            lambda uow: (
                uow.notes.get(ids.org, ids("n1")),
                list(uow.notes.for_lead(ids.org, ids("l1"))),
            ),
            "note",
        )

    def test_a_taken_task_id_conflicts(self, storage: S, records: Records) -> None:
        ids = Ids(records)
        store_leads(storage, lead(ids, "l1"))
        first = Task(ids("t1"), ids.org, ids("l1"), "Call", at(5), "user-1", "user-1", T0)
        second = attrs.evolve(first, title="Visit", due_at=at(1))
        _taken_id_conflicts(
            storage,
            first,
            second,
            lambda uow, t: uow.tasks.add(t),
            lambda uow: (
                uow.tasks.get(ids.org, ids("t1")),
                list(uow.tasks.for_lead(ids.org, ids("l1"))),
            ),
            "task",
        )

    def test_a_taken_project_id_conflicts(self, storage: S, records: Records) -> None:
        ids = Ids(records)
        first = Project(ids("p1"), ids.org, "Outbound", T0)
        _taken_id_conflicts(
            storage,
            first,
            attrs.evolve(first, name="Inbound"),
            lambda uow, p: uow.projects.add(p),
            lambda uow: list(uow.projects.list(ids.org)),
            "project",
        )

    def test_a_taken_account_contact_or_opportunity_id_conflicts(
        self, storage: S, records: Records
    ) -> None:
        ids = Ids(records)
        org = ids.org
        account = Account(ids("acc-1"), org, "Cohen Ltd", T0)
        _taken_id_conflicts(
            storage,
            account,
            attrs.evolve(account, name="Levi Ltd"),
            lambda uow, a: uow.accounts.add(a),
            lambda uow: list(uow.accounts.list(org)),
            "account",
        )
        contact = Contact(ids("con-1"), org, "Avi", ids("acc-1"), T0)
        _taken_id_conflicts(
            storage,
            contact,
            attrs.evolve(contact, name="Ben"),
            lambda uow, c: uow.contacts.add(c),
            lambda uow: list(uow.contacts.for_account(org, ids("acc-1"))),
            "contact",
        )
        opportunity = Opportunity(ids("opp-1"), org, "Deal", ids("acc-1"), None, "new", 1, T0)
        _taken_id_conflicts(
            storage,
            opportunity,
            attrs.evolve(opportunity, name="Other deal"),
            lambda uow, o: uow.opportunities.add(o),
            lambda uow: list(uow.opportunities.for_account(org, ids("acc-1"))),
            "opportunity",
        )

    def test_a_taken_conversion_id_conflicts(self, storage: S, records: Records) -> None:
        ids = Ids(records)
        first = Conversion(
            ids("conv-1"),
            ids.org,
            ids("l1"),
            at(1),
            "user-1",
            ids("con-1"),
            ids("acc-1"),
            True,
            None,
            None,
            "won",
            {"name": "Dana"},
        )
        _taken_id_conflicts(
            storage,
            first,
            attrs.evolve(first, to_status="lost"),
            lambda uow, c: uow.conversions.add(c),
            lambda uow: list(uow.conversions.list(ids.org)),
            "conversion",
        )

    def test_a_taken_activity_id_conflicts(self, storage: S, records: Records) -> None:
        require_capability(storage, "calendar")
        ids = Ids(records)
        first = _activity(ids, "a1", 9, 10)
        second: Activity = attrs.evolve(first, title="moved")
        _taken_id_conflicts(
            storage,
            first,
            second,
            lambda uow, a: uow.calendar.add(a),
            lambda uow: uow.calendar.get(ids.org, ids("a1")),
            "activity",
        )
