"""iCalendar export and import through the facade (the ``ical`` extra)."""

from __future__ import annotations

import sys
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import attrs
import pytest

from leadcore import Leadcore
from leadcore.calendar import CalendarSettings, IcalUnavailable, Occurrence, Recurrence
from leadcore.clock import ManualClock
from leadcore.core import Session
from leadcore.errors import LeadcoreError, NotFound, ValidationError
from leadcore.events import ActivityScheduled, ActivityUpdated
from leadcore.ids import SequentialIds

icalendar: Any = pytest.importorskip("icalendar")
recurring_ical_events: Any = pytest.importorskip("recurring_ical_events")

TZ = "Asia/Jerusalem"
ZONE = ZoneInfo(TZ)
NOW = datetime(2026, 3, 1, 6, tzinfo=UTC)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=ZONE)


@attrs.define
class World:
    core: Leadcore
    s: Session
    avi: Session
    org: str
    lead_id: str


@pytest.fixture
def w() -> World:
    core = Leadcore.open(clock=ManualClock(NOW), ids=SequentialIds())
    org, dana = core.create_organization(
        "Agency", admin_name="Dana", admin_email="dana@example.com", timezone=TZ
    )
    s = core.session(dana.id)
    avi = core.session(s.users.create("Avi", "salesperson", email="avi@example.com").id)
    lead = s.leads.create("Yossi Cohen")
    return World(core, s, avi, org.id, lead.id)


def events_of(text: str) -> list[Any]:
    return list(icalendar.Calendar.from_ical(text).walk("VEVENT"))


def test_a_users_calendar_exports_with_organizer_attendees_and_recurrence(w: World) -> None:
    series = w.s.calendar.create(
        "Weekly review",
        start=at(1, 10),
        end=at(1, 11),
        user_ids=[w.avi.user_id],
        client=w.lead_id,
        recurrence=Recurrence("FREQ=WEEKLY;COUNT=4", exdates=[at(8, 10)]),
    ).activity
    w.s.calendar.update(series.id, title="Special", occurrence=at(15, 10))
    text = w.s.calendar.export_ics(name="Dana")
    master, child = events_of(text)
    assert str(master["UID"]) == series.id
    assert str(master["ORGANIZER"]) == "mailto:dana@example.com"
    assert str(master["ATTENDEE"]) == "mailto:avi@example.com"
    assert master["RRULE"].to_ical() == b"FREQ=WEEKLY;COUNT=4"
    assert "EXDATE" in master
    assert "VTIMEZONE" in text
    assert str(child["SUMMARY"]) == "Special"
    assert "RECURRENCE-ID" in child
    assert int(master["SEQUENCE"]) == 2
    assert master["DTSTAMP"].dt == NOW


def test_what_the_exporter_may_not_see_is_exported_as_busy_time_only(w: World) -> None:
    w.s.calendar.create("Board meeting", start=at(2, 9), end=at(2, 10), notes="Layoffs")
    text = w.avi.calendar.export_ics(user_id=w.s.user_id)
    (event,) = events_of(text)
    assert str(event["SUMMARY"]) == "Busy"
    assert "Board" not in text
    assert "Layoffs" not in text
    assert w.s.user_id not in text


def test_a_client_timeline_or_one_activity_exports_alone(w: World) -> None:
    linked = w.s.calendar.create("Linked", start=at(2, 9), end=at(2, 10), client=w.lead_id)
    w.s.calendar.create("Not linked", start=at(2, 11), end=at(2, 12))
    assert [str(e["SUMMARY"]) for e in events_of(w.s.calendar.export_ics(client=w.lead_id))] == [
        "Linked"
    ]
    one = w.s.calendar.export_ics(activity_id=linked.activity.id)
    assert [str(e["UID"]) for e in events_of(one)] == [linked.activity.id]
    with pytest.raises(ValidationError, match="give one of"):
        w.s.calendar.export_ics(user_id=w.s.user_id, activity_id=linked.activity.id)
    with pytest.raises(NotFound):
        w.s.calendar.export_ics(user_id="user-99")


def test_the_export_expands_to_the_same_occurrences_as_the_month_view(w: World) -> None:
    # Israel moves its clocks on 27 March: the series keeps 09:00 local time.
    w.s.calendar.create(
        "DST crossing",
        start=at(20, 9),
        end=at(20, 9, 30),
        recurrence="FREQ=DAILY;COUNT=10",
    )
    mine = [
        e.starts_at
        for d in w.s.calendar.month(w.s.user_id, 2026, 3).days
        for e in d.entries
        if isinstance(e, Occurrence)
    ]
    cal = icalendar.Calendar.from_ical(w.s.calendar.export_ics())
    theirs = [
        e["DTSTART"].dt.astimezone(UTC)
        for e in recurring_ical_events.of(cal).between(at(1, 0), datetime(2026, 4, 1, tzinfo=ZONE))
    ]
    assert mine == sorted(theirs)
    assert len(mine) == 10


def test_importing_an_export_gives_the_same_activities_back(w: World) -> None:
    w.s.calendar.create(
        "Weekly",
        start=at(1, 10),
        end=at(1, 11),
        user_ids=[w.avi.user_id],
        more_clients=[w.lead_id],
        recurrence=Recurrence("FREQ=WEEKLY;COUNT=5", exdates=[at(8, 10)]),
        reminders=[timedelta(minutes=10)],
    )
    w.s.calendar.create("Offsite", start=date(2026, 3, 3), end=date(2026, 3, 5), privacy="private")
    before = w.s.calendar.search().items
    result = w.s.calendar.import_ics(w.s.calendar.export_ics())
    assert result.problems == ()
    assert result.created == ()
    assert result.updated == ()
    assert sorted(result.unchanged) == sorted(a.id for a in before)
    assert w.s.calendar.search().items == before


def test_an_edited_export_updates_the_activity(w: World) -> None:
    a = w.s.calendar.create("Call", start=at(2, 9), end=at(2, 10)).activity
    text = w.s.calendar.export_ics().replace("SUMMARY:Call", "SUMMARY:Call Yossi")
    mark = w.core.events.read(w.org)[-1].position
    result = w.s.calendar.import_ics(text)
    (updated,) = result.updated
    assert (updated.id, updated.title, updated.version) == (a.id, "Call Yossi", 2)
    (event,) = [e.event for e in w.core.events.read(w.org, after=mark)]
    assert isinstance(event, ActivityUpdated)
    assert event.fields == ("title",)


FOREIGN = """\
BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//Microsoft Corporation//Outlook 16.0 MIMEDIR//EN
BEGIN:VEVENT
UID:040000008200E00074C5B7101A82E008
DTSTAMP:20260301T080000Z
DTSTART;TZID=Israel Standard Time:20260302T090000
DTEND;TZID=Israel Standard Time:20260302T100000
RRULE:FREQ=WEEKLY;UNTIL=20260330T090000
EXDATE;VALUE=DATE:20260309
SUMMARY:Outlook weekly
ORGANIZER:mailto:AVI@example.com
ATTENDEE:mailto:dana@example.com
END:VEVENT
BEGIN:VEVENT
UID:broken
DTSTART;TZID=Nowhere/Special:20260302T090000
SUMMARY:Unknown zone
END:VEVENT
END:VCALENDAR
"""


def test_import_takes_what_real_clients_send_and_reports_what_it_cannot(w: World) -> None:
    result = w.s.calendar.import_ics(FOREIGN)
    (created,) = result.created
    assert created.id.startswith("activity-")
    assert created.tz == "Asia/Jerusalem"
    assert created.responsible_user_id == w.avi.user_id
    assert created.user_ids == (w.s.user_id,)
    assert created.type_id == "sales_meeting"
    assert created.status_id == "scheduled"
    starts = [
        e.start
        for d in w.s.calendar.month([w.avi.user_id], 2026, 3).days
        for e in d.entries
        if isinstance(e, Occurrence)
    ]
    assert starts == [at(2, 9), at(16, 9), at(23, 9), at(30, 9)]
    (problem,) = result.problems
    assert "broken" in problem
    assert "Nowhere/Special" in problem
    (event,) = [
        e.event for e in w.core.events.read(w.org) if isinstance(e.event, ActivityScheduled)
    ]
    assert event.source == "import"


def test_imported_events_are_checked_like_scheduled_ones(w: World) -> None:
    w.s.calendar.create("Busy", start=at(2, 9), end=at(2, 10), responsible_user_id=w.avi.user_id)
    warned = w.s.calendar.import_ics(FOREIGN.replace("UID:0400", "UID:a0400"))
    assert [c.user_id for c in warned.conflicts] == [w.avi.user_id]
    assert len(warned.created) == 1
    w.s.calendar.set_settings(CalendarSettings(conflicts="reject"))
    rejected = w.s.calendar.import_ics(FOREIGN.replace("UID:0400", "UID:b0400"))
    assert rejected.created == ()
    assert any("clashes" in p for p in rejected.problems)
    unknown = w.s.calendar.import_ics(
        FOREIGN.replace("SUMMARY:Outlook weekly", "SUMMARY:Typed\nX-LEADCORE-TYPE:nothing")
    )
    # A type the organisation does not have is another organisation's: the default is taken.
    assert unknown.created == ()
    assert any("clashes" in p for p in unknown.problems)
    mapped = "type_id 'sales_meeting' from X-LEADCORE-TYPE 'nothing'"
    assert any(mapped in m for m in unknown.mapped)
    with pytest.raises(ValidationError, match="not iCalendar"):
        w.s.calendar.import_ics("hello")


def test_without_icalendar_export_and_import_say_which_extra_to_install(
    w: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "icalendar", None)
    with pytest.raises(IcalUnavailable, match=r"pip install 'leadcore\[ical\]'") as err:
        w.s.calendar.export_ics()
    assert isinstance(err.value, ImportError)
    assert isinstance(err.value, LeadcoreError)
    with pytest.raises(IcalUnavailable):
        w.s.calendar.import_ics(FOREIGN)
