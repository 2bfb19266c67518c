"""Through the facade, no user ever receives details of an activity they may not see.

Hypothesis draws an organisation's calendar: activities of four users, public
or private, single or weekly with an edited occurrence, linked to a lead; the
calendars shared with everyone or with teams (groups). Every title, note,
location and edited title carries a unique marker. For each user, every view,
timeline, search page, report and export is checked against an independent
rule of who may see what: the markers and ids of the activities a user may
not see never appear, and search returns exactly those they may see.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import attrs
from hypothesis import given, settings
from hypothesis import strategies as st

from leadcore import Leadcore
from leadcore.calendar import Activity, CalendarSettings, OccurrenceOverride, Recurrence, expand
from leadcore.clock import ManualClock
from leadcore.core import Session
from leadcore.ids import SequentialIds

ZONE = ZoneInfo("Asia/Jerusalem")
ROLES = {
    "dana": "account_manager",
    "maya": "sales_manager",
    "avi": "salesperson",
    "noa": "salesperson",
}
SEES_OTHERS = {"dana", "maya"}
MONTH_START = datetime(2026, 3, 1, tzinfo=ZONE)
MONTH_END = datetime(2026, 4, 1, tzinfo=ZONE)


@attrs.frozen
class Plan:
    """One activity to schedule, by user names."""

    responsible: str
    others: tuple[str, ...]
    private: bool
    day: int
    hour: int
    weekly: bool
    edited: bool
    with_lead: bool


@attrs.frozen
class Calendar:
    plans: tuple[Plan, ...]
    team_only: bool
    team: frozenset[str]


@st.composite
def calendars(draw: st.DrawFn) -> Calendar:
    names = sorted(ROLES)
    plans = []
    for _ in range(draw(st.integers(1, 6))):
        responsible = draw(st.sampled_from(names))
        others = draw(
            st.lists(
                st.sampled_from([n for n in names if n != responsible]), max_size=2, unique=True
            )
        )
        weekly = draw(st.booleans())
        plans.append(
            Plan(
                responsible,
                tuple(others),
                draw(st.booleans()),
                draw(st.integers(1, 20)),
                draw(st.integers(7, 20)),
                weekly,
                weekly and draw(st.booleans()),
                draw(st.booleans()),
            )
        )
    team = frozenset(draw(st.lists(st.sampled_from(names), max_size=3, unique=True)))
    return Calendar(tuple(plans), draw(st.booleans()), team)


def may_see(viewer: str, plan: Plan, cal: Calendar) -> bool:
    """Who may see what, written out independently of the service."""
    participants = {plan.responsible, *plan.others}
    if viewer in participants:
        return True
    if plan.private or viewer not in SEES_OTHERS:
        return False
    if not cal.team_only:
        return True
    return viewer in cal.team and bool(participants & cal.team)


def markers(i: int) -> list[str]:
    return [f"T{i}Z", f"N{i}Z", f"L{i}Z", f"E{i}Z"]


@attrs.define
class World:
    core: Leadcore
    sessions: dict[str, Session]
    lead_id: str
    ids: list[str]


def build(cal: Calendar) -> World:
    core = Leadcore.open(clock=ManualClock(datetime(2026, 3, 1, tzinfo=UTC)), ids=SequentialIds())
    _, dana = core.create_organization("Agency", admin_name="dana", timezone="Asia/Jerusalem")
    admin = core.session(dana.id)
    sessions = {"dana": admin}
    for name in ("maya", "avi", "noa"):
        sessions[name] = core.session(admin.users.create(name, ROLES[name]).id)
    user_id = {name: s.user_id for name, s in sessions.items()}
    if cal.team_only:
        admin.calendar.set_settings(CalendarSettings(shared_calendars="team"))
    if cal.team:
        admin.users.create_group("Team", [user_id[n] for n in sorted(cal.team)])
    lead_id = admin.leads.create("Lead").id
    ids = []
    for i, plan in enumerate(cal.plans):
        title, notes, location, edit = markers(i)
        start = datetime(2026, 3, plan.day, plan.hour, tzinfo=ZONE)
        recurrence = None
        if plan.weekly:
            overrides = [OccurrenceOverride(start + timedelta(weeks=1), title=edit)] * plan.edited
            recurrence = Recurrence("FREQ=WEEKLY;COUNT=3", overrides=overrides)
        booked = sessions[plan.responsible].calendar.create(
            title,
            notes=notes,
            location=location,
            start=start,
            end=start + timedelta(hours=1),
            user_ids=[user_id[n] for n in plan.others],
            privacy="private" if plan.private else "public",
            client=lead_id if plan.with_lead else None,
            recurrence=recurrence,
        )
        ids.append(booked.activity.id)
    return World(core, sessions, lead_id, ids)


def everything_shown_to(s: Session, w: World) -> tuple[str, set[str], int]:
    """Every view, timeline, search page, report and export, as text; what search found."""
    users = [x.user_id for x in w.sessions.values()]
    texts = []
    for day in (2, 9, 16, 23):
        texts.append(repr(s.calendar.day(users, date(2026, 3, day))))
        texts.append(repr(s.calendar.week(users, date(2026, 3, day))))
    texts.append(repr(s.calendar.month(users, 2026, 3)))
    texts.append(repr(s.calendar.client_timeline(w.lead_id, start=MONTH_START, end=MONTH_END)))
    found: set[str] = set()
    after = None
    while True:
        page = s.calendar.search(limit=2, after=after)
        texts.append(repr(page))
        found.update(a.id for a in page.items)
        if page.next is None:
            break
        after = page.next
    report = s.calendar.report(MONTH_START, MONTH_END, by="participant")
    texts.append(repr(report))
    for user in users:
        texts.append(s.calendar.export_ics(user_id=user))
    texts.append(s.calendar.export_ics(client=w.lead_id))
    return "\n".join(texts), found, report.total


def occurrences_in_march(activities: list[Activity]) -> int:
    return sum(len(expand(a, MONTH_START, MONTH_END).occurrences) for a in activities)


@settings(max_examples=25)
@given(calendars())
def test_no_user_ever_receives_details_of_an_activity_they_may_not_see(cal: Calendar) -> None:
    w = build(cal)
    for viewer, s in w.sessions.items():
        shown, found, counted = everything_shown_to(s, w)
        visible = {w.ids[i] for i, plan in enumerate(cal.plans) if may_see(viewer, plan, cal)}
        assert found == visible, viewer
        for i, plan in enumerate(cal.plans):
            if may_see(viewer, plan, cal):
                continue
            for marker in markers(i):
                assert marker not in shown, (viewer, marker)
            assert re.search(rf"\b{re.escape(w.ids[i])}\b", shown) is None, (viewer, w.ids[i])
        with w.core.storage.unit_of_work() as uow:
            org = s.organization_id
            seen = [a for a in uow.calendar.activities_between(org, None, None) if a.id in visible]
        assert counted == occurrences_in_march(seen), viewer
