"""Calendars of two organisations on SQL, from each one's point of view.

Both organisations hold look-alike data: the same activity id, the same user
and client ids, the same type and status ids. Neither sees, changes or
collides with the other's, through the repository on every backend, and,
under PostgreSQL Row-Level Security, not even through hand-written SQL on the
calendar tables.
"""

from __future__ import annotations

from collections.abc import Callable

import attrs
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError
from tests.integration.conftest import BACKENDS, ScratchDatabase
from tests.unit.test_calendar_service_storage import activity, at, utc

from leadcore.calendar import (
    ActivityStatus,
    ActivityType,
    CalendarSettings,
    ClientRef,
    OccurrenceOverride,
    Recurrence,
)
from leadcore.errors import ConflictError
from leadcore.storage.sql import SETTING, SqlStorage

A, B = "org-cal-a", "org-cal-b"
LEAD = ClientRef("lead", "lead-1")
CALENDAR_TABLES = (
    "leadcore_activities",
    "leadcore_activity_users",
    "leadcore_activity_clients",
    "leadcore_activity_types",
    "leadcore_activity_statuses",
    "leadcore_calendar_settings",
)


def _look_alikes(storage: SqlStorage) -> None:
    for org, title in ((A, "Ours"), (B, "Theirs")):
        with storage.unit_of_work() as uow:
            series = activity(
                "a1",
                org=org,
                title=title,
                user_ids=["avi"],
                client=LEAD,
                recurrence=Recurrence(
                    "FREQ=DAILY;COUNT=3", overrides=[OccurrenceOverride(at(3), status_id="done")]
                ),
            )
            uow.calendar.add(series)
            uow.calendar.put_types(org, [ActivityType("meeting", f"Meeting of {title}")])
            uow.calendar.put_statuses(org, [ActivityStatus("open", title, "open")])
            uow.calendar.put_settings(org, CalendarSettings(first_weekday=0 if org == A else 6))
            uow.commit()


@pytest.mark.parametrize("backend", BACKENDS)
def test_each_organisation_sees_and_changes_only_its_own_calendar(
    backend: str, make_storage: Callable[[str], SqlStorage]
) -> None:
    storage = make_storage(backend)
    _look_alikes(storage)
    with storage.unit_of_work() as uow:
        ours = uow.calendar.get(A, "a1")
        assert ours is not None
        moved = attrs.evolve(
            ours, start=at(20), end=at(20, 11), user_ids=(), recurrence=None, version=2
        )
        uow.calendar.update(moved, expected_version=1)
        uow.commit()
    with storage.unit_of_work() as uow:
        cal = uow.calendar
        theirs = cal.get(B, "a1")
        assert theirs is not None
        assert (theirs.title, theirs.version, theirs.user_ids) == ("Theirs", 1, ("avi",))
        # Moving ours left theirs where it was, with its participants and clients.
        assert cal.activities_between(B, utc(1, 0), utc(10, 0)) == [theirs]
        assert cal.activities_between(B, None, None, user_ids=["avi"]) == [theirs]
        assert cal.activities_between(B, None, None, clients=[LEAD]) == [theirs]
        assert cal.activities_between(A, utc(1, 0), utc(10, 0)) == []
        assert cal.activities_between(A, None, None, user_ids=["avi"]) == []
        assert [a.title for a in cal.activities_between(A, None, None, clients=[LEAD])] == ["Ours"]
        assert cal.in_use(B, status_id="done")
        assert [t.name for t in cal.types(B) or ()] == ["Meeting of Theirs"]
        assert cal.settings(A) == CalendarSettings(first_weekday=0)
        assert [x.name for x in cal.statuses(A) or ()] == ["Ours"]
        assert not cal.in_use(A, status_id="done")
        # Ours is at version 2, theirs still at 1: our version does not write theirs.
        with pytest.raises(ConflictError):
            cal.update(attrs.evolve(theirs, version=3), expected_version=2)


def test_under_row_level_security_the_calendar_tables_show_one_organisation(
    postgresql_rls: ScratchDatabase,
) -> None:
    storage = postgresql_rls.storage()
    try:
        _look_alikes(storage)
        with postgresql_rls.engine.connect() as app:
            for table in CALENDAR_TABLES:
                assert app.execute(text(f"SELECT count(*) FROM {table}")).scalar() == 0, table
            for me in (A, B):
                app.execute(select(func.set_config(SETTING, me, True)))
                for table in CALENDAR_TABLES:
                    found = app.execute(text(f"SELECT DISTINCT organization_id FROM {table}"))
                    assert {org for (org,) in found} == {me}, table
            # Scoped to B now: A's rows can be neither changed nor added to.
            changed = app.execute(
                text("UPDATE leadcore_activities SET status_id = 'x' WHERE organization_id = :a"),
                {"a": A},
            )
            assert changed.rowcount == 0
            savepoint = app.begin_nested()
            with pytest.raises(DBAPIError, match="row-level security"):
                app.execute(
                    text(
                        "INSERT INTO leadcore_activity_users "
                        "(organization_id, user_id, activity_id, first_us, last_us) "
                        "VALUES (:a, 'mallory', 'a1', 0, 1)"
                    ),
                    {"a": A},
                )
            savepoint.rollback()
            app.rollback()
    finally:
        storage.close()
