"""iCalendar files exchanged with other tools and other deployments.

The repeated hour survives a round trip, a file's UIDs are the file's and
never ours, another organisation's export imports by e-mail, bad files and
bad bytes get library errors, and zones known only by their VTIMEZONE are
read.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import attrs
import pytest

from leadcore import Leadcore
from leadcore.calendar import (
    ActivityStatus,
    Occurrence,
    OccurrenceOverride,
    Recurrence,
    expand,
    from_ics,
    to_ics,
)
from leadcore.clock import ManualClock
from leadcore.core import Session
from leadcore.errors import ValidationError
from leadcore.ids import SequentialIds

icalendar: Any = pytest.importorskip("icalendar")

JLM = "Asia/Jerusalem"
ZONE = ZoneInfo(JLM)
NOW = datetime(2026, 3, 1, 6, tzinfo=UTC)
STATUSES = [
    ActivityStatus("scheduled", "Scheduled", "open"),
    ActivityStatus("cancelled", "Cancelled", "cancelled"),
]


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def local(utc_instant: datetime) -> datetime:
    """The wall time in Jerusalem of an instant, with the fold that says which run it is."""
    return utc_instant.astimezone(ZONE)


@attrs.define
class Deployment:
    core: Leadcore
    s: Session
    org: str

    @classmethod
    def open(
        cls, name: str = "Agency", email: str = "dana@example.com", *, started: int = 0
    ) -> Deployment:
        """A deployment of its own: ids count from 1 as in every other one."""
        clock = ManualClock(NOW - timedelta(days=started))
        core = Leadcore.open(clock=clock, ids=SequentialIds())
        org, admin = core.create_organization(
            name, admin_name="Dana", admin_email=email, timezone=JLM
        )
        clock.set(NOW)
        return cls(core, core.session(admin.id), org.id)

    def stored(self) -> list[Any]:
        return list(self.s.calendar.search().items)


def read(text: str | bytes, **options: Any) -> Any:
    defaults: dict[str, Any] = {
        "organization_id": "org",
        "type_id": "meeting",
        "statuses": STATUSES,
        "responsible_user_id": "dana",
    }
    defaults.update(options)
    return from_ics(text, **defaults)


def calendar(*events: str, extra: str = "") -> str:
    body = "".join(f"BEGIN:VEVENT\n{e.strip()}\nEND:VEVENT\n" for e in events)
    return f"BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:x\n{extra}{body}END:VCALENDAR\n"


# -- finding 3: the repeated hour -------------------------------------------------------------


def test_a_start_in_the_second_run_of_the_repeated_hour_reimports_at_the_same_instant() -> None:
    d = Deployment.open()
    # 01:30+02, the second 01:30 of the night Israel's clocks go back.
    start, end = local(utc(2026, 10, 24, 23, 30)), local(utc(2026, 10, 25, 0, 30))
    a = d.s.calendar.create("Night call", start=start, end=end, tz=JLM).activity
    text = d.s.calendar.export_ics(activity_id=a.id)
    assert "DTSTART:20261024T233000Z" in text.splitlines()
    (back,) = read(text).activities
    assert back.start.astimezone(UTC) == utc(2026, 10, 24, 23, 30)
    assert back.end.astimezone(UTC) == utc(2026, 10, 25, 0, 30)


def test_a_meeting_ending_in_the_second_run_keeps_its_duration() -> None:
    # 01:00+03 to 01:30+02 is 90 minutes; read as local times it would be 30.
    start, end = local(utc(2026, 10, 24, 22)), local(utc(2026, 10, 24, 23, 30))
    meeting = _activity("m1", start, end)
    (back,) = read(to_ics([meeting], STATUSES, now=NOW)).activities
    assert back.end.astimezone(UTC) - back.start.astimezone(UTC) == timedelta(minutes=90)


def test_moved_occurrences_and_rdates_in_the_second_run_keep_their_instants() -> None:
    first = local(utc(2026, 10, 23, 22, 30))  # 01:30+03 on Saturday 24 October
    second = local(utc(2026, 10, 24, 23, 30))  # 01:30+02 on Sunday 25 October
    series = _activity(
        "s1",
        first,
        local(utc(2026, 10, 23, 23)),
        recurrence=Recurrence(
            "FREQ=DAILY;COUNT=3",
            # An extra occurrence at the second 01:30, and the first one moved to it too.
            rdates=[second],
            overrides=[
                OccurrenceOverride(
                    original_start=first, start=second, end=local(utc(2026, 10, 25, 0))
                )
            ],
        ),
    )
    text = to_ics([series], STATUSES, now=NOW)
    assert "RDATE:20261024T233000Z" in text.splitlines()
    (back,) = read(text).activities
    window = (utc(2026, 10, 1), utc(2026, 11, 1))
    expected = [(o.starts_at, o.ends_at) for o in expand(series, *window).occurrences]
    assert (utc(2026, 10, 24, 23, 30), utc(2026, 10, 25, 0)) in expected
    assert [(o.starts_at, o.ends_at) for o in expand(back, *window).occurrences] == expected


def _activity(ident: str, start: datetime, end: datetime, **fields: Any) -> Any:
    from leadcore.calendar import Activity

    return Activity(
        id=ident,
        organization_id="org",
        type_id="meeting",
        status_id="scheduled",
        title="Meeting",
        responsible_user_id="dana",
        start=start,
        end=end,
        tz=JLM,
        **fields,
    )


def test_a_duration_is_exact_time_across_the_repeated_hour() -> None:
    text = calendar(
        "UID:d1\nDTSTART;TZID=Asia/Jerusalem:20261025T003000\nDURATION:PT2H\nSUMMARY:Long"
    )
    (a,) = read(text).activities
    assert a.end.astimezone(UTC) - a.start.astimezone(UTC) == timedelta(hours=2)
    assert a.end.astimezone(UTC) == utc(2026, 10, 24, 23, 30)


def test_an_end_in_utc_after_a_local_start_in_the_repeated_hour_is_read_by_instants() -> None:
    # Start 01:00 local (first run, 22:00Z), end 23:00Z (01:00, second run): one hour.
    text = calendar(
        "UID:r1\nDTSTART;TZID=Asia/Jerusalem:20261025T010000\nDTEND:20261024T230000Z\nSUMMARY:x"
    )
    (a,) = read(text).activities
    assert a.start.astimezone(UTC) == utc(2026, 10, 24, 22)
    assert a.end.astimezone(UTC) == utc(2026, 10, 24, 23)


# -- finding 4: a file's UID is the file's ----------------------------------------------------


def test_an_import_never_updates_what_it_has_just_created() -> None:
    # Two deployments: the same organisation id, the same activity ids.
    a, b = Deployment.open(), Deployment.open(started=7)
    assert a.org == b.org
    for day in range(2, 6):
        a.s.calendar.create(f"Meeting {day}", start=utc(2026, 3, day, 9), end=utc(2026, 3, day, 10))
    text = a.s.calendar.export_ics()
    b.s.calendar.create("Own", start=utc(2026, 3, 9, 9), end=utc(2026, 3, 9, 10))
    result = b.s.calendar.import_ics(text)
    assert result.problems == ()
    assert len(result.created) == 4
    titles = sorted(x.title for x in b.stored())
    assert titles == ["Meeting 2", "Meeting 3", "Meeting 4", "Meeting 5", "Own"]


def test_importing_the_same_file_again_updates_the_activities_it_created() -> None:
    a, b = Deployment.open(), Deployment.open(started=7)
    for day in range(2, 5):
        a.s.calendar.create(f"Meeting {day}", start=utc(2026, 3, day, 9), end=utc(2026, 3, day, 10))
    text = a.s.calendar.export_ics()
    first = b.s.calendar.import_ics(text)
    again = b.s.calendar.import_ics(text)
    assert (len(first.created), again.created, again.updated) == (3, (), ())
    assert sorted(again.unchanged) == sorted(x.id for x in first.created)
    edited = b.s.calendar.import_ics(text.replace("SUMMARY:Meeting 3", "SUMMARY:Moved"))
    (updated,) = edited.updated
    assert updated.title == "Moved"
    assert len(b.stored()) == 3
    # The activity keeps the file's UID, and exports with it.
    assert {x.ical_uid for x in b.stored()} == {x.id for x in a.stored()}
    assert f"UID:{updated.ical_uid}" in b.s.calendar.export_ics(activity_id=updated.id)


# -- finding 5: another organisation's export --------------------------------------------------


def test_another_organisations_export_imports_by_e_mail_and_reports_the_mapping() -> None:
    a = Deployment.open("Supplier", "dana@supplier.example")
    b = Deployment.open("Agency", "noa@agency.example", started=7)
    avi_a = a.s.users.create("Avi", "salesperson", email="Avi@Agency.example")
    avi_b = b.s.users.create("Avi", "salesperson", email="avi@agency.example")
    a.s.calendar.create(
        "Joint call",
        start=utc(2026, 3, 2, 9),
        end=utc(2026, 3, 2, 10),
        responsible_user_id=avi_a.id,
        user_ids=[a.s.user_id],
    )
    a.s.calendar.create("Supplier only", start=utc(2026, 3, 3, 9), end=utc(2026, 3, 3, 10))
    result = b.s.calendar.import_ics(a.s.calendar.export_ics(user_id=avi_a.id))
    assert result.problems == ()
    (call,) = result.created
    assert call.responsible_user_id == avi_b.id
    assert call.user_ids == ()
    assert any(f"responsible_user_id '{avi_b.id}' from ORGANIZER" in m for m in result.mapped)
    users_b = {u.id for u in b.s.users.list()}
    for activity in b.stored():
        assert set(activity.participant_ids) <= users_b


def test_an_organizer_nobody_here_has_falls_back_to_the_importing_user() -> None:
    b = Deployment.open()
    text = calendar(
        "UID:x1\nDTSTART:20260302T090000Z\nDTEND:20260302T100000Z\nSUMMARY:Hi\n"
        "ORGANIZER:mailto:stranger@elsewhere.example\n"
        "X-LEADCORE-ORGANIZATION:org-99\nX-LEADCORE-RESPONSIBLE:user-1\n"
        "X-LEADCORE-CLIENT:lead:lead-7"
    )
    result = b.s.calendar.import_ics(text)
    (created,) = result.created
    assert created.responsible_user_id == b.s.user_id
    assert created.client is None
    assert result.mapped == (
        f"VEVENT #0 (UID 'x1'): responsible_user_id '{b.s.user_id}' from the importing user",
    )


# -- finding 6: bad files ---------------------------------------------------------------------

GOOD = "UID:g1\nDTSTART:20260302T090000Z\nDTEND:20260302T100000Z\nSUMMARY:Good"


@pytest.mark.parametrize(
    "line",
    [
        "DTSTART:2026-13-45T25:00",
        "DURATION:PT-1H",
        "EXDATE:yesterday",
        "SEQUENCE:many",
        "RRULE:FREQ=SOMETIMES",
        "RDATE:soon",
        "RECURRENCE-ID:never",
        "DTEND;VALUE=DATE:20261399",
    ],
)
def test_a_broken_value_is_a_problem_of_its_event_and_nothing_of_it_is_written(line: str) -> None:
    d = Deployment.open()
    bad = "UID:b1\nDTSTART:20260303T090000Z\nDTEND:20260303T100000Z\nSUMMARY:Bad\n" + line
    if line.startswith("DTSTART"):
        bad = "UID:b1\nSUMMARY:Bad\n" + line
    result = d.s.calendar.import_ics(calendar(GOOD, bad))
    assert [a.title for a in result.created] == ["Good"]
    assert any("b1" in p for p in result.problems), result.problems
    assert [a.title for a in d.stored()] == ["Good"]


def test_a_file_that_is_not_utf_8_is_refused_naming_the_line_and_byte() -> None:
    d = Deployment.open()
    text = calendar(GOOD.replace("SUMMARY:Good", "SUMMARY:Caf\udce9")).encode(
        "utf-8", "surrogateescape"
    )
    with pytest.raises(ValidationError, match=r"line 8, byte \d+: 0xe9 is not UTF-8"):
        d.s.calendar.import_ics(text)
    assert d.stored() == []


def test_a_byte_order_mark_is_allowed_and_hebrew_comes_through() -> None:
    d = Deployment.open()
    text = calendar(GOOD.replace("SUMMARY:Good", "SUMMARY:פגישה"))
    result = d.s.calendar.import_ics(b"\xef\xbb\xbf" + text.encode())
    assert [a.title for a in result.created] == ["פגישה"]


@pytest.mark.parametrize(
    "text",
    ["", "hello", "BEGIN:VCALENDAR\nEND:VCALENDAR\nBEGIN:VCALENDAR", "BEGIN:VEVENT\nEND:VEVENT\n"],
)
def test_what_is_not_icalendar_at_all_is_a_validation_error(text: str) -> None:
    d = Deployment.open()
    with pytest.raises(ValidationError):
        d.s.calendar.import_ics(text)
    assert d.stored() == []


# -- finding 7: zones ----------------------------------------------------------------------------

CUSTOM_ZONE = """BEGIN:VTIMEZONE
TZID:Customized Time Zone
BEGIN:STANDARD
DTSTART:16011028T020000
RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10
TZOFFSETFROM:+0300
TZOFFSETTO:+0200
END:STANDARD
BEGIN:DAYLIGHT
DTSTART:16010323T020000
RRULE:FREQ=YEARLY;BYDAY=-1FR;BYMONTH=3
TZOFFSETFROM:+0200
TZOFFSETTO:+0300
END:DAYLIGHT
END:VTIMEZONE
"""


def test_a_zone_defined_only_by_its_vtimezone_is_read() -> None:
    text = calendar(
        "UID:c1\nDTSTART;TZID=Customized Time Zone:20260302T090000\n"
        "DTEND;TZID=Customized Time Zone:20260302T100000\nRRULE:FREQ=WEEKLY;COUNT=5\nSUMMARY:x",
        extra=CUSTOM_ZONE,
    )
    result = read(text, default_tz="Europe/London")
    assert result.problems == ()
    (a,) = result.activities
    assert a.tz == "Asia/Jerusalem"
    starts = [o.starts_at for o in expand(a, utc(2026, 3, 1), utc(2026, 4, 1)).occurrences]
    # Israel moves its clocks on Friday 27 March: 09:00 is 07:00Z before, 06:00Z after.
    assert starts == [utc(2026, 3, d, 7) for d in (2, 9, 16, 23)] + [utc(2026, 3, 30, 6)]
    assert any("VTIMEZONE has the offsets of 'Asia/Jerusalem'" in str(m) for m in result.mapped)


@pytest.mark.parametrize(
    ("name", "iana", "instant"),
    [
        ("Israel Standard Time", "Asia/Jerusalem", utc(2026, 7, 1, 6)),
        ("Eastern Standard Time", "America/New_York", utc(2026, 7, 1, 13)),
        ("GMT Standard Time", "Europe/London", utc(2026, 7, 1, 8)),
    ],
)
def test_windows_zone_names_are_read_as_their_iana_zones(
    name: str, iana: str, instant: datetime
) -> None:
    text = calendar(f"UID:w\nDTSTART;TZID={name}:20260701T090000\nSUMMARY:x")
    (a,) = read(text).activities
    assert (a.tz, a.start.astimezone(UTC)) == (iana, instant)


def test_a_month_view_shows_an_imported_custom_zone_series_at_its_instants() -> None:
    d = Deployment.open()
    text = calendar(
        "UID:c2\nDTSTART;TZID=Customized Time Zone:20260302T090000\n"
        "DTEND;TZID=Customized Time Zone:20260302T100000\nRRULE:FREQ=WEEKLY;COUNT=5\nSUMMARY:x",
        extra=CUSTOM_ZONE,
    )
    assert d.s.calendar.import_ics(text).problems == ()
    starts = [
        e.starts_at
        for day in d.s.calendar.month(d.s.user_id, 2026, 3).days
        for e in day.entries
        if isinstance(e, Occurrence)
    ]
    assert starts == [utc(2026, 3, d, 7) for d in (2, 9, 16, 23)] + [utc(2026, 3, 30, 6)]


def test_two_files_with_one_custom_zone_name_and_different_rules_each_keep_their_own() -> None:
    # icalendar keeps a VTIMEZONE's zone under its TZID for the whole process.
    new_york = (
        CUSTOM_ZONE.replace("+0300", "-0400")
        .replace("+0200", "-0500")
        .replace("-1SU;BYMONTH=10", "1SU;BYMONTH=11")
        .replace("-1FR;BYMONTH=3", "2SU;BYMONTH=3")
    )
    event = (
        "UID:c3\nDTSTART;TZID=Customized Time Zone:20260701T090000\n"
        "DTEND;TZID=Customized Time Zone:20260701T100000\nSUMMARY:x"
    )
    (israel,) = read(calendar(event, extra=CUSTOM_ZONE)).activities
    (america,) = read(calendar(event, extra=new_york)).activities
    assert (israel.tz, israel.start.astimezone(UTC)) == ("Asia/Jerusalem", utc(2026, 7, 1, 6))
    assert (america.tz, america.start.astimezone(UTC)) == ("America/New_York", utc(2026, 7, 1, 13))


def test_a_zone_name_that_is_a_directory_of_the_zone_database_is_a_problem_not_a_crash() -> None:
    d = Deployment.open()
    text = calendar(
        GOOD,
        "UID:z1\nDTSTART;TZID=Asia:20260302T090000\nSUMMARY:Dir",
        "UID:z2\nDTSTART:20260302T090000Z\nX-LEADCORE-TZ:Asia\nSUMMARY:Own tz",
        extra="BEGIN:VTIMEZONE\nTZID:Asia\nBEGIN:STANDARD\nDTSTART:16010101T000000\n"
        "TZOFFSETFROM:+0200\nTZOFFSETTO:+0200\nEND:STANDARD\nEND:VTIMEZONE\n",
    )
    result = d.s.calendar.import_ics(text)
    assert sorted(a.title for a in result.created) == ["Dir", "Good", "Own tz"]
    with pytest.raises(ValidationError, match="default_tz: 'Asia'"):
        d.s.calendar.import_ics(text, default_tz="Asia")
