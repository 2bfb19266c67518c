"""Lead lists, counts and duplicate lookups in SQL answer exactly like the memory adapter.

SQLite in memory stands in for every SQL backend here (the integration tests
run the same translation on PostgreSQL and MariaDB): for random leads, some
committed and some only staged in the open unit of work, and random queries,
the SQL repository returns what :class:`MemoryStorage` returns, in the same order.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import attrs
from hypothesis import example, given, settings
from hypothesis import strategies as st

from leadcore.leads import Cursor, Lead, LeadQuery, Scope, Source
from leadcore.storage.memory import MemoryStorage
from leadcore.storage.protocols import Storage, UnitOfWork
from leadcore.storage.sql import SqlStorage
from leadcore.workflow import name_key

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ORG, OTHER = "org-a", "org-b"

IDS = [f"lead-{n}" for n in (1, 2, 3, 10, 20)] + ["Lead-9", "lead-%", "lead_x"]
NAMES = ("Dana Levi", "dana levi", "Straße", "STRASSE", "Ștefan", "אבי", "50%_off", "  ")
PHONES = ("+972505551234", "+972523456789", "+40721234567")
EMAILS = ("dana@example.org", "x@y.example", "100%@a.example")
STATUSES = (None, "new", "won", "lost")
MAYBE = (None, "p1", "p2")
# The telling cases first (hypothesis draws the first ones most): a local number whose
# trunk zero the stored form lacks, case folding that changes length, LIKE wildcards.
TEXTS = ("0505551234", "strasse", "ß", "DANA LEVI", "%", "_", "x@y", "ș", "555", "dana", " ", "")


times = st.integers(0, 3).map(lambda m: T0 + timedelta(minutes=m))


@st.composite
def leads(draw: st.DrawFn, org: str = ORG) -> Lead:
    return Lead(
        id=draw(st.sampled_from(IDS)),
        organization_id=org,
        name=draw(st.sampled_from(NAMES)),
        created_at=draw(times),
        updated_at=T0,
        phones=draw(st.lists(st.sampled_from(PHONES), max_size=2, unique=True)),
        emails=draw(st.lists(st.sampled_from(EMAILS), max_size=1)),
        source=Source(
            supplier_id=draw(st.sampled_from((None, "s1"))),
            channel=draw(st.sampled_from((None, "facebook", "Facebook"))),
        ),
        project_id=draw(st.sampled_from(MAYBE)),
        status_id=draw(st.sampled_from(STATUSES)),
        assignee_ids=draw(st.lists(st.sampled_from(("u1", "u2")), max_size=2, unique=True)),
        conversion_id=draw(st.sampled_from((None, "c1"))),
        pool_id=draw(st.sampled_from(MAYBE)),
        fields=draw(st.dictionaries(st.sampled_from(("a", "b")), st.integers(0, 3), max_size=1)),
    )


FILTERS: dict[str, st.SearchStrategy[object]] = {
    "status_ids": st.frozensets(st.sampled_from(STATUSES), max_size=3),
    "exclude_status_ids": st.frozensets(st.sampled_from(STATUSES[::-1]), min_size=1, max_size=2),
    "assignee_id": st.sampled_from(("u1", "u2")),
    "supplier_id": st.just("s1"),
    "channel": st.sampled_from(("facebook", "Facebook")),
    "project_id": st.sampled_from(("p1", "p2")),
    "pool_id": st.sampled_from(("p1", "p2")),
    "created_from": times,
    "created_until": times,
    "text": st.sampled_from(TEXTS),
    "converted": st.booleans(),
    "scope": st.builds(
        Scope,
        project_ids=st.frozensets(st.sampled_from(("p1", "p2")), max_size=2),
        assignee_id=st.sampled_from((None, "u1", "u2")),
    ),
    "after": st.builds(Cursor, times, st.sampled_from(IDS)),
    "limit": st.integers(1, 4),
}


@st.composite
def queries(draw: st.DrawFn) -> LeadQuery:
    # A few filters at a time, so that most queries still match something.
    chosen = draw(st.lists(st.sampled_from(sorted(FILTERS)), max_size=2, unique=True))
    return LeadQuery(**{name: draw(FILTERS[name]) for name in chosen})  # type: ignore[arg-type]


def unique_ids(found: list[Lead]) -> list[Lead]:
    return list({lead.id: lead for lead in found}.values())


def fill(storage: Storage, committed: list[Lead], foreign: list[Lead]) -> None:
    with storage.unit_of_work() as uow:
        for lead in committed + foreign:
            uow.leads.add(lead)
        uow.commit()


def stage(uow: UnitOfWork, changed: list[Lead], added: list[Lead]) -> None:
    for lead in changed:
        stored = uow.leads.get(ORG, lead.id)
        assert stored is not None
        uow.leads.update(attrs.evolve(lead, version=stored.version + 1), expected_version=1)
    for lead in added:
        if uow.leads.get(ORG, lead.id) is None:
            uow.leads.add(lead)


_TIE = [
    Lead("lead-2", ORG, "Dana Levi", T0, T0, phones=("+972505551234",)),
    Lead("lead-10", ORG, "Straße", T0, T0, status_id="won", emails=("x@y.example",)),
    Lead("lead-1", ORG, "50%_off", T0 + timedelta(minutes=1), T0, status_id="new"),
]


@settings(max_examples=60)
@example(
    committed=_TIE,
    foreign=[],
    changes=[],
    added=[],
    asked=[
        LeadQuery(text="0505551234"),
        LeadQuery(text="strasse"),
        LeadQuery(text="%"),
        LeadQuery(exclude_status_ids=["won"]),
        LeadQuery(status_ids=[None, "new"]),
        LeadQuery(after=Cursor(T0, "lead-2"), limit=1),
        LeadQuery(scope=Scope()),
    ],
    lookup=([PHONES[0]], [], [name_key("DANA levi")], T0),
)
@given(
    committed=st.lists(leads(), min_size=2, max_size=8).map(unique_ids),
    foreign=st.lists(leads(OTHER), max_size=3).map(unique_ids),
    changes=st.lists(leads(), max_size=3).map(unique_ids),
    added=st.lists(leads(), max_size=3).map(unique_ids),
    asked=st.lists(queries(), min_size=4, max_size=8),
    lookup=st.tuples(
        st.lists(st.sampled_from(PHONES), max_size=2),
        st.lists(st.sampled_from(EMAILS), max_size=1),
        st.lists(st.sampled_from(NAMES).map(name_key), max_size=1),
        st.one_of(st.none(), times),
    ),
)
def test_sql_lead_lists_counts_and_lookups_equal_the_memory_adapter_s(
    committed: list[Lead],
    foreign: list[Lead],
    changes: list[Lead],
    added: list[Lead],
    asked: list[LeadQuery],
    lookup: tuple[list[str], list[str], list[str], datetime | None],
) -> None:
    ids = {lead.id for lead in committed}
    changed = [lead for lead in changes if lead.id in ids]
    added = [lead for lead in added if lead.id not in ids]
    phones, emails, names, since = lookup
    answers = []
    sql = SqlStorage("sqlite://", create=True)
    for storage in (MemoryStorage(), sql):
        fill(storage, committed, foreign)
        with storage.unit_of_work() as uow:
            stage(uow, changed, added)
            answers.append(
                (
                    [list(uow.leads.query(ORG, q)) for q in asked],
                    [dict(uow.leads.count_by_status(ORG, q)) for q in asked],
                    list(
                        uow.leads.matching(
                            ORG, phones=phones, emails=emails, name_keys=names, since=since
                        )
                    ),
                )
            )
    sql.close()
    memory, subject = answers
    assert subject[0] == memory[0], "lists differ"
    assert subject[1] == memory[1], "counts differ"
    assert subject[2] == memory[2], "duplicate lookups differ"
