"""A commit's writes gathered into one statement keep every promise of the statements one by one.

On PostgreSQL they go as data-modifying CTEs, on MariaDB as a compound
statement (``BEGIN NOT ATOMIC ... END``), elsewhere one statement each; the
same tests run on every backend: a lost compare-and-set conflicts and writes
nothing, a taken key conflicts and writes nothing, awkward text is stored as
given, and the numbers the counters hand out have no gaps and no repeats.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import event

from leadcore import Leadcore
from leadcore.clock import ManualClock
from leadcore.errors import ConflictError
from leadcore.storage.sql import SqlStorage
from leadcore.storage.sql._combined import FEW
from leadcore.tenancy import Organization

BACKENDS = ("sqlite-file", "postgresql", "mariadb")
T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
# Text that a driver's or a statement's own syntax could take for something else.
AWKWARD = [
    "100% sure",
    "%(p0_name)s and %s and %%",
    "O'Brien \\ back\\slash",
    'say "hi"; END; --',
    "שלום 🎉 ż",
]


@pytest.mark.parametrize("race", ["changed", "added"])
@pytest.mark.parametrize("backend", BACKENDS)
def test_a_commit_that_lost_a_race_conflicts_and_writes_nothing(
    backend: str, race: str, make_storage: Callable[[str], SqlStorage]
) -> None:
    """``changed``: a compare-and-set finds another revision; ``added``: a key is taken."""
    storage = make_storage(backend)
    if race == "changed":
        with storage.unit_of_work() as uow:
            uow.organizations.add(Organization("org-1", "Agency", T0))
            uow.commit()
    sent: list[str] = []

    def keep(*args: Any) -> None:
        sent.append(str(args[2]))

    with storage.unit_of_work() as first, storage.unit_of_work() as second:
        for uow, name in ((first, "First"), (second, "Second")):
            write = uow.organizations.update if race == "changed" else uow.organizations.add
            write(Organization("org-1", name, T0))
        second.do_not_call.add("org-1", "+972505551234")
        first.commit()
        event.listen(storage.engine, "before_cursor_execute", keep)
        try:
            with pytest.raises(ConflictError, match="nothing was written"):
                second.commit()
        finally:
            event.remove(storage.engine, "before_cursor_execute", keep)
    if backend == "mariadb" and race == "changed":
        # The compare-and-set was checked inside the compound statement.
        assert any("SIGNAL SQLSTATE" in statement for statement in sent)
    with storage.unit_of_work() as uow:
        stored = uow.organizations.get("org-1")
        assert stored is not None
        assert stored.name == "First"
        assert uow.do_not_call.list("org-1") == []


@pytest.mark.parametrize("backend", BACKENDS)
def test_whatever_a_losing_commit_gathered_none_of_it_is_written(
    backend: str, make_storage: Callable[[str], SqlStorage]
) -> None:
    """The invariant behind the gathered statements: first committer wins, the loser writes nothing.

    The loser's other writes are do-not-call numbers, from none to more than
    a gathered statement takes (``FEW``), so that they go gathered, in bulk,
    or both; they are staged before or after the compare-and-set it loses.
    """
    storage = make_storage(backend)
    organizations = itertools.count()

    @settings(max_examples=10, deadline=None)
    @given(st.integers(0, FEW + 5), st.booleans())
    def lose(numbers: int, numbers_first: bool) -> None:
        org = f"org-{next(organizations)}"
        with storage.unit_of_work() as uow:
            uow.organizations.add(Organization(org, "Agency", T0))
            uow.commit()
        with storage.unit_of_work() as first, storage.unit_of_work() as second:
            first.organizations.update(Organization(org, "First", T0))

            def stage_numbers() -> None:
                for i in range(numbers):
                    second.do_not_call.add(org, f"+97250{i:07d}")

            if numbers_first:
                stage_numbers()
            second.organizations.update(Organization(org, "Second", T0))
            if not numbers_first:
                stage_numbers()
            first.commit()
            with pytest.raises(ConflictError, match="nothing was written"):
                second.commit()
        with storage.unit_of_work() as uow:
            stored = uow.organizations.get(org)
            assert stored is not None
            assert stored.name == "First"
            assert uow.do_not_call.list(org) == []

    lose()


@pytest.mark.parametrize("backend", BACKENDS)
def test_awkward_text_goes_through_a_gathered_commit_as_given(
    backend: str, make_storage: Callable[[str], SqlStorage]
) -> None:
    storage = make_storage(backend)
    core = Leadcore(storage=storage, clock=ManualClock(T0))
    org, admin = core.create_organization("Agency", admin_name="Maya")
    s = core.session(admin.id)
    sent: list[str] = []

    def keep(*args: Any) -> None:
        sent.append(str(args[2]))

    event.listen(storage.engine, "before_cursor_execute", keep)
    try:
        leads = [s.leads.create(text) for text in AWKWARD]
        for lead, text in zip(leads, AWKWARD, strict=True):
            s.leads.change_status(lead.id, "contacted", note=text)
    finally:
        event.remove(storage.engine, "before_cursor_execute", keep)
    for lead, text in zip(leads, AWKWARD, strict=True):
        assert s.leads.get(lead.id).name == text
        assert [n.text for n in s.leads.notes(lead.id)] == [text]
    if backend == "mariadb":
        assert any(statement.startswith("BEGIN NOT ATOMIC") for statement in sent)
    # The history and the events were numbered by their counters without gaps or repeats.
    positions = [e.position for e in core.events.read(org.id)]
    assert positions == list(range(positions[0], positions[0] + len(positions)))
