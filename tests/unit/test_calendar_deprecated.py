"""The calendar's old names, argument orders and import paths: each warns and answers as the new.

They stay for one release: ``configure``, ``schedule``, ``set_status``,
``week(day, user_ids=...)``, ``month(year, month, user_ids=...)``,
``search(page_size=...)``, ``SearchPage.next_cursor`` and the module
``leadcore.calendar.service``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

import leadcore.calendar
import leadcore.services.calendar
from leadcore import Cursor, Leadcore
from leadcore.calendar import ActivityQuery, CalendarSettings, ConflictPolicy
from leadcore.clock import ManualClock
from leadcore.core import Session
from leadcore.ids import SequentialIds

ZONE = ZoneInfo("Asia/Jerusalem")
START = datetime(2026, 3, 2, 10, tzinfo=ZONE)


def _session() -> tuple[Session, str]:
    """A fresh organisation, the same every time: its admin's session and a second user."""
    core = Leadcore.open(
        clock=ManualClock(datetime(2026, 3, 1, 6, tzinfo=UTC)), ids=SequentialIds()
    )
    _, dana = core.create_organization("Agency", admin_name="Dana", timezone="Asia/Jerusalem")
    s = core.session(dana.id)
    avi = s.users.create("Avi", "salesperson")
    for day in (2, 3, 9, 20):
        s.calendar.create(
            f"Meeting {day}",
            start=START.replace(day=day),
            end=START.replace(day=day) + timedelta(hours=1),
            user_ids=[avi.id],
        )
    return s, avi.id


def _same_answer(
    old: Callable[[Session, str], object], new: Callable[[Session, str], object], message: str
) -> None:
    """``old`` warns ``message`` and answers, and leaves the data, as ``new`` does."""
    s_old, avi_old = _session()
    s_new, avi_new = _session()
    with pytest.deprecated_call(match=message):
        answer_old = old(s_old, avi_old)
    answer_new = new(s_new, avi_new)
    assert answer_old == answer_new
    assert s_old.calendar.search(limit=1000) == s_new.calendar.search(limit=1000)


def test_configure_is_set_settings() -> None:
    settings = CalendarSettings(conflicts=ConflictPolicy.REJECT, first_weekday=0)
    _same_answer(
        lambda s, _: s.calendar.configure(settings),
        lambda s, _: s.calendar.set_settings(settings),
        r"CalendarService.configure is renamed CalendarService.set_settings",
    )


def test_schedule_is_create() -> None:
    def call(name: str) -> Callable[[Session, str], object]:
        return lambda s, avi: getattr(s.calendar, name)(
            "Kickoff", start=START, end=START + timedelta(hours=1), user_ids=[avi]
        )

    _same_answer(
        call("schedule"), call("create"), r"CalendarService.schedule is renamed .*\.create"
    )


def test_set_status_is_change_status() -> None:
    def call(name: str) -> Callable[[Session, str], object]:
        def run(s: Session, _: str) -> object:
            first = s.calendar.search(limit=1).items[0]
            return getattr(s.calendar, name)(first.id, "done")

        return run

    _same_answer(
        call("set_status"),
        call("change_status"),
        r"CalendarService.set_status is renamed .*\.change_status",
    )


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (lambda s, _: s.calendar.week(date(2026, 3, 4)), lambda s, _: _week(s, s.user_id)),
        (
            lambda s, avi: s.calendar.week(date(2026, 3, 4), user_ids=[avi], first_weekday=0),
            lambda s, avi: s.calendar.week([avi], date(2026, 3, 4), first_weekday=0),
        ),
        (
            lambda s, _: s.calendar.week(day=date(2026, 3, 4), tz="UTC"),
            lambda s, _: s.calendar.week(s.user_id, date(2026, 3, 4), tz="UTC"),
        ),
    ],
    ids=["day only", "day and user_ids", "keywords"],
)
def test_the_old_week_order_still_answers(
    old: Callable[[Session, str], object], new: Callable[[Session, str], object]
) -> None:
    _same_answer(old, new, r"week\(day, user_ids=\.\.\.\) is now week\(user_ids, day\)")


def _week(s: Session, user_id: str) -> object:
    return s.calendar.week(user_id, date(2026, 3, 4))


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (
            lambda s, _: s.calendar.month(2026, 3),
            lambda s, _: s.calendar.month(s.user_id, 2026, 3),
        ),
        (
            lambda s, avi: s.calendar.month(2026, 3, user_ids=[avi, s.user_id], tz="UTC"),
            lambda s, avi: s.calendar.month([avi, s.user_id], 2026, 3, tz="UTC"),
        ),
        (
            lambda s, _: s.calendar.month(year=2026, month=3),
            lambda s, _: s.calendar.month(s.user_id, 2026, 3),
        ),
    ],
    ids=["year and month", "with user_ids", "keywords"],
)
def test_the_old_month_order_still_answers(
    old: Callable[[Session, str], object], new: Callable[[Session, str], object]
) -> None:
    _same_answer(old, new, r"month\(year, month, user_ids=\.\.\.\) is now month\(user_ids,")


def test_the_new_orders_do_not_warn() -> None:
    s, avi = _session()
    s.calendar.week([avi], date(2026, 3, 4))
    s.calendar.week(user_ids=avi, day=date(2026, 3, 4))
    s.calendar.month(avi, 2026, 3)
    s.calendar.month(user_ids=[avi], year=2026, month=3)
    s.calendar.search(limit=2)


def test_search_page_size_is_limit_and_next_cursor_is_next() -> None:
    s, _ = _session()
    with pytest.deprecated_call(match=r"search\(page_size=\.\.\.\) is now search\(limit=\.\.\.\)"):
        old = s.calendar.search(page_size=2)  # type: ignore[call-arg]
    new = s.calendar.search(limit=2)
    assert old == new
    assert new.next is not None
    with pytest.deprecated_call(match="SearchPage.next_cursor is renamed SearchPage.next"):
        assert new.next_cursor == new.next
    with pytest.raises(TypeError, match="not both"):
        s.calendar.search(page_size=2, limit=2)  # type: ignore[call-arg]


def test_the_pure_search_takes_page_size_as_limit() -> None:
    s, _ = _session()
    activities = s.calendar.search(limit=1000).items
    with pytest.deprecated_call(match=r"search\(page_size=\.\.\.\) is renamed search\(limit"):
        old = leadcore.calendar.search(activities, ActivityQuery(), page_size=3)
    assert old == leadcore.calendar.search(activities, ActivityQuery(), limit=3)


_MOVED_RECORDS = (
    "DEFAULT_STATUSES",
    "DEFAULT_TYPES",
    "Booking",
    "CalendarImport",
    "CalendarSettings",
    "ConflictPolicy",
    "ScheduleConflict",
    "SharedCalendars",
)


@pytest.mark.parametrize("name", _MOVED_RECORDS)
def test_the_old_module_gives_each_record_from_leadcore_calendar(name: str) -> None:
    old = importlib.import_module("leadcore.calendar.service")
    with pytest.deprecated_call(match=f"moved to leadcore.calendar.{name};"):
        value: Any = getattr(old, name)
    assert value is getattr(leadcore.calendar, name)
    assert value is getattr(leadcore.services.calendar, name)


@pytest.mark.parametrize("name", ["CalendarService", "UNSET"])
def test_the_old_module_gives_the_service_from_leadcore_services_calendar(name: str) -> None:
    old = importlib.import_module("leadcore.calendar.service")
    with pytest.deprecated_call(match=f"moved to leadcore.services.calendar.{name};"):
        value: Any = getattr(old, name)
    assert value is getattr(leadcore.services.calendar, name)


def test_a_cursor_token_string_as_after_still_works_with_a_warning() -> None:
    s, _ = _session()
    first = s.calendar.search(limit=2)
    assert isinstance(first.next, Cursor)
    with pytest.deprecated_call(match=r"search\(after=<str>\) takes a Cursor"):
        old = s.calendar.search(limit=2, after=str(first.next))
    assert old == s.calendar.search(limit=2, after=first.next)
    assert Cursor.parse(str(first.next)) == first.next
