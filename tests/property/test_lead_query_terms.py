"""A lead list's filters are stated once: the Python check and the SQL are read from one list.

:attr:`LeadQuery.terms` is the only description of a query's filters. The
memory adapter evaluates it, the SQL adapter compiles it; here, for random
leads and random queries, the compiled ``WHERE`` clause on SQLite picks
exactly the leads the Python check passes (the text search a superset, which
the repository narrows with the same Python check), and every field of a
query that filters shows up as a term.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from leadcore.leads import (
    AnyTerm,
    Cursor,
    Lead,
    LeadField,
    LeadQuery,
    LeadTerm,
    Scope,
    Source,
    TermOp,
)
from leadcore.storage.sql import SqlStorage
from leadcore.storage.sql._lead_query import lead_filters
from leadcore.storage.sql._tables import LEADS

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ORG = "org-a"
ORGS = itertools.count()
NAMES = ("Dana Levi", "Straße", "STRASSE", "Ștefan", "אבי", "50%_off", "  ")
PHONES = ("+972505551234", "+972523456789", "+40721234567")
EMAILS = ("dana@example.org", "x@y.example", "100%@a.example")
STATUSES = (None, "new", "won", "lost")
MAYBE = (None, "p1", "p2")
TEXTS = ("0505551234", "strasse", "ß", "DANA LEVI", "%", "_", "x@y", "ș", "555", " ", "")

times = st.integers(0, 3).map(lambda m: T0 + timedelta(minutes=m))


@st.composite
def leads(draw: st.DrawFn, lead_id: str) -> Lead:
    return Lead(
        id=lead_id,
        organization_id=ORG,
        name=draw(st.sampled_from(NAMES) | st.text(st.characters(codec="utf-8"), max_size=5)),
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
    )


#: A strategy for every field of a query; a new field of LeadQuery must be added here.
FILTERS: dict[str, st.SearchStrategy[object]] = {
    "status_ids": st.frozensets(st.sampled_from(STATUSES), max_size=3),
    "exclude_status_ids": st.frozensets(st.sampled_from(STATUSES), min_size=1, max_size=2),
    "assignee_id": st.sampled_from(("u1", "u2")),
    "supplier_id": st.just("s1"),
    "channel": st.sampled_from(("facebook", "Facebook")),
    "project_id": st.sampled_from(("p1", "p2")),
    "pool_id": st.sampled_from(("p1", "p2")),
    "created_from": times,
    "created_until": times,
    "text": st.sampled_from(TEXTS) | st.text(st.characters(codec="utf-8"), max_size=4),
    "converted": st.booleans(),
    "scope": st.builds(
        Scope,
        project_ids=st.frozensets(st.sampled_from(("p1", "p2")), max_size=2),
        assignee_id=st.sampled_from((None, "u1", "u2")),
    ),
}
#: A value that filters, for every field of a query.
SAMPLES: dict[str, object] = {
    "status_ids": ["new"],
    "exclude_status_ids": ["won"],
    "assignee_id": "u1",
    "supplier_id": "s1",
    "channel": "facebook",
    "project_id": "p1",
    "pool_id": "p1",
    "created_from": T0,
    "created_until": T0,
    "text": "dana",
    "converted": False,
    "scope": Scope(),
}
#: Fields that place a page rather than filter leads.
PAGING = {"after", "limit"}


@st.composite
def queries(draw: st.DrawFn) -> LeadQuery:
    chosen = draw(st.lists(st.sampled_from(sorted(FILTERS)), max_size=4, unique=True))
    return LeadQuery(**{name: draw(FILTERS[name]) for name in chosen})  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def sqlite() -> Iterator[SqlStorage]:
    storage = SqlStorage("sqlite://", create=True)
    yield storage
    storage.close()


def _has_text(query: LeadQuery) -> bool:
    return any(isinstance(t, LeadTerm) and t.op is TermOp.SEARCH for t in query.terms)


@settings(max_examples=80, deadline=None)
@given(data=st.data(), asked=st.lists(queries(), min_size=1, max_size=4))
def test_the_sql_of_a_query_picks_what_its_python_check_passes(
    sqlite: SqlStorage, data: st.DataObject, asked: list[LeadQuery]
) -> None:
    # An organisation of its own each time: the database outlives the example.
    org = f"org-{next(ORGS)}"
    count = data.draw(st.integers(1, 8))
    population = [
        attrs.evolve(data.draw(leads(f"lead-{n}")), organization_id=org) for n in range(count)
    ]
    table = LEADS.table
    with sqlite.unit_of_work() as uow:
        for lead in population:
            uow.leads.add(lead)
        uow.commit()
    with sqlite.engine.connect() as c:
        for query in asked:
            statement = select(table.c.id).where(*lead_filters(org, query))
            in_sql = {row.id for row in c.execute(statement)}
            in_python = {lead.id for lead in population if query.matches(lead)}
            if _has_text(query):
                assert in_python <= in_sql, query
            else:
                assert in_sql == in_python, query
            if query.assignee_id is not None:
                joined = lead_filters(org, query, assignee_joined=True)
                assert len(joined) == len(lead_filters(org, query)) - 1


@pytest.mark.parametrize(
    "name", sorted(f.name for f in attrs.fields(LeadQuery) if f.name not in PAGING)
)
def test_every_filter_of_a_query_is_stated_as_a_term(name: str) -> None:
    """A new field of LeadQuery without a term (or without a strategy here) fails."""
    assert name in FILTERS, f"LeadQuery.{name}: add a strategy for it to FILTERS"
    assert name in SAMPLES, f"LeadQuery.{name}: add a value that filters to SAMPLES"
    query = LeadQuery(**{name: SAMPLES[name]})  # type: ignore[arg-type]
    assert query.terms, f"LeadQuery.{name}={SAMPLES[name]!r} gives no term"


def test_the_paging_fields_are_not_terms() -> None:
    query = LeadQuery(after=Cursor(T0, "lead-1"), limit=3)
    assert query.terms == ()


def test_terms_name_the_field_the_operator_and_the_value() -> None:
    scope = Scope(project_ids=["p1"], assignee_id="u1")
    query = LeadQuery(status_ids=["new"], channel="fb", scope=scope)
    assert query.terms == (
        LeadTerm(LeadField.STATUS_ID, TermOp.IN, frozenset({"new"})),
        LeadTerm(LeadField.CHANNEL, TermOp.EQUALS, "fb"),
        AnyTerm(
            (
                LeadTerm(LeadField.PROJECT_ID, TermOp.IN, frozenset({"p1"})),
                LeadTerm(LeadField.ASSIGNEE_IDS, TermOp.HAS, "u1"),
            )
        ),
    )
