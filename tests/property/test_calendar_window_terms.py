"""A calendar window's filters are stated once: the Python check and the SQL read one list.

:attr:`ActivityWindow.terms` is the only description of what a window query
asks. The memory adapter and the SQL adapter's staged rows evaluate it
(:meth:`ActivityWindow.matches`), the SQL adapter compiles it for the rows in
its tables; here, for random activities and random windows on SQLite, the
compiled query finds exactly the activities the Python check passes, staged
or committed, and every field of a window shows up as a term.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leadcore.calendar import Activity, ActivityField, ActivityQuery, ActivityWindow, ClientRef
from leadcore.storage.sql import SqlStorage
from leadcore.storage.sql._calendar_query import compile_window
from leadcore.testing.strategies import activities

ORGS = itertools.count()
USERS = ("user-1", "user-2", "user-3", "user-4")
CLIENTS = (
    ClientRef("lead", "lead-1"),
    ClientRef("lead", "lead-2"),
    ClientRef("contact", "contact-1"),
    ClientRef("account", "lead-1"),
)


@st.composite
def linked(draw: st.DrawFn) -> Activity:
    """A timed activity or series, sometimes with a contact and more clients."""
    activity: Activity = draw(st.one_of(activities(dst_crossing=True), activities()))
    if draw(st.booleans()):
        primary = activity.client or CLIENTS[0]
        others = [c for c in CLIENTS if c != primary]
        activity = attrs.evolve(
            activity,
            client=primary,
            contact_id=draw(st.sampled_from((None, "contact-1"))),
            more_clients=draw(st.lists(st.sampled_from(others), max_size=2, unique=True)),
        )
    return activity


instants = st.datetimes(datetime(2025, 12, 1), datetime(2028, 1, 1)).map(
    lambda at: at.replace(tzinfo=UTC)
)

#: A strategy for every field of a window; a new field of ActivityWindow must be added here.
FILTERS: dict[str, st.SearchStrategy[object]] = {
    "start": instants,
    "end": instants,
    "user_ids": st.frozensets(st.sampled_from(USERS), max_size=3),
    "clients": st.lists(st.sampled_from(CLIENTS), max_size=3),
}


@st.composite
def windows(draw: st.DrawFn) -> ActivityWindow:
    chosen = draw(st.lists(st.sampled_from(sorted(FILTERS)), max_size=4, unique=True))
    window = ActivityWindow(**{name: draw(FILTERS[name]) for name in chosen})  # type: ignore[arg-type]
    if window.start is not None and window.end is not None and window.end < window.start:
        window = attrs.evolve(window, start=window.end, end=window.start)
    return window


@pytest.fixture(scope="module")
def sqlite() -> Iterator[SqlStorage]:
    storage = SqlStorage("sqlite://", create=True)
    yield storage
    storage.close()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    population=st.lists(linked(), max_size=8, unique_by=lambda a: a.id),
    asked=st.lists(windows(), min_size=1, max_size=4),
)
def test_the_sql_of_a_window_finds_what_its_python_check_passes(
    sqlite: SqlStorage, population: list[Activity], asked: list[ActivityWindow]
) -> None:
    # An organisation of its own each time: the database outlives the example.
    org = f"org-{next(ORGS)}"
    population = [attrs.evolve(a, organization_id=org) for a in population]
    with sqlite.unit_of_work() as uow:
        for activity in population:
            uow.calendar.add(activity)
        for window in asked:
            staged = uow.calendar.activities_between(org, **attrs.asdict(window, recurse=False))
            assert {a.id for a in staged} == {a.id for a in population if window.matches(a)}
        uow.commit()
    with sqlite.unit_of_work() as uow:
        for window in asked:
            found = uow.calendar.activities_between(org, **attrs.asdict(window, recurse=False))
            in_python = {a.id for a in population if window.matches(a)}
            assert {a.id for a in found} == in_python, window


@pytest.mark.parametrize("name", sorted(f.name for f in attrs.fields(ActivityWindow)))
def test_every_field_of_a_window_is_stated_as_a_term(name: str) -> None:
    """A new field of ActivityWindow without a term (or without a strategy here) fails."""
    assert name in FILTERS, f"ActivityWindow.{name}: add a strategy for it to FILTERS"
    sample = {"start": datetime(2026, 3, 2, tzinfo=UTC), "end": datetime(2026, 3, 3, tzinfo=UTC)}
    window = ActivityWindow(**{name: sample.get(name, ())})  # type: ignore[arg-type]
    assert window.terms != ActivityWindow().terms, f"ActivityWindow.{name} gives no term"


def test_a_window_compiles_to_one_search_per_side_table_and_a_search_to_none() -> None:
    window = ActivityWindow(None, None, user_ids={"user-1"}, clients=[CLIENTS[0]])
    assert [lookup.table.name for lookup in compile_window(window.terms).lookups] == [
        "leadcore_activity_users",
        "leadcore_activity_clients",
    ]
    query = ActivityQuery(type_ids="call", text="demo")
    assert [t.field for t in query.terms] == [ActivityField.TYPE_ID, ActivityField.TEXT]
    with pytest.raises(ValueError, match="no SQL for the activity term type_id"):
        compile_window(query.terms)


def test_an_empty_set_of_users_or_clients_finds_nothing_on_both_sides(sqlite: SqlStorage) -> None:
    start = datetime(2026, 3, 2, 9, tzinfo=UTC)
    activity = Activity(
        id="a-1",
        organization_id="org-empty",
        type_id="call",
        status_id="scheduled",
        title="Call",
        responsible_user_id="user-1",
        tz="UTC",
        start=start,
        end=start + timedelta(hours=1),
        client=CLIENTS[0],
    )
    with sqlite.unit_of_work() as uow:
        uow.calendar.add(activity)
        uow.commit()
    for window in (ActivityWindow(user_ids=()), ActivityWindow(clients=())):
        assert not window.matches(activity)
        with sqlite.unit_of_work() as uow:
            assert (
                uow.calendar.activities_between(
                    "org-empty",
                    None,
                    None,
                    **attrs.asdict(
                        window, recurse=False, filter=lambda a, v: a.name in ("user_ids", "clients")
                    ),
                )
                == []
            )
