"""The calendar service end to end on every SQL backend, answer for answer as on MemoryStorage.

One script books activities (a recurring series with edited, moved and
cancelled occurrences, a series without end split in two, all-day and private
activities, a series across a change of summer time), reads every view as
three users who see different things (day, week, month with busy blocks,
client timelines, free slots, search pages, reports), exports and imports
iCalendar text, and makes the calls that must fail. It runs with the same
clock and ids on the memory adapter and on a SQL backend; every answer
(value, or the type and message of the error) must be equal (invariant 6).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import attrs
import pytest
from tests.integration.conftest import BACKENDS
from tests.integration.scripted import Answer, Asker, same_answers

from leadcore import Leadcore
from leadcore.calendar import (
    ActivityStatus,
    ActivityType,
    CalendarSettings,
    ClientRef,
    WorkingHours,
)
from leadcore.clock import ManualClock
from leadcore.core import Session
from leadcore.storage.sql import SqlStorage

TZ = "Asia/Jerusalem"
ZONE = ZoneInfo(TZ)
LONDON = ZoneInfo("Europe/London")
START = datetime(2026, 3, 1, 6, tzinfo=UTC)

FOREIGN_ICS = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//Elsewhere//EN
BEGIN:VEVENT
UID:outside-1@example.org
DTSTAMP:20260301T060000Z
DTSTART;TZID=Europe/London:20260305T140000
DTEND;TZID=Europe/London:20260305T150000
RRULE:FREQ=WEEKLY;COUNT=3
SUMMARY:Partner sync
END:VEVENT
BEGIN:VEVENT
UID:outside-2@example.org
DTSTAMP:20260301T060000Z
DTSTART:20260306
DTEND:20260307
SUMMARY:Trade fair
END:VEVENT
END:VCALENDAR
"""


def at(day: int, hour: int, minute: int = 0, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=ZONE)


def script(core: Leadcore, clock: ManualClock) -> list[Answer]:
    """Drive the calendar service; every answer, in order."""
    ask = Asker(clock)

    _, dana_user = core.create_organization("Agency", admin_name="Dana", timezone=TZ)
    dana = core.session(dana_user.id)
    maya = core.session(dana.users.create("Maya", "sales_manager").id)
    avi = core.session(dana.users.create("Avi", "salesperson", email="avi@example.org").id)
    lead = dana.leads.create("Yossi Cohen")
    conversion = dana.leads.convert(dana.leads.create("Acme buyer").id, account_name="Acme")
    lead_ref = ClientRef("lead", lead.id)
    account_ref = ClientRef("account", conversion.account_id)
    everyone = [dana.user_id, maya.user_id, avi.user_id]
    sessions = {"dana": dana, "maya": maya, "avi": avi}

    # -- the catalogue and the settings --------------------------------------------------------
    ask("types", lambda: dana.calendar.types())
    ask("save type", lambda: dana.calendar.save_type(ActivityType("demo", "Demo", "kickoff")))
    ask(
        "save status",
        lambda: dana.calendar.save_status(ActivityStatus("noshow", "No show", "open")),
    )
    settings = CalendarSettings(
        working_hours={avi.user_id: WorkingHours.weekly(TZ, days=(6, 0, 1, 2, 3))},
        default_hours=[(d, time(8), time(18)) for d in range(7)],
        first_weekday=6,
    )
    ask("configure", lambda: dana.calendar.set_settings(settings))
    ask("settings", lambda: maya.calendar.settings())

    # -- bookings ------------------------------------------------------------------------------
    weekly = ask(
        "weekly series",
        lambda: dana.calendar.create(
            "Standup",
            start=at(2, 9),
            end=at(2, 9, 30),
            user_ids=[avi.user_id],
            client=lead_ref,
            recurrence="FREQ=WEEKLY;BYDAY=MO,WE;COUNT=12",
            reminders=[timedelta(minutes=10)],
        ),
    ).activity
    daily = ask(
        "private daily series without end",
        lambda: dana.calendar.create(
            "Focus time",
            start=at(1, 14),
            end=at(1, 15),
            privacy="private",
            recurrence="FREQ=DAILY",
        ),
    ).activity
    ask(
        "all-day",
        lambda: dana.calendar.create("Offsite", start=date(2026, 3, 10), end=date(2026, 3, 12)),
    )
    ask(
        "avi's demo with a contact",
        lambda: avi.calendar.create(
            "Acme demo",
            start=at(4, 11),
            end=at(4, 12),
            type_id="demo",
            client=account_ref,
            contact_id=conversion.contact_id,
            more_clients=[lead_ref],
            location="Tel Aviv",
            notes="bring the contract",
        ),
    )
    ask(
        "private board meeting",
        lambda: dana.calendar.create(
            "Board", start=at(5, 16), end=at(5, 17), user_ids=[maya.user_id], privacy="private"
        ),
    )
    london = ask(
        "series across the change of summer time",
        lambda: maya.calendar.create(
            "London call",
            start=datetime(2026, 3, 20, 9, tzinfo=LONDON),
            end=datetime(2026, 3, 20, 10, tzinfo=LONDON),
            tz="Europe/London",
            user_ids=[dana.user_id],
            recurrence="FREQ=WEEKLY;COUNT=4",
        ),
    ).activity
    skipped = datetime(2026, 3, 29, 1, 0, tzinfo=LONDON)  # the clocks go from 01:00 to 02:00
    ask(
        "a booking in the hour the clocks skip",
        lambda: maya.calendar.create(
            "Early call", start=skipped, end=skipped + timedelta(hours=2), tz="Europe/London"
        ),
    )
    ask(
        "a clash (warned)",
        lambda: avi.calendar.create("Clash", start=at(2, 9, 15), end=at(2, 10)),
    )

    # -- edits of single occurrences, and of the following ones --------------------------------
    ask(
        "retitle one occurrence",
        lambda: dana.calendar.update(
            weekly.id, occurrence=at(4, 9), title="Standup (room 2)", location="Room 2"
        ),
    )
    ask(
        "move one occurrence",
        lambda: dana.calendar.reschedule(weekly.id, at(11, 10), occurrence=at(11, 9)),
    )
    ask("cancel one occurrence", lambda: dana.calendar.cancel(weekly.id, occurrence=at(16, 9)))
    ask(
        "one occurrence done",
        lambda: dana.calendar.change_status(weekly.id, "done", occurrence=at(2, 9)),
    )
    ask(
        "the following ones of the daily series",
        lambda: dana.calendar.update(
            daily.id, occurrence=at(15, 14), following=True, title="Deep work"
        ),
    )
    ask(
        "move the london series a day",
        lambda: maya.calendar.reschedule(
            london.id, datetime(2026, 3, 19, 9, tzinfo=LONDON), occurrence=None
        ),
    )
    ask("avi may not change dana's private series", lambda: avi.calendar.cancel(daily.id))
    ask("a stale version", lambda: dana.calendar.update(weekly.id, title="x", expected_version=1))
    ask("an unknown activity", lambda: dana.calendar.get("no-such-activity"))
    ask("the edited series", lambda: dana.calendar.get(weekly.id))
    clock.advance(timedelta(hours=1))

    # -- views, as three users who see different things ----------------------------------------
    def views(name: str, s: Session) -> None:
        ask(f"day as {name}", lambda: s.calendar.day(everyone, date(2026, 3, 4)))
        ask(
            f"day in London as {name}",
            lambda: s.calendar.day(everyone, date(2026, 3, 27), tz="Europe/London"),
        )
        ask(
            f"the night the clocks go forward as {name}",
            lambda: s.calendar.day(everyone, date(2026, 3, 29), tz="Europe/London"),
        )
        ask(f"week as {name}", lambda: s.calendar.week(everyone, date(2026, 3, 11)))
        ask(f"month as {name}", lambda: s.calendar.month(everyone, 2026, 3))
        ask(f"april as {name}", lambda: s.calendar.month(everyone, 2026, 4))
        ask(f"own month as {name}", lambda: s.calendar.month(s.user_id, 2026, 3))
        ask(f"timeline as {name}", lambda: s.calendar.client_timeline(lead_ref))
        ask(
            f"account timeline as {name}",
            lambda: s.calendar.client_timeline(f"account:{conversion.account_id}"),
        )
        ask(
            f"contact timeline as {name}",
            lambda: s.calendar.client_timeline(f"contact:{conversion.contact_id}"),
        )
        ask(f"search as {name}", lambda: s.calendar.search())
        ask(f"report as {name}", lambda: s.calendar.report(date(2026, 3, 1), date(2026, 4, 1)))

    for name, s in sessions.items():
        views(name, s)

    ask(
        "free slots",
        lambda: maya.calendar.free_slots(
            [dana.user_id, avi.user_id], timedelta(minutes=30), (at(2, 0), at(6, 0)), limit=40
        ),
    )
    ask(
        "free slots at any time, with a buffer",
        lambda: dana.calendar.free_slots(
            everyone,
            timedelta(hours=1),
            (at(9, 0), at(13, 0)),
            buffer=timedelta(minutes=15),
            working_hours=False,
        ),
    )
    ask("search by text", lambda: dana.calendar.search(text="standup"))
    ask("search by user", lambda: dana.calendar.search(user_ids=[avi.user_id]))
    ask("search by client", lambda: dana.calendar.search(clients=[lead_ref]))
    ask(
        "search by type, status and range",
        lambda: maya.calendar.search(
            type_ids=["sales_meeting", "demo"],
            status_ids=["scheduled"],
            start=date(2026, 3, 3),
            end=date(2026, 3, 20),
        ),
    )

    def page(number: int, after: str | None) -> str | None:
        found = ask(f"search page {number}", lambda: dana.calendar.search(limit=2, after=after))
        return found.next if found is not None else None

    cursor = page(0, None)
    for number in range(1, 6):
        if cursor is None:
            break
        cursor = page(number, cursor)
    ask(
        "report by participant",
        lambda: maya.calendar.report(
            at(1, 0), at(1, 0, month=5), user_ids=[dana.user_id, avi.user_id], by="participant"
        ),
    )

    # -- iCalendar -----------------------------------------------------------------------------
    exported = ask(
        "export dana's calendar as avi",
        lambda: avi.calendar.export_ics(
            user_id=dana.user_id, start=at(1, 0), end=at(1, 0, month=4)
        ),
    )
    ask("export a client's timeline", lambda: dana.calendar.export_ics(client=lead_ref))
    ask("export one series", lambda: dana.calendar.export_ics(activity_id=weekly.id))
    own = ask("export dana's own calendar", lambda: dana.calendar.export_ics())
    ask("import it back: unchanged", lambda: dana.calendar.import_ics(own))
    ask("import busy time as avi", lambda: avi.calendar.import_ics(exported))
    ask("import a foreign file", lambda: avi.calendar.import_ics(FOREIGN_ICS, default_tz=TZ))
    ask("avi's month after the import", lambda: avi.calendar.month(avi.user_id, 2026, 3))

    # -- the catalogue again: what is in use stays ---------------------------------------------
    ask("remove a type in use", lambda: dana.calendar.remove_type("demo"))
    ask("remove a status used by one occurrence", lambda: dana.calendar.remove_status("done"))
    ask("remove an unused status", lambda: dana.calendar.remove_status("noshow"))
    ask("remove an unused type", lambda: dana.calendar.remove_type("online_presentation"))
    ask("statuses", lambda: dana.calendar.statuses())
    ask(
        "reject clashes",
        lambda: dana.calendar.set_settings(attrs.evolve(settings, conflicts="reject")),
    )
    ask(
        "a rejected clash",
        lambda: avi.calendar.create("Clash again", start=at(4, 9), end=at(4, 10)),
    )
    return ask.answers


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_calendar_service_answers_on_sql_as_on_memory(
    backend: str, make_storage: Callable[[str], SqlStorage]
) -> None:
    expected = same_answers(script, make_storage(backend), START)
    # The script reaches what it means to: views with busy blocks, failures, imports.
    errors = {a.step for a in expected if a.error is not None}
    assert errors == {
        "avi may not change dana's private series",
        "a stale version",
        "an unknown activity",
        "remove a type in use",
        "remove a status used by one occurrence",
        "a rejected clash",
    }
