"""The calendar repository on every SQL backend.

The tests of the port written for the memory adapter
(``tests/unit/test_calendar_service_storage.py``) run here again on each SQL
backend, through this module's ``storage`` fixture. Then what is the SQL
adapter's own: window queries planned on indexes, values too long for their
column, staged writes seen by the unit of work that made them, filters too
long for one statement, settings that round-trip, and random activities and
windows answered as the memory adapter answers them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Final
from zoneinfo import ZoneInfo

import attrs
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from sqlalchemy import Connection, event, text
from tests.integration.conftest import BACKENDS
from tests.unit import test_calendar_service_storage as port

from leadcore.calendar import (
    Activity,
    ActivityStatus,
    ActivityType,
    CalendarSettings,
    ClientRef,
    OccurrenceOverride,
    Recurrence,
    WorkingHours,
    expand,
)
from leadcore.errors import ValidationError
from leadcore.storage.memory import MemoryStorage
from leadcore.storage.sql import SqlStorage
from leadcore.testing.strategies import activities

test_a_window_returns_series_that_began_long_before_it = (
    port.test_a_window_returns_series_that_began_long_before_it
)
test_a_window_filters_by_participants_and_clients = (
    port.test_a_window_filters_by_participants_and_clients
)
test_organisations_never_see_each_others_activities = (
    port.test_organisations_never_see_each_others_activities
)
test_update_is_compare_and_set_on_the_version = port.test_update_is_compare_and_set_on_the_version
test_two_units_of_work_changing_one_activity_conflict_at_commit = (
    port.test_two_units_of_work_changing_one_activity_conflict_at_commit
)
test_nothing_is_written_without_commit_and_a_moved_series_is_found_where_it_went = (
    port.test_nothing_is_written_without_commit_and_a_moved_series_is_found_where_it_went
)
test_in_use_sees_types_statuses_and_edited_occurrences = (
    port.test_in_use_sees_types_statuses_and_edited_occurrences
)
test_types_statuses_and_settings_are_none_until_stored = (
    port.test_types_statuses_and_settings_are_none_until_stored
)


@pytest.fixture(params=BACKENDS)
def storage(
    request: pytest.FixtureRequest, make_storage: Callable[[str], SqlStorage]
) -> SqlStorage:
    return make_storage(request.param)


# -- window queries read through indexes ------------------------------------------------------

_PLANNED: Final = ("sqlite-file", "postgresql", "mariadb")


def _many(org: str, n: int) -> Iterator[Activity]:
    """``n`` activities of 20 users and 50 leads, every seventh hour from 2024 on."""
    first = datetime(2024, 1, 1, 9, tzinfo=UTC)
    for i in range(n):
        start = first + timedelta(hours=7 * i)
        yield Activity(
            id=f"a{i:05}",
            organization_id=org,
            type_id="meeting",
            status_id="open",
            title="Meeting",
            responsible_user_id=f"u{i % 20}",
            user_ids=[f"u{(i + 1) % 20}"],
            start=start,
            end=start + timedelta(hours=1),
            tz="UTC",
            client=ClientRef("lead", f"l{i % 50}"),
            recurrence=Recurrence("FREQ=WEEKLY;COUNT=4") if i % 10 == 0 else None,
        )


def _plan(connection: Connection, statement: str, parameters: Any) -> list[str]:
    """How the database runs ``statement``: one text per step of the plan."""
    dialect = connection.dialect.name
    if dialect == "sqlite":
        rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
        return [str(row[-1]) for row in rows]
    rows = connection.exec_driver_sql(f"EXPLAIN {statement}", parameters)
    if dialect == "postgresql":
        return [str(row[0]) for row in rows]
    # MariaDB/MySQL: one row per table read; say which index it uses, if any.
    return [f"{row.table} via {row.key} ({row.type})" for row in rows]


def _unindexed(dialect: str, step: str) -> bool:
    if dialect == "sqlite":
        return step.startswith("SCAN leadcore_")
    if dialect == "postgresql":
        return "Seq Scan" in step
    return step.startswith("leadcore_") and (" via None " in step or step.endswith("(ALL)"))


@pytest.mark.parametrize("backend", _PLANNED)
def test_window_queries_by_span_user_and_client_read_through_indexes(
    backend: str, make_storage: Callable[[str], SqlStorage]
) -> None:
    storage = make_storage(backend)
    with storage.unit_of_work() as uow:
        for org in ("org-1", "org-2"):
            for a in _many(org, 1500):
                uow.calendar.add(a)
        uow.commit()
    seen: list[tuple[str, Any]] = []

    def record(_c: object, _cur: object, statement: str, parameters: Any, *_: object) -> None:
        if "leadcore_activit" in statement:
            seen.append((statement, parameters))

    lo, hi = datetime(2025, 3, 1, tzinfo=UTC), datetime(2025, 4, 1, tzinfo=UTC)
    event.listen(storage.engine, "before_cursor_execute", record)
    try:
        with storage.unit_of_work() as uow:
            assert len(uow.calendar.activities_between("org-1", lo, hi)) == 51
            by_user = uow.calendar.activities_between("org-1", lo, hi, user_ids=["u3", "u4"])
            assert len(by_user) == 6
            lead = ClientRef("lead", "l7")
            assert len(uow.calendar.activities_between("org-1", lo, hi, clients=[lead])) == 1
    finally:
        event.remove(storage.engine, "before_cursor_execute", record)
    indexes = {
        "span": "ix_leadcore_activities_window",
        "user": "ix_leadcore_activity_users_window",
        "client": "ix_leadcore_activity_clients_window",
    }
    plans: list[str] = []
    with storage.engine.connect() as connection:
        dialect = connection.dialect.name
        if dialect == "postgresql":
            connection.exec_driver_sql("ANALYZE")
            # A few thousand rows fit in a page or two: make the planner show what it can use.
            connection.exec_driver_sql("SET enable_seqscan = off")
        for statement, parameters in seen:
            steps = _plan(connection, statement, parameters)
            assert not [s for s in steps if _unindexed(dialect, s)], (statement, steps)
            plans.extend(steps)
        connection.rollback()
    for what, index in indexes.items():
        assert any(index in step for step in plans), f"the {what} query skips {index}: {plans}"


# -- values too long for a column ----------------------------------------------------------------

_LONG: Final = "x" * 129


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"id": _LONG}, "activity.id"),
        ({"type_id": _LONG}, "activity.type_id"),
        ({"status_id": _LONG}, "activity.status_id"),
        ({"responsible_user_id": _LONG}, "activity.responsible_user_id"),
        ({"user_ids": ["avi", _LONG]}, "activity.user_ids[1]"),
        ({"client": ClientRef("lead", _LONG)}, "activity.client.id"),
        ({"more_clients": [ClientRef("account", _LONG)]}, "activity.more_clients[0].id"),
        ({"client": ClientRef("account", "acme"), "contact_id": _LONG}, "activity.contact_id"),
    ],
)
@pytest.mark.parametrize("backend", ["sqlite-memory", "postgresql", "mariadb"])
def test_a_value_too_long_for_its_column_is_refused_naming_it_and_nothing_changes(
    backend: str,
    change: dict[str, Any],
    field: str,
    make_storage: Callable[[str], SqlStorage],
) -> None:
    storage = make_storage(backend)
    kept = port.activity("a")
    port.put(storage, kept)
    with storage.unit_of_work() as uow:
        with pytest.raises(ValidationError, match=re.escape(field)) as refused:
            uow.calendar.add(attrs.evolve(kept, **{"id": "b", **change}))
        assert any(p.startswith(f"{field}: 129 characters") for p in refused.value.problems)
        if "id" not in change:
            with pytest.raises(ValidationError, match=re.escape(field)):
                uow.calendar.update(
                    attrs.evolve(kept, version=2, **change),
                    expected_version=1,
                )
        uow.commit()
    with storage.unit_of_work() as uow:
        assert uow.calendar.activities_between("org-1", None, None) == [kept]
        assert uow.calendar.get("org-1", "b") is None


def test_an_organisation_id_too_long_for_its_column_is_refused_for_the_catalogue(
    make_storage: Callable[[str], SqlStorage],
) -> None:
    storage = make_storage("sqlite-memory")
    with storage.unit_of_work() as uow:
        with pytest.raises(ValidationError, match=r"activity types\.organization_id"):
            uow.calendar.put_types(_LONG, [ActivityType("call", "Call")])
        with pytest.raises(ValidationError, match=r"activity statuses\.organization_id"):
            uow.calendar.put_statuses(_LONG, [ActivityStatus("open", "Open", "open")])
        with pytest.raises(ValidationError, match=r"calendar settings\.organization_id"):
            uow.calendar.put_settings(_LONG, CalendarSettings())
        uow.commit()
    with storage.unit_of_work() as uow:
        assert uow.calendar.types(_LONG) is None


# -- what one unit of work sees of its own writes ------------------------------------------------


@pytest.mark.parametrize("backend", ["sqlite-memory", "postgresql-rls", "mariadb"])
def test_a_staged_change_replaces_the_committed_row_in_every_query(
    backend: str, make_storage: Callable[[str], SqlStorage]
) -> None:
    lead, account = ClientRef("lead", "lead-1"), ClientRef("account", "account-1")
    storage = make_storage(backend)
    port.put(storage, port.activity("a", user_ids=["avi"], client=lead))
    moved = port.activity(
        "a",
        type_id="call",
        start=port.at(20),
        end=port.at(20, 11),
        user_ids=["maya"],
        client=account,
        version=2,
    )
    early, late = (port.utc(1, 0), port.utc(10, 0)), (port.utc(19, 0), port.utc(21, 0))
    with storage.unit_of_work() as uow:
        uow.calendar.update(moved, expected_version=1)
        cal = uow.calendar
        # The committed row of "a" is a meeting; the staged one is a call.
        assert not cal.in_use("org-1", type_id="meeting")
        assert cal.in_use("org-1", type_id="call")
        cal.add(port.activity("b", start=port.at(3), end=port.at(3, 11)))
        assert cal.in_use("org-1", type_id="meeting")
        assert [a.id for a in cal.activities_between("org-1", *early)] == ["b"]
        assert cal.activities_between("org-1", *late) == [moved]
        assert cal.activities_between("org-1", None, None, user_ids=["avi"]) == []
        assert cal.activities_between("org-1", None, None, user_ids=["maya"]) == [moved]
        assert cal.activities_between("org-1", None, None, clients=[lead]) == []
        assert cal.activities_between("org-1", None, None, clients=[account]) == [moved]
        uow.commit()
    with storage.unit_of_work() as uow:
        assert uow.calendar.activities_between("org-1", None, None, user_ids=["avi"]) == []
        assert uow.calendar.activities_between("org-1", *late, user_ids=["maya"]) == [moved]
        assert uow.calendar.activities_between("org-1", None, None, clients=[lead]) == []
    # The participant and client rows follow the activity: none is left behind.
    with storage.engine.connect() as connection:
        users = connection.execute(text("SELECT user_id FROM leadcore_activity_users")).all()
        clients = connection.execute(text("SELECT client_id FROM leadcore_activity_clients")).all()
    if backend != "postgresql-rls":  # the tables' rows are only visible in a scope there
        assert sorted(u for (u,) in users) == ["dana", "dana", "maya"]
        assert [c for (c,) in clients] == ["account-1"]


def test_long_lists_of_users_and_clients_go_in_chunks(
    make_storage: Callable[[str], SqlStorage],
) -> None:
    storage = make_storage("sqlite-memory")
    users = [f"user-{i:04}" for i in range(1200)]
    leads = [ClientRef("lead", f"lead-{i:04}") for i in range(1200)]
    port.put(
        storage,
        port.activity("first", responsible_user_id=users[3], client=leads[7]),
        port.activity("middle", responsible_user_id=users[700], client=leads[3]),
        port.activity("last", responsible_user_id=users[1199], more_clients=[leads[1100]]),
        port.activity("none", responsible_user_id="someone-else"),
    )
    with storage.unit_of_work() as uow:
        by_users = uow.calendar.activities_between("org-1", None, None, user_ids=users)
        by_clients = uow.calendar.activities_between("org-1", None, None, clients=leads)
        both = uow.calendar.activities_between(
            "org-1", None, None, user_ids=users[500:], clients=leads[:500]
        )
    assert [a.id for a in by_users] == ["first", "last", "middle"]
    assert [a.id for a in by_clients] == ["first", "last", "middle"]
    assert [a.id for a in both] == ["middle"]


# -- any activity, any window: the memory adapter's answers ---------------------------------------


@st.composite
def all_day_activities(draw: st.DrawFn) -> Activity:
    """An all-day activity or series, in a zone far from UTC, possibly edited."""
    first = draw(st.dates(date(2026, 1, 1), date(2027, 12, 31)))
    rule = draw(st.sampled_from([None, "FREQ=DAILY;COUNT=4", "FREQ=WEEKLY", "FREQ=MONTHLY"]))
    recurrence = None
    if rule is not None:
        moved = OccurrenceOverride(first, start=first + timedelta(days=40), title="Moved")
        recurrence = Recurrence(
            rule,
            exdates=[first + timedelta(days=1)] * (rule == "FREQ=DAILY;COUNT=4"),
            overrides=[moved] * draw(st.booleans()),
        )
    return Activity(
        id=f"day-{draw(st.integers(1, 10_000))}",
        organization_id="org-1",
        type_id="offsite",
        status_id="scheduled",
        title="Offsite",
        responsible_user_id=draw(st.sampled_from(["user-1", "user-2"])),
        start=first,
        end=first + timedelta(days=draw(st.integers(1, 3))),
        tz=draw(st.sampled_from(["Pacific/Kiritimati", "Pacific/Pago_Pago", "Asia/Jerusalem"])),
        client=draw(st.sampled_from([None, ClientRef("lead", "lead-1")])),
        recurrence=recurrence,
    )


_WINDOWS: Final = st.tuples(
    st.one_of(st.none(), st.datetimes(datetime(2025, 12, 1), datetime(2028, 1, 1))),
    st.timedeltas(timedelta(hours=1), timedelta(days=90)),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    activities=st.lists(
        st.one_of(activities(dst_crossing=True), activities(), all_day_activities()),
        max_size=8,
        unique_by=lambda a: a.id,
    ),
    windows=st.lists(_WINDOWS, min_size=1, max_size=4),
    user=st.sampled_from(["user-1", "user-2"]),
)
def test_every_window_answers_as_the_memory_adapter(
    activities: list[Activity],
    windows: list[tuple[datetime | None, timedelta]],
    user: str,
) -> None:
    reference, subject = MemoryStorage(), SqlStorage("sqlite://", create=True)
    try:
        for storage in (reference, subject):
            port.put(storage, *activities)
        for start, length in windows:
            lo = None if start is None else start.replace(tzinfo=UTC)
            hi = None if lo is None else lo + length
            for kw in ({}, {"user_ids": [user]}, {"clients": [ClientRef("lead", "lead-1")]}):
                answers = []
                for storage in (reference, subject):
                    with storage.unit_of_work() as uow:
                        answers.append(uow.calendar.activities_between("org-1", lo, hi, **kw))
                assert answers[1] == answers[0]
    finally:
        subject.close()


@pytest.mark.parametrize("backend", ["sqlite-memory", "postgresql", "mariadb"])
def test_settings_with_working_hours_come_back_exactly_and_bad_ones_are_refused(
    backend: str, make_storage: Callable[[str], SqlStorage]
) -> None:
    storage = make_storage(backend)
    settings = CalendarSettings(
        conflicts="reject",
        shared_calendars="team",
        working_hours={
            "avi": WorkingHours(
                "Asia/Jerusalem", [(6, time(8, 30), time(0)), (0, time(9), time(13))]
            ),
            "מאיה": WorkingHours.weekly("Europe/London", start=time(7, 15, 30, 5)),
        },
        default_hours=[(d, time(9), time(17, 45)) for d in (6, 0, 1, 2, 3)],
        first_weekday=0,
    )
    with storage.unit_of_work() as uow:
        uow.calendar.put_settings("org-1", settings)
        with pytest.raises(ValidationError, match="first_weekday"):
            uow.calendar.put_settings("org-2", attrs.evolve(settings, first_weekday=7))
        uow.commit()
    with storage.unit_of_work() as uow:
        assert uow.calendar.settings("org-1") == settings
        assert uow.calendar.settings("org-2") is None


# -- wall times a change of summer time skips or repeats ------------------------------------------


def _points(a: Activity) -> list[tuple[object, ...]]:
    """Every point of an activity as wall time and offset: what must come back.

    (A fold on a wall time that is neither skipped nor repeated changes nothing.)
    """
    found: list[date] = [a.start, a.end]
    if a.recurrence is not None:
        found += [*a.recurrence.exdates, *a.recurrence.rdates]
        for o in a.recurrence.overrides:
            found += [p for p in (o.original_start, o.start, o.end) if p is not None]
    return [
        (p.replace(tzinfo=None), p.utcoffset()) if isinstance(p, datetime) else (p,) for p in found
    ]


@st.composite
def walls_around_a_change(draw: st.DrawFn) -> Activity:
    """A series whose start, end and edits fall on or near a skipped or repeated hour."""
    zone_name, day = draw(
        st.sampled_from(
            [
                ("Europe/London", date(2026, 3, 29)),
                ("Europe/London", date(2026, 10, 25)),
                ("America/New_York", date(2026, 3, 8)),
                ("America/New_York", date(2026, 11, 1)),
                ("Australia/Sydney", date(2026, 4, 5)),
                ("Asia/Jerusalem", date(2026, 3, 27)),
            ]
        )
    )
    zone = ZoneInfo(zone_name)

    def wall(days: int) -> datetime:
        at = datetime.combine(day + timedelta(days=days), time(draw(st.integers(0, 3)), 30))
        return at.replace(tzinfo=zone, fold=draw(st.integers(0, 1)))

    start = wall(draw(st.integers(-1, 0)))
    # Wall-clock arithmetic, as a caller writes it: the end may be a skipped wall time.
    end = start + timedelta(minutes=draw(st.sampled_from([30, 60, 90])))
    # Read as instants (a skipped wall time by its offset before the change), the end
    # must still be after the start: otherwise the activity is refused, rightly.
    assume(end.astimezone(UTC) > start.astimezone(UTC))
    rule = draw(st.sampled_from([None, "FREQ=DAILY;COUNT=4"]))
    recurrence = None
    if rule is not None:
        recurrence = Recurrence(
            rule,
            exdates=[start + timedelta(days=2)] * draw(st.booleans()),
            rdates=[wall(5)] * draw(st.booleans()),
        )
    activity = Activity(
        id="a",
        organization_id="org-1",
        type_id="meeting",
        status_id="open",
        title="Around the change",
        responsible_user_id="dana",
        start=start,
        end=end,
        tz=zone_name,
        recurrence=recurrence,
    )
    if recurrence is None or not draw(st.booleans()):
        return activity
    # Edit the second occurrence, wherever the series put it, and move it onto a wall time.
    around = (day - timedelta(days=3), day + timedelta(days=10))
    second = expand(activity, *around).occurrences[1].original_start
    edited = attrs.evolve(
        recurrence, overrides=[OccurrenceOverride(second, start=wall(1), title="Moved")]
    )
    return attrs.evolve(activity, recurrence=edited)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(activity=walls_around_a_change())
def test_wall_times_on_a_change_of_summer_time_come_back_exactly(activity: Activity) -> None:
    storage = SqlStorage("sqlite://", create=True)
    try:
        port.put(storage, activity)
        with storage.unit_of_work() as uow:
            stored = uow.calendar.get("org-1", "a")
            window = uow.calendar.activities_between("org-1", None, None)
        assert stored == activity
        assert window == [activity]
        assert _points(stored) == _points(activity)
    finally:
        storage.close()


@pytest.mark.parametrize("backend", ["sqlite-file", "postgresql", "mariadb"])
def test_an_hour_that_the_clocks_skip_is_stored_as_it_was_booked(
    backend: str, make_storage: Callable[[str], SqlStorage]
) -> None:
    london = ZoneInfo("Europe/London")
    skipped = datetime(2026, 3, 29, 1, 0, tzinfo=london)
    # 01:00 is read as 01:00 GMT: to 03:00 BST is an hour.
    booked = port.activity("a", start=skipped, end=skipped + timedelta(hours=2), tz="Europe/London")
    storage = make_storage(backend)
    port.put(storage, booked)
    with storage.unit_of_work() as uow:
        stored = uow.calendar.get("org-1", "a")
    assert stored == booked
    assert stored is not None
    assert _points(stored) == _points(booked)
