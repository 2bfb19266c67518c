"""The calendar repository port: spans, window queries, compare-and-set, isolation, rollback.

Written against :class:`~leadcore.storage.protocols.Storage` with a fixture
per adapter, so another adapter joins by adding its factory to ``ADAPTERS``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import attrs
import pytest

from leadcore.calendar import (
    Activity,
    ActivityStatus,
    ActivityType,
    CalendarSettings,
    ClientRef,
    OccurrenceOverride,
    Recurrence,
)
from leadcore.errors import ConflictError, NotFound
from leadcore.storage._calendar_ports import activity_span
from leadcore.storage.memory import MemoryStorage
from leadcore.storage.protocols import Storage

ZONE = ZoneInfo("Asia/Jerusalem")
ADAPTERS: dict[str, Callable[[], Storage]] = {"memory": MemoryStorage}


def at(day: int, hour: int = 10, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=ZONE)


def utc(day: int, hour: int, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


def activity(ident: str, org: str = "org-1", **kw: object) -> Activity:
    values: dict[str, object] = {
        "id": ident,
        "organization_id": org,
        "type_id": "meeting",
        "status_id": "open",
        "title": ident,
        "responsible_user_id": "dana",
        "start": at(2),
        "end": at(2, 11),
        "tz": "Asia/Jerusalem",
    }
    values.update(kw)
    return Activity(**values)  # type: ignore[arg-type]


@pytest.fixture(params=sorted(ADAPTERS))
def storage(request: pytest.FixtureRequest) -> Storage:
    return ADAPTERS[request.param]()


def put(storage: Storage, *activities: Activity) -> None:
    with storage.unit_of_work() as uow:
        for a in activities:
            uow.calendar.add(a)
        uow.commit()


def between(
    storage: Storage, start: datetime | None, end: datetime | None, **kw: object
) -> list[str]:
    with storage.unit_of_work() as uow:
        found = uow.calendar.activities_between("org-1", start, end, **kw)  # type: ignore[arg-type]
    return [a.id for a in found]


# -- spans ----------------------------------------------------------------------------------


def test_the_span_of_a_single_activity_is_its_times() -> None:
    span = activity_span(activity("a"))
    assert (span.first, span.last) == (utc(2, 8), utc(2, 9))


def test_the_span_of_a_series_runs_to_its_last_occurrence_or_has_no_end() -> None:
    counted = activity("a", recurrence=Recurrence("FREQ=WEEKLY;COUNT=3"))
    assert activity_span(counted).last == utc(16, 9)
    until = activity("b", recurrence=Recurrence("FREQ=DAILY;UNTIL=20260310T080000Z"))
    assert activity_span(until).last == utc(10, 9)
    assert activity_span(activity("c", recurrence=Recurrence("FREQ=DAILY"))).last is None


def test_the_span_covers_extra_dates_and_moved_occurrences() -> None:
    moved = activity(
        "a",
        recurrence=Recurrence(
            "FREQ=DAILY;COUNT=2",
            rdates=[at(20)],
            overrides=[OccurrenceOverride(at(3), start=at(1, 8), end=at(28, 9))],
        ),
    )
    span = activity_span(moved)
    # 28 March is in summer time (UTC+3): 09:00 there is 06:00 UTC.
    assert (span.first, span.last) == (utc(1, 6), utc(28, 6))


def test_the_span_of_an_all_day_activity_has_a_margin_for_any_viewers_zone() -> None:
    span = activity_span(activity("a", start=date(2026, 3, 2), end=date(2026, 3, 3)))
    assert span.first <= datetime(2026, 3, 1, 10, tzinfo=UTC)
    assert span.last is not None
    assert span.last >= datetime(2026, 3, 3, 14, tzinfo=UTC)
    assert span.overlaps(datetime(2026, 3, 2, 22, tzinfo=UTC), None)


# -- the repository ---------------------------------------------------------------------------


def test_a_window_returns_series_that_began_long_before_it(storage: Storage) -> None:
    put(
        storage,
        activity(
            "old-series",
            start=at(2, month=1),
            end=at(2, 11, month=1),
            recurrence=Recurrence("FREQ=WEEKLY"),
        ),
        activity(
            "ended",
            start=at(2, month=1),
            end=at(2, 11, month=1),
            recurrence=Recurrence("FREQ=WEEKLY;COUNT=2"),
        ),
        activity("single"),
        activity("later", start=at(20), end=at(20, 11)),
    )
    assert between(storage, utc(1, 0), utc(10, 0)) == ["old-series", "single"]
    # Same first instant: by id.
    assert between(storage, None, utc(10, 0)) == ["ended", "old-series", "single"]
    assert between(storage, utc(10, 0), None) == ["old-series", "later"]
    # A window ending exactly when an activity starts does not reach it.
    assert between(storage, utc(1, 0), utc(2, 8)) == ["old-series"]


def test_a_window_filters_by_participants_and_clients(storage: Storage) -> None:
    lead, account = ClientRef("lead", "lead-1"), ClientRef("account", "account-1")
    put(
        storage,
        activity("a", user_ids=["avi"], client=lead),
        activity("b", responsible_user_id="avi", more_clients=[account]),
        activity("c", client=account, contact_id="contact-1"),
    )
    assert between(storage, None, None, user_ids=["avi"]) == ["a", "b"]
    assert between(storage, None, None, user_ids=["dana"]) == ["a", "c"]
    assert between(storage, None, None, user_ids=[]) == []
    assert between(storage, None, None, clients=[account]) == ["b", "c"]
    assert between(storage, None, None, clients=[ClientRef("contact", "contact-1")]) == ["c"]
    assert between(storage, None, None, user_ids=["avi"], clients=[lead]) == ["a"]


def test_organisations_never_see_each_others_activities(storage: Storage) -> None:
    put(storage, activity("mine"), activity("theirs", org="org-2"))
    with storage.unit_of_work() as uow:
        assert uow.calendar.get("org-1", "theirs") is None
        assert [a.id for a in uow.calendar.activities_between("org-2", None, None)] == ["theirs"]
        assert not uow.calendar.in_use("org-2", type_id="nothing")
    with storage.unit_of_work() as uow, pytest.raises(NotFound):
        uow.calendar.update(attrs.evolve(activity("theirs"), version=2), expected_version=1)


def test_update_is_compare_and_set_on_the_version(storage: Storage) -> None:
    put(storage, activity("a"))
    with storage.unit_of_work() as uow:
        uow.calendar.update(activity("a", title="v2", version=2), expected_version=1)
        uow.commit()
    with storage.unit_of_work() as uow:
        with pytest.raises(ConflictError):
            uow.calendar.update(activity("a", title="stale", version=2), expected_version=1)
        stored = uow.calendar.get("org-1", "a")
        assert stored is not None
        assert stored.title == "v2"
    with storage.unit_of_work() as uow, pytest.raises(ConflictError):
        uow.calendar.add(activity("a"))


def test_two_units_of_work_changing_one_activity_conflict_at_commit(storage: Storage) -> None:
    put(storage, activity("a"))
    with storage.unit_of_work() as first, storage.unit_of_work() as second:
        first.calendar.update(activity("a", title="first", version=2), expected_version=1)
        second.calendar.update(activity("a", title="second", version=2), expected_version=1)
        first.commit()
        with pytest.raises(ConflictError):
            second.commit()
    with storage.unit_of_work() as uow:
        stored = uow.calendar.get("org-1", "a")
    assert stored is not None
    assert stored.title == "first"


def test_nothing_is_written_without_commit_and_a_moved_series_is_found_where_it_went(
    storage: Storage,
) -> None:
    with storage.unit_of_work() as uow:
        uow.calendar.add(activity("a"))
        assert between(storage, None, None) == []
    put(storage, activity("a"))
    with storage.unit_of_work() as uow:
        uow.calendar.update(
            activity("a", start=at(20), end=at(20, 11), version=2), expected_version=1
        )
        uow.commit()
    assert between(storage, utc(1, 0), utc(10, 0)) == []
    assert between(storage, utc(19, 0), utc(21, 0)) == ["a"]


def test_in_use_sees_types_statuses_and_edited_occurrences(storage: Storage) -> None:
    edited = activity(
        "a",
        recurrence=Recurrence(
            "FREQ=DAILY;COUNT=3", overrides=[OccurrenceOverride(at(3), status_id="done")]
        ),
    )
    put(storage, edited)
    with storage.unit_of_work() as uow:
        assert uow.calendar.in_use("org-1", type_id="meeting")
        assert uow.calendar.in_use("org-1", status_id="open")
        assert uow.calendar.in_use("org-1", status_id="done")
        assert not uow.calendar.in_use("org-1", status_id="cancelled")


def test_types_statuses_and_settings_are_none_until_stored(storage: Storage) -> None:
    types = [ActivityType("call", "Call")]
    statuses = [ActivityStatus("open", "Open", "open")]
    settings = CalendarSettings(conflicts="reject")
    with storage.unit_of_work() as uow:
        assert uow.calendar.types("org-1") is None
        assert uow.calendar.statuses("org-1") is None
        assert uow.calendar.settings("org-1") is None
        uow.calendar.put_types("org-1", types)
        uow.calendar.put_statuses("org-1", statuses)
        uow.calendar.put_settings("org-1", settings)
        uow.commit()
    with storage.unit_of_work() as uow:
        assert list(uow.calendar.types("org-1") or ()) == types
        assert list(uow.calendar.statuses("org-1") or ()) == statuses
        assert uow.calendar.settings("org-1") == settings
        assert uow.calendar.types("org-2") is None
