"""Files as Google Calendar and Outlook write them import at the exact instants they mean.

``tests/fixtures/ics/google.ics``: IANA zones with their VTIMEZONE blocks, a
weekly series with an EXDATE list, a moved and a cancelled occurrence
(RECURRENCE-ID, STATUS:CANCELLED), an all-day event, Hebrew texts, folded
lines, ``X-GOOGLE-*`` properties, times in UTC and in the skipped hour.

``tests/fixtures/ics/outlook.ics``: Windows zone names, a zone defined only
by its VTIMEZONE (``Customized Time Zone``), quoted TZIDs, an EXDATE list and
a moved occurrence across the night the clocks go back, ``X-MICROSOFT-*``
properties, and an organizer nobody in the organisation has.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import attrs
import pytest

from leadcore import Leadcore
from leadcore.calendar import Activity, expand
from leadcore.clock import ManualClock
from leadcore.core import Session
from leadcore.ids import SequentialIds

pytest.importorskip("icalendar")

FIXTURES = Path(__file__).parent.parent / "fixtures" / "ics"
NOW = datetime(2026, 3, 1, 6, tzinfo=UTC)


def utc(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


@attrs.define
class Office:
    s: Session
    dana: str
    avi: str


@pytest.fixture
def office() -> Office:
    core = Leadcore.open(clock=ManualClock(NOW), ids=SequentialIds())
    _, dana = core.create_organization(
        "Agency", admin_name="Dana", admin_email="dana@example.com", timezone="Asia/Jerusalem"
    )
    s = core.session(dana.id)
    avi = s.users.create("Avi", "salesperson", email="avi@example.com")
    return Office(s, dana.id, avi.id)


def occurrences(a: Activity) -> list[tuple[Any, Any, str, bool]]:
    """Each occurrence in 2026: start and end as instants (dates for all-day), title, cancelled."""
    found = expand(a, date(2026, 1, 1), date(2027, 1, 1)).occurrences
    return [
        (
            o.starts_at if not o.all_day else o.start,
            o.ends_at if not o.all_day else o.end,
            o.title,
            o.override is not None and o.override.cancelled,
        )
        for o in found
    ]


def by_title(activities: tuple[Activity, ...]) -> dict[str, Activity]:
    return {a.title: a for a in activities}


def test_a_google_calendar_export_imports_at_its_instants(office: Office) -> None:
    result = office.s.calendar.import_ics((FIXTURES / "google.ics").read_bytes())
    assert result.problems == ()
    got = by_title(result.created)
    weekly = got["פגישת צוות שבועית"]
    assert (weekly.tz, weekly.responsible_user_id, weekly.user_ids) == (
        "Asia/Jerusalem",
        office.dana,
        (office.avi,),
    )
    assert weekly.ical_uid == "3k8f9a0b1c2d3e4f5g6h7i8j9k@google.com"
    assert weekly.location == "חדר ישיבות 2, תל אביב"
    # A folded line, unfolded: the description ends with the link, whole.
    assert weekly.notes.endswith("https://meet.google.com/abc-defg-hij")
    assert weekly.notes.startswith("סקירה שבועית של הלידים החדשים, ")
    # 9 and 16 March are excluded, 23 March moved to 11:00, 30 March cancelled (after
    # Israel's clocks went forward on 27 March), and UNTIL ends the series before 6 April.
    assert [(s, e, t) for s, e, t, cancelled in occurrences(weekly) if not cancelled] == [
        (utc(3, 2, 7), utc(3, 2, 7, 30), "פגישת צוות שבועית"),
        (utc(3, 23, 9), utc(3, 23, 9, 30), "פגישת צוות שבועית (הוזזה)"),
    ]
    assert weekly.recurrence is not None
    (cancelled,) = [o for o in weekly.recurrence.overrides if o.cancelled]
    assert cancelled.original_start == datetime.fromisoformat("2026-03-30T09:00+03:00")
    assert occurrences(got["ערב פסח"]) == [(date(2026, 4, 2), date(2026, 4, 3), "ערב פסח", False)]
    # 00:30 GMT to 02:30 BST on the night London skips 01:00-02:00: one hour.
    london = got["London night support (clocks go forward)"]
    assert (london.tz, london.responsible_user_id) == ("Europe/London", office.avi)
    assert occurrences(london) == [(utc(3, 29, 0, 30), utc(3, 29, 1, 30), london.title, False)]
    shift = got["העברת משמרת לילה"]
    assert occurrences(shift) == [(utc(10, 24, 22, 30), utc(10, 25, 0), shift.title, False)]


def test_an_outlook_export_imports_at_its_instants(office: Office) -> None:
    result = office.s.calendar.import_ics((FIXTURES / "outlook.ics").read_bytes())
    assert result.problems == ()
    got = by_title(result.created)
    sales = got["שיחת מכירה שבועית"]
    assert (sales.tz, sales.responsible_user_id, sales.user_ids) == (
        "Asia/Jerusalem",
        office.avi,
        (office.dana,),
    )
    assert sales.reminders == (timedelta(minutes=15),)
    # Sundays at 10:00 from 4 October, six times: 11 and 18 October excluded, 25 October
    # (the clocks went back at 02:00 that night) moved to 12:00 at the client's.
    assert [(s, e, t) for s, e, t, _ in occurrences(sales)] == [
        (utc(10, 4, 7), utc(10, 4, 8), "שיחת מכירה שבועית"),
        (utc(10, 25, 10), utc(10, 25, 11), "שיחת מכירה שבועית (אצל הלקוח)"),
        (utc(11, 1, 8), utc(11, 1, 9), "שיחת מכירה שבועית"),
        (utc(11, 8, 8), utc(11, 8, 9), "שיחת מכירה שבועית"),
    ]
    # "Customized Time Zone" has New York's rules; 01:30 on 1 November is read as the
    # first run (RFC 5545 section 3.3.5), 05:30Z; 03:00 is after the change, 08:00Z.
    night = got["Night release window (clocks go back)"]
    assert night.tz == "America/New_York"
    assert night.privacy == "private"
    assert occurrences(night) == [(utc(11, 1, 5, 30), utc(11, 1, 8), night.title, False)]
    # "GMT Standard Time": 00:30 BST to 02:00 GMT on the night London's clocks go back.
    london = got["London partner call"]
    assert london.tz == "Europe/London"
    assert occurrences(london) == [(utc(10, 24, 23, 30), utc(10, 25, 2), london.title, False)]
    # Nobody here is partner@elsewhere.example: the importing user is responsible.
    assert london.responsible_user_id == office.dana
    assert f"responsible_user_id '{office.dana}' from the importing user" in result.mapped[-1]
    assert any("Customized Time Zone" in m and "America/New_York" in m for m in result.mapped)


@pytest.mark.parametrize("fixture", ["google.ics", "outlook.ics"])
def test_importing_a_fixture_twice_changes_nothing(office: Office, fixture: str) -> None:
    data = (FIXTURES / fixture).read_bytes()
    first = office.s.calendar.import_ics(data)
    again = office.s.calendar.import_ics(data)
    assert (again.created, again.updated, again.problems) == ((), (), ())
    assert sorted(again.unchanged) == sorted(a.id for a in first.created)


@pytest.mark.parametrize("fixture", ["google.ics", "outlook.ics"])
def test_a_fixture_exported_and_imported_elsewhere_keeps_its_instants(
    office: Office, fixture: str
) -> None:
    first = office.s.calendar.import_ics((FIXTURES / fixture).read_bytes())
    exported = office.s.calendar.export_ics(user_id=office.dana)
    core = Leadcore.open(clock=ManualClock(NOW), ids=SequentialIds())
    _, noa = core.create_organization(
        "Elsewhere", admin_name="Noa", admin_email="noa@example.com", timezone="UTC"
    )
    again = core.session(noa.id).calendar.import_ics(exported)
    assert again.problems == ()
    mine = sorted(
        (
            (o[0], o[1], o[2])
            for a in first.created
            for o in occurrences(a)
            if office.dana in a.participant_ids
        ),
        key=str,
    )
    theirs = sorted(((o[0], o[1], o[2]) for a in again.created for o in occurrences(a)), key=str)
    assert theirs == mine
