"""iCalendar export and import: a round trip, what real clients send, and what stays hidden."""

from __future__ import annotations

import importlib
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import attrs
import pytest

from leadcore.calendar import (
    Activity,
    ActivityStatus,
    ClientRef,
    IcalUnavailable,
    OccurrenceOverride,
    Recurrence,
    expand,
    from_ics,
    to_ics,
    visibility_for,
)
from leadcore.errors import ValidationError

pytest.importorskip("icalendar")

JLM = ZoneInfo("Asia/Jerusalem")
NOW = datetime(2026, 2, 1, 12, tzinfo=UTC)
STATUSES = [
    ActivityStatus("scheduled", "Scheduled", "open"),
    ActivityStatus("done", "Done", "done"),
    ActivityStatus("cancelled", "Cancelled", "cancelled"),
]


def act(ident: str, **fields: Any) -> Activity:
    start = datetime(2026, 3, 2, 10, tzinfo=JLM)
    base: dict[str, Any] = {
        "id": ident,
        "organization_id": "org",
        "type_id": "meeting",
        "status_id": "scheduled",
        "title": "Kickoff, with ACME; phase 2",
        "responsible_user_id": "dana",
        "start": start,
        "end": start + timedelta(hours=1),
        "tz": "Asia/Jerusalem",
    }
    base.update(fields)
    return Activity(**base)


def read(text: str, **options: Any) -> Any:
    defaults: dict[str, Any] = {
        "organization_id": "org",
        "type_id": "meeting",
        "statuses": STATUSES,
    }
    defaults.update(options)
    return from_ics(text, **defaults)


def test_import_of_an_export_gives_the_same_activities_back() -> None:
    start = datetime(2026, 3, 2, 10, tzinfo=JLM)
    activities = [
        act(
            "a1",
            notes="Bring the contract\nand the price list",
            location="Tel Aviv",
            user_ids=["avi", "noa"],
            client=ClientRef("account", "acme"),
            contact_id="c-1",
            more_clients=[ClientRef("lead", "l-9")],
            reminders=[timedelta(minutes=15), timedelta(days=1)],
            privacy="private",
            version=3,
            recurrence=Recurrence(
                "FREQ=WEEKLY;BYDAY=MO,WE;UNTIL=20260601T000000Z",
                exdates=[start + timedelta(days=7)],
                rdates=[start + timedelta(days=5)],
                overrides=[
                    OccurrenceOverride(start + timedelta(days=2), cancelled=True),
                    OccurrenceOverride(
                        start + timedelta(days=14),
                        start=start + timedelta(days=14, hours=2),
                        title="Moved",
                        status_id="done",
                        notes="",
                    ),
                ],
            ),
        ),
        act("a2", start=date(2026, 4, 1), end=date(2026, 4, 3), status_id="cancelled"),
        act(
            "a3",
            tz="UTC",
            start=datetime(2026, 3, 5, 8, tzinfo=UTC),
            end=datetime(2026, 3, 5, 9, tzinfo=UTC),
        ),
    ]
    text = to_ics(activities, STATUSES, now=NOW)
    back = read(text)
    assert back.problems == ()
    # The file's UID is kept as the file's identity, beside the fields that round-trip.
    assert [a.ical_uid for a in back.activities] == [a.id for a in activities]
    assert tuple(attrs.evolve(a, ical_uid=None) for a in back.activities) == tuple(activities)


def test_the_export_carries_what_calendar_clients_read() -> None:
    a = act(
        "a1",
        user_ids=["avi"],
        recurrence=Recurrence(
            "FREQ=WEEKLY",
            overrides=[OccurrenceOverride(datetime(2026, 3, 9, 10, tzinfo=JLM), title="Moved")],
        ),
    )
    text = to_ics([a], STATUSES, now=NOW, addresses={"dana": "mailto:dana@example.com"})
    lines = text.splitlines()
    for expected in (
        "UID:a1",
        "DTSTAMP:20260201T120000Z",
        "SEQUENCE:1",
        "ORGANIZER:mailto:dana@example.com",
        "DTSTART;TZID=Asia/Jerusalem:20260302T100000",
        "RRULE:FREQ=WEEKLY",
        "RECURRENCE-ID;TZID=Asia/Jerusalem:20260309T100000",
        "STATUS:CONFIRMED",
        "CLASS:PUBLIC",
        "TRANSP:OPAQUE",
        "BEGIN:VTIMEZONE",
        "TZID:Asia/Jerusalem",
    ):
        assert expected in lines, expected
    assert any(
        line.startswith("ATTENDEE;ROLE=REQ-PARTICIPANT:urn:x-leadcore:user:avi") for line in lines
    )


def test_a_hidden_activity_is_exported_as_busy_time_only() -> None:
    a = act("a1", notes="salary talk", location="HR room", client=ClientRef("lead", "l-1"))
    text = to_ics([a], STATUSES, now=NOW, visible=visibility_for("noa"))
    assert "SUMMARY:Busy" in text.splitlines()
    for secret in ("Kickoff", "salary", "HR room", "l-1", "dana", "UID:a1", "X-LEADCORE"):
        assert secret not in text


def test_import_tolerates_what_real_clients_send() -> None:
    text = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//Microsoft Corporation//Outlook 16.0 MIMEDIR//EN
BEGIN:VEVENT
UID:040000008200E00074C5B7101A82E008
DTSTAMP:20260201T120000Z
DTSTART;TZID=Israel Standard Time:20260302T100000
DTEND;TZID=Israel Standard Time:20260302T110000
RRULE:FREQ=WEEKLY;UNTIL=20260330T100000;BYDAY=MO;X-EXTRA=1
EXDATE;VALUE=DATE:20260309
EXDATE;TZID=Israel Standard Time:20260316T100000
ORGANIZER;CN=Dana:mailto:DANA@example.com
ATTENDEE;CN=Avi:mailto:avi@example.com
ATTENDEE:mailto:stranger@example.com
SUMMARY:Weekly sync
CLASS:PRIVATE
BEGIN:VALARM
ACTION:DISPLAY
TRIGGER:-PT10M
END:VALARM
END:VEVENT
BEGIN:VEVENT
UID:floating-1
DTSTART:20260305T090000
DURATION:PT45M
SUMMARY:Floating call
STATUS:CANCELLED
END:VEVENT
END:VCALENDAR
"""
    result = read(
        text,
        addresses={"dana": "mailto:dana@example.com", "avi": "mailto:avi@example.com"},
        responsible_user_id="admin",
        default_tz="Europe/London",
    )
    assert result.problems == ()
    weekly, call = result.activities
    assert weekly.tz == "Asia/Jerusalem"
    assert (weekly.responsible_user_id, weekly.user_ids) == ("dana", ("avi",))
    assert weekly.privacy == "private"
    assert weekly.reminders == (timedelta(minutes=10),)
    assert weekly.recurrence is not None
    assert weekly.recurrence.rule == "FREQ=WEEKLY;UNTIL=20260330T070000Z;BYDAY=MO"
    found = expand(weekly, weekly.start, datetime(2026, 5, 1, tzinfo=UTC)).occurrences
    assert [o.start.day for o in found] == [2, 23, 30]
    assert call.tz == "Europe/London"
    assert call.status_id == "cancelled"
    assert call.responsible_user_id == "admin"
    assert call.end - call.start == timedelta(minutes=45)


def test_each_unreadable_event_is_reported_and_the_rest_imported() -> None:
    text = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:x
BEGIN:VEVENT
UID:good
DTSTART:20260302T100000Z
DTEND:20260302T110000Z
SUMMARY:Fine
END:VEVENT
BEGIN:VEVENT
UID:bad-zone
DTSTART;TZID=Atlantis/Capital:20260302T100000
SUMMARY:Lost
END:VEVENT
BEGIN:VEVENT
UID:bad-rule
DTSTART:20260302T100000Z
RRULE:FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30
SUMMARY:Never
END:VEVENT
BEGIN:VEVENT
UID:orphan
RECURRENCE-ID:20260309T100000Z
DTSTART:20260309T120000Z
SUMMARY:Orphan
END:VEVENT
END:VCALENDAR
"""
    result = read(text, responsible_user_id="admin")
    assert [a.id for a in result.activities] == ["good"]
    messages = {p.uid: p.message for p in result.problems}
    assert "time zone 'Atlantis/Capital' is not known" in messages["bad-zone"]
    assert "can never produce an occurrence" in messages["bad-rule"]
    assert "without its series" in messages["orphan"]
    assert str(result.problems[0]).startswith("VEVENT #")


def test_import_needs_a_responsible_user_for_foreign_events() -> None:
    text = (
        "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:x\nBEGIN:VEVENT\nUID:u\n"
        "DTSTART:20260302T100000Z\nEND:VEVENT\nEND:VCALENDAR\n"
    )
    (problem,) = read(text).problems
    assert "ORGANIZER: not a known user" in problem.message
    with pytest.raises(ValidationError, match="the file is not iCalendar"):
        read("this is not a calendar")


def test_a_missing_icalendar_library_gives_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.import_module

    def fake(name: str, package: str | None = None) -> Any:
        if name == "icalendar":
            raise ImportError("No module named 'icalendar'")
        return real(name, package)

    monkeypatch.setattr(importlib, "import_module", fake)
    with pytest.raises(IcalUnavailable, match=r"pip install 'leadcore\[ical\]'"):
        to_ics([act("a1")], STATUSES, now=NOW)
    with pytest.raises(ImportError):
        read("")
