"""The calendar through the facade: types, statuses, settings, scheduling and every change.

Each test acts as users of one organisation (Asia/Jerusalem) on a manual clock:
Dana the account manager (may do everything), Maya a sales manager (sees
others' calendars, manages the calendar) and Avi a salesperson (sees only his
own calendar).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import attrs
import pytest

from leadcore import Leadcore
from leadcore.calendar import (
    DEFAULT_STATUSES,
    DEFAULT_TYPES,
    ActivityStatus,
    ActivityType,
    CalendarSettings,
    ClientRef,
    ConflictPolicy,
    Occurrence,
    Recurrence,
    ScheduleConflict,
    StatusMeaning,
    WorkingHours,
)
from leadcore.clock import ManualClock
from leadcore.core import Session
from leadcore.errors import ConflictError, Forbidden, NotFound, ValidationError
from leadcore.events import (
    ActivityCancelled,
    ActivityRescheduled,
    ActivityScheduled,
    ActivityStatusChanged,
    ActivityUpdated,
    CalendarSettingsChanged,
    Event,
)
from leadcore.ids import SequentialIds

TZ = "Asia/Jerusalem"
ZONE = ZoneInfo(TZ)
NOW = datetime(2026, 3, 1, 6, 0, tzinfo=UTC)


def at(day: int, hour: int, minute: int = 0, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=ZONE)


@attrs.define
class World:
    core: Leadcore
    s: Session
    maya: Session
    avi: Session
    org: str
    lead_id: str
    account_id: str
    contact_id: str
    mark: int = 0

    def events(self) -> list[Event]:
        """Events recorded since the last call."""
        found = list(self.core.events.read(self.org, after=self.mark))
        if found:
            self.mark = found[-1].position
        return [e.event for e in found]


@pytest.fixture
def w() -> World:
    core = Leadcore.open(clock=ManualClock(NOW), ids=SequentialIds())
    org, dana = core.create_organization("Agency", admin_name="Dana", timezone=TZ)
    s = core.session(dana.id)
    maya = core.session(s.users.create("Maya", "sales_manager").id)
    avi = core.session(s.users.create("Avi", "salesperson").id)
    lead = s.leads.create("Yossi Cohen", phones=["+972505551234"])
    buyer = s.leads.create("Acme buyer")
    conversion = s.leads.convert(buyer.id, account_name="Acme")
    world = World(core, s, maya, avi, org.id, lead.id, conversion.account_id, conversion.contact_id)
    world.events()
    return world


def meeting(s: Session, title: str = "Meeting", **kw: object) -> str:
    kw.setdefault("start", at(2, 10))
    kw.setdefault("end", at(2, 11))
    return s.calendar.create(title, **kw).activity.id  # type: ignore[arg-type]


# -- types, statuses and settings ------------------------------------------------------------


def test_an_organisation_starts_with_the_default_types_and_statuses(w: World) -> None:
    assert [t.id for t in w.s.calendar.types()] == [
        "sales_meeting",
        "kickoff",
        "internal_meeting",
        "online_presentation",
    ]
    assert [(s.id, s.meaning) for s in w.avi.calendar.statuses()] == [
        ("scheduled", StatusMeaning.OPEN),
        ("postponed", StatusMeaning.OPEN),
        ("done", StatusMeaning.DONE),
        ("succeeded", StatusMeaning.SUCCEEDED),
        ("cancelled", StatusMeaning.CANCELLED),
    ]
    assert w.s.calendar.settings() == CalendarSettings()


def test_defaults_are_stored_on_first_use_so_they_stay_the_organisations_own(w: World) -> None:
    with w.core.storage.unit_of_work() as uow:
        assert uow.calendar.types(w.org) is None
    meeting(w.s)
    with w.core.storage.unit_of_work() as uow:
        assert tuple(uow.calendar.types(w.org) or ()) == DEFAULT_TYPES
        assert tuple(uow.calendar.statuses(w.org) or ()) == DEFAULT_STATUSES


def test_a_manager_adds_changes_and_removes_types_and_statuses(w: World) -> None:
    w.maya.calendar.save_type(ActivityType("demo", "Product demo", next_type_id="kickoff"))
    w.maya.calendar.save_type(ActivityType("kickoff", "Kick-off"))
    types = w.s.calendar.types()
    assert [t.id for t in types][-1] == "demo"
    assert next(t for t in types if t.id == "kickoff").name == "Kick-off"
    w.maya.calendar.save_status(ActivityStatus("no_show", "No show", "cancelled"))
    assert w.s.calendar.statuses()[-1].meaning is StatusMeaning.CANCELLED
    w.maya.calendar.remove_status("no_show")
    w.maya.calendar.remove_type("demo")
    assert "demo" not in [t.id for t in w.s.calendar.types()]
    assert [type(e) for e in w.events()] == [CalendarSettingsChanged] * 5


def test_types_and_statuses_in_use_cannot_be_removed(w: World) -> None:
    activity_id = meeting(w.s, type_id="kickoff")
    w.s.calendar.change_status(activity_id, "postponed")
    with pytest.raises(ValidationError, match="activities have this type"):
        w.s.calendar.remove_type("kickoff")
    with pytest.raises(ValidationError, match="have this status"):
        w.s.calendar.remove_status("postponed")


def test_the_catalogue_keeps_its_rules(w: World) -> None:
    with pytest.raises(ValidationError, match="next_type_id") as err:
        w.s.calendar.save_type(ActivityType("demo", "Demo", next_type_id="nothing"))
    assert err.value.problems == ("types[4].next_type_id: 'nothing' is not an activity type",)
    w.s.calendar.remove_status("scheduled")
    with pytest.raises(ValidationError, match="at least one open status"):
        w.s.calendar.remove_status("postponed")
    with pytest.raises(NotFound):
        w.s.calendar.remove_type("nothing")


def test_managing_the_calendar_needs_its_permission(w: World) -> None:
    with pytest.raises(Forbidden, match="manage_calendar"):
        w.avi.calendar.save_type(ActivityType("demo", "Demo"))
    with pytest.raises(Forbidden, match="manage_calendar"):
        w.avi.calendar.set_settings(CalendarSettings(conflicts="reject"))


def test_settings_are_checked_and_changes_recorded(w: World) -> None:
    hours = WorkingHours.weekly("Europe/London")
    settings = CalendarSettings(conflicts="reject", working_hours={w.avi.user_id: hours})
    assert w.s.calendar.set_settings(settings) == w.avi.calendar.settings()
    (event,) = w.events()
    assert isinstance(event, CalendarSettingsChanged)
    assert event.fields == ("conflicts", "working_hours")
    w.s.calendar.set_settings(settings)
    assert w.events() == []
    with pytest.raises(ValidationError) as err:
        w.s.calendar.set_settings(
            CalendarSettings(default_hours=[(9, time(9), time(8))], first_weekday=7)
        )
    assert len(err.value.problems) == 3
    with pytest.raises(ValidationError, match="conflicts: 'sometimes'"):
        CalendarSettings(conflicts="sometimes")
    with pytest.raises(NotFound):
        w.s.calendar.set_settings(CalendarSettings(working_hours={"user-99": hours}))


# -- scheduling ------------------------------------------------------------------------------


def test_schedule_fills_in_the_defaults_and_records_the_event(w: World) -> None:
    booking = w.avi.calendar.create("Call Yossi", start=at(2, 10), end=at(2, 10, 30))
    a = booking.activity
    assert (a.type_id, a.status_id, a.responsible_user_id, a.tz) == (
        "sales_meeting",
        "scheduled",
        w.avi.user_id,
        TZ,
    )
    assert booking.conflicts == ()
    (event,) = w.events()
    assert isinstance(event, ActivityScheduled)
    assert event.actor_id == w.avi.user_id
    assert (event.activity_id, event.start, event.end, event.source) == (
        a.id,
        datetime(2026, 3, 2, 8, 0, tzinfo=UTC),
        datetime(2026, 3, 2, 8, 30, tzinfo=UTC),
        "schedule",
    )
    assert w.avi.calendar.get(a.id) == a


def test_the_zone_comes_from_start_then_the_responsible_user_then_the_organisation(
    w: World,
) -> None:
    london = w.s.users.create("Lou", "salesperson", timezone="Europe/London")
    london_time = ZoneInfo("Europe/London")
    named = w.s.calendar.create(
        "London call",
        start=datetime(2026, 3, 2, 9, tzinfo=london_time),
        end=datetime(2026, 3, 2, 10, tzinfo=london_time),
    )
    assert named.activity.tz == "Europe/London"
    # A bare UTC offset names no zone to repeat in: the responsible user's zone is taken.
    offset = w.s.calendar.create(
        "UTC call",
        start=datetime(2026, 3, 2, 9, tzinfo=UTC),
        end=datetime(2026, 3, 2, 10, tzinfo=UTC),
    )
    assert offset.activity.tz == TZ
    assert offset.activity.start == at(2, 11)
    whole_day = w.s.calendar.create(
        "Trade fair", start=date(2026, 3, 3), end=date(2026, 3, 5), responsible_user_id=london.id
    )
    assert whole_day.activity.tz == "Europe/London"
    assert (
        w.s.calendar.create("Offsite", start=date(2026, 3, 3), end=date(2026, 3, 4)).activity.tz
        == TZ
    )


def test_an_activity_links_users_a_client_its_contact_and_more_clients(w: World) -> None:
    a = w.s.calendar.create(
        "Kickoff",
        start=at(2, 10),
        end=at(2, 11),
        type_id="kickoff",
        responsible_user_id=w.maya.user_id,
        user_ids=[w.avi.user_id],
        client=w.account_id,
        contact_id=w.contact_id,
        more_clients=[f"lead:{w.lead_id}", ClientRef("contact", w.contact_id)],
        location="Tel Aviv",
        reminders=[timedelta(minutes=15)],
    ).activity
    assert a.client == ClientRef("account", w.account_id)
    assert a.more_clients == (ClientRef("lead", w.lead_id), ClientRef("contact", w.contact_id))
    assert a.participant_ids == (w.maya.user_id, w.avi.user_id)


def test_a_repeating_activity_is_stored_once(w: World) -> None:
    a = w.s.calendar.create(
        "Stand-up", start=at(1, 9), end=at(1, 9, 15), recurrence="FREQ=DAILY"
    ).activity
    with w.core.storage.unit_of_work() as uow:
        stored = uow.calendar.activities_between(w.org, None, None)
    assert [x.id for x in stored] == [a.id]
    march = w.s.calendar.month(w.s.user_id, 2026, 3)
    assert sum(1 for d in march.days for e in d.entries if isinstance(e, Occurrence)) == 31


def test_conflicts_of_every_participant_are_reported(w: World) -> None:
    meeting(w.s, "Dana's", user_ids=[w.maya.user_id])
    meeting(w.avi, "Avi's", start=at(2, 10, 30), end=at(2, 11, 30))
    booking = w.s.calendar.create(
        "All hands",
        start=at(2, 10, 45),
        end=at(2, 11, 15),
        user_ids=[w.maya.user_id, w.avi.user_id],
    )
    clashes = sorted((c.user_id, c.other.start) for c in booking.conflicts)
    assert clashes == [
        (w.s.user_id, at(2, 10)),
        (w.maya.user_id, at(2, 10)),
        (w.avi.user_id, at(2, 10, 30)),
    ]
    assert w.events()[-1].conflicts == 3  # type: ignore[attr-defined]


def test_the_reject_setting_refuses_a_conflict_and_writes_nothing(w: World) -> None:
    w.s.calendar.set_settings(CalendarSettings(conflicts=ConflictPolicy.REJECT))
    meeting(w.avi, "Avi's")
    w.events()
    with pytest.raises(ScheduleConflict) as err:
        meeting(w.s, "Clash", user_ids=[w.avi.user_id], start=at(2, 10, 30), end=at(2, 12))
    assert [c.user_id for c in err.value.conflicts] == [w.avi.user_id]
    assert err.value.problems[0].startswith("user 'Avi': the occurrence at")
    assert 'overlaps activity "Avi\'s"' in err.value.problems[0]
    assert w.avi.user_id not in str(err.value)
    assert isinstance(err.value, ValueError)
    assert w.events() == []
    assert len(w.s.calendar.search().items) == 1


def test_cancelled_activities_and_occurrences_never_conflict(w: World) -> None:
    w.s.calendar.set_settings(CalendarSettings(conflicts="reject"))
    first = meeting(w.s, "Old")
    w.s.calendar.cancel(first)
    series = w.s.calendar.create(
        "Weekly", start=at(3, 10), end=at(3, 11), recurrence="FREQ=WEEKLY;COUNT=3"
    ).activity.id
    w.s.calendar.cancel(series, occurrence=at(10, 10))
    meeting(w.s, "New", start=at(2, 10), end=at(2, 11))
    meeting(w.s, "Also new", start=at(10, 10), end=at(10, 11))


def test_a_conflict_seen_through_a_busy_block_tells_no_details(w: World) -> None:
    private = meeting(w.s, "Secret", privacy="private")
    booking = w.avi.calendar.create(
        "Avi books Dana", start=at(2, 10), end=at(2, 11), user_ids=[w.s.user_id]
    )
    (clash,) = booking.conflicts
    assert not isinstance(clash.other, Occurrence)
    assert private not in repr(booking)


# -- changing an activity --------------------------------------------------------------------


def test_update_changes_details_and_records_which(w: World) -> None:
    activity_id = meeting(w.s)
    booking = w.s.calendar.update(
        activity_id,
        title="  Renamed ",
        location="Haifa",
        user_ids=[w.avi.user_id],
        client=w.lead_id,
        expected_version=1,
    )
    a = booking.activity
    assert (a.title, a.location, a.user_ids, a.version) == ("Renamed", "Haifa", (w.avi.user_id,), 2)
    assert a.client == ClientRef("lead", w.lead_id)
    event = w.events()[-1]
    assert isinstance(event, ActivityUpdated)
    assert event.fields == ("title", "user_ids", "client", "location")
    w.s.calendar.update(activity_id, client=None)
    assert w.s.calendar.get(activity_id).client is None


def test_an_update_that_changes_nothing_writes_nothing(w: World) -> None:
    activity_id = meeting(w.s, "Same")
    w.events()
    booking = w.s.calendar.update(activity_id, title="Same", location="")
    assert booking.activity.version == 1
    assert w.events() == []


def test_a_stale_version_is_refused(w: World) -> None:
    activity_id = meeting(w.s)
    w.s.calendar.update(activity_id, title="Once")
    with pytest.raises(ConflictError, match="version 2, not 1"):
        w.s.calendar.update(activity_id, title="Twice", expected_version=1)


def test_one_occurrence_is_edited_on_its_own(w: World) -> None:
    series = w.s.calendar.create(
        "Review", start=at(1, 10), end=at(1, 11), recurrence="FREQ=WEEKLY;COUNT=4"
    ).activity.id
    w.s.calendar.update(series, title="Special review", occurrence=at(8, 10))
    titles = [e.title for d in w.s.calendar.month(w.s.user_id, 2026, 3).days for e in d.entries]  # type: ignore[union-attr]
    assert titles == ["Review", "Special review", "Review", "Review"]
    event = w.events()[-1]
    assert isinstance(event, ActivityUpdated)
    assert (event.fields, event.occurrence) == (("title",), at(8, 10).astimezone(UTC))
    with pytest.raises(ValidationError, match="only title, notes and location"):
        w.s.calendar.update(series, user_ids=[w.avi.user_id], occurrence=at(8, 10))
    with pytest.raises(ValidationError, match="not the original start"):
        w.s.calendar.update(series, title="x", occurrence=at(9, 10))
    single = meeting(w.s)
    with pytest.raises(ValidationError, match="does not repeat"):
        w.s.calendar.update(single, title="x", occurrence=at(2, 10))


def test_this_and_following_splits_the_series(w: World) -> None:
    series = w.s.calendar.create(
        "Review", start=at(1, 10), end=at(1, 11), recurrence="FREQ=WEEKLY;COUNT=4"
    ).activity.id
    booking = w.s.calendar.update(
        series, title="New review", user_ids=[w.avi.user_id], occurrence=at(15, 10), following=True
    )
    tail, head = booking.activity, booking.previous
    assert head is not None
    assert head.id == series
    assert tail.id != series
    assert tail.recurrence is not None
    assert tail.recurrence.rule == "FREQ=WEEKLY;COUNT=2"
    assert tail.start == at(15, 10)
    assert tail.user_ids == (w.avi.user_id,)
    days = w.s.calendar.month(w.s.user_id, 2026, 3).days
    seen = [(d.day.day, e.title) for d in days for e in d.entries]  # type: ignore[union-attr]
    assert seen == [(1, "Review"), (8, "Review"), (15, "New review"), (22, "New review")]
    event = w.events()[-1]
    assert isinstance(event, ActivityUpdated)
    assert (event.following, event.new_activity_id) == (True, tail.id)
    # From the first occurrence on, "this and following" is the whole series.
    whole = w.s.calendar.update(tail.id, notes="All of it", occurrence=at(15, 10), following=True)
    assert whole.previous is None
    assert whole.activity.id == tail.id


def test_reschedule_moves_a_whole_series_with_its_exclusions_and_edits(w: World) -> None:
    series = w.s.calendar.create(
        "Review",
        start=at(1, 10),
        end=at(1, 11),
        recurrence=Recurrence("FREQ=DAILY;COUNT=5", exdates=[at(2, 10)]),
    ).activity.id
    w.s.calendar.update(series, title="Third", occurrence=at(3, 10))
    moved = w.s.calendar.reschedule(series, at(1, 14)).activity
    assert moved.start == at(1, 14)
    assert moved.end == at(1, 15)
    assert moved.recurrence is not None
    assert moved.recurrence.exdates == (at(2, 14),)
    assert moved.recurrence.overrides[0].original_start == at(3, 14)
    event = w.events()[-1]
    assert isinstance(event, ActivityRescheduled)
    assert event.start == at(1, 14).astimezone(UTC)
    stopped = w.s.calendar.reschedule(series, at(1, 9), at(1, 12), recurrence=None).activity
    assert stopped.recurrence is None
    assert stopped.duration == timedelta(hours=3)


def test_reschedule_one_occurrence_or_it_and_the_following_ones(w: World) -> None:
    series = w.s.calendar.create(
        "Review", start=at(1, 10), end=at(1, 11), recurrence="FREQ=WEEKLY;COUNT=4"
    ).activity.id
    one = w.s.calendar.reschedule(series, at(9, 16), occurrence=at(8, 10)).activity
    assert one.recurrence is not None
    (override,) = one.recurrence.overrides
    assert (override.start, override.end) == (at(9, 16), None)
    event = w.events()[-1]
    assert isinstance(event, ActivityRescheduled)
    assert (event.start, event.end, event.occurrence) == (
        at(9, 16).astimezone(UTC),
        at(9, 17).astimezone(UTC),
        at(8, 10).astimezone(UTC),
    )
    split = w.s.calendar.reschedule(series, at(15, 12), occurrence=at(15, 10), following=True)
    starts = [
        e.start
        for d in w.s.calendar.month(w.s.user_id, 2026, 3).days
        for e in d.entries
        if isinstance(e, Occurrence)
    ]
    assert starts == [at(1, 10), at(9, 16), at(15, 12), at(22, 12)]
    assert split.previous is not None
    assert split.previous.id == series
    # Back to where the series put it: the edit is gone.
    back = w.s.calendar.reschedule(series, at(8, 10), occurrence=at(8, 10)).activity
    assert back.recurrence is not None
    assert back.recurrence.overrides == ()


def test_rescheduling_checks_the_conflicts_it_introduces(w: World) -> None:
    w.s.calendar.set_settings(CalendarSettings(conflicts="reject"))
    meeting(w.s, "Fixed", start=at(2, 14), end=at(2, 15))
    movable = meeting(w.s, "Movable")
    with pytest.raises(ScheduleConflict):
        w.s.calendar.reschedule(movable, at(2, 14, 30))
    assert w.s.calendar.get(movable).start == at(2, 10)


def test_set_status_of_the_activity_one_occurrence_or_the_following(w: World) -> None:
    activity_id = meeting(w.s, type_id="sales_meeting")
    done = w.s.calendar.change_status(activity_id, "succeeded")
    assert done.status_id == "succeeded"
    event = w.events()[-1]
    assert isinstance(event, ActivityStatusChanged)
    assert (event.from_status, event.to_status, event.meaning, event.next_type_id) == (
        "scheduled",
        "succeeded",
        "succeeded",
        "kickoff",
    )
    series = w.s.calendar.create(
        "Review", start=at(1, 10), end=at(1, 11), recurrence="FREQ=WEEKLY;COUNT=4"
    ).activity.id
    w.s.calendar.change_status(series, "done", occurrence=at(1, 10))
    tail = w.s.calendar.change_status(series, "postponed", occurrence=at(15, 10), following=True)
    statuses = [
        e.status_id
        for d in w.s.calendar.month(w.s.user_id, 2026, 3).days
        for e in d.entries
        if isinstance(e, Occurrence) and e.activity.title == "Review"
    ]
    assert statuses == ["done", "scheduled", "postponed", "postponed"]
    assert tail.id != series
    with pytest.raises(ValidationError, match="'nope' is not an activity status"):
        w.s.calendar.change_status(series, "nope")


def test_cancel_a_whole_activity_one_occurrence_or_the_rest_of_a_series(w: World) -> None:
    single = meeting(w.s)
    assert w.s.calendar.cancel(single).status_id == "cancelled"
    assert w.s.calendar.day([w.s.user_id], date(2026, 3, 2)).columns[0].entries == ()
    series = w.s.calendar.create(
        "Review", start=at(1, 10), end=at(1, 11), recurrence="FREQ=WEEKLY"
    ).activity.id
    w.s.calendar.cancel(series, occurrence=at(8, 10))
    shortened = w.s.calendar.cancel(series, occurrence=at(22, 10), following=True)
    assert shortened.recurrence is not None
    assert shortened.recurrence.rule == "FREQ=WEEKLY;UNTIL=20260322T075959Z"
    starts = [e.start for d in w.s.calendar.month(w.s.user_id, 2026, 3).days for e in d.entries]
    assert starts == [at(1, 10), at(15, 10)]
    events = [e for e in w.events() if isinstance(e, ActivityCancelled)]
    assert [(e.status_id, e.following) for e in events] == [
        ("cancelled", False),
        (None, False),
        (None, True),
    ]
    with pytest.raises(ValidationError, match="not a cancelled status"):
        w.s.calendar.cancel(series, status_id="done")


# -- who may change what ---------------------------------------------------------------------


def test_a_user_without_see_others_calendars_schedules_only_for_themselves(w: World) -> None:
    with pytest.raises(Forbidden, match="see_others_calendars"):
        w.avi.calendar.create(
            "For Dana", start=at(2, 10), end=at(2, 11), responsible_user_id=w.s.user_id
        )
    mine = w.avi.calendar.create(
        "With Dana", start=at(2, 10), end=at(2, 11), user_ids=[w.s.user_id]
    ).activity
    assert mine.responsible_user_id == w.avi.user_id
    with pytest.raises(Forbidden):
        w.avi.calendar.update(mine.id, responsible_user_id=w.s.user_id, user_ids=[])


def test_what_a_user_may_not_see_they_may_not_change_or_even_find(w: World) -> None:
    danas = meeting(w.s)
    for call in (
        lambda: w.avi.calendar.get(danas),
        lambda: w.avi.calendar.update(danas, title="Mine now"),
        lambda: w.avi.calendar.reschedule(danas, at(3, 10)),
        lambda: w.avi.calendar.change_status(danas, "done"),
        lambda: w.avi.calendar.cancel(danas),
        lambda: w.avi.calendar.export_ics(activity_id=danas),
    ):
        with pytest.raises(NotFound) as err:
            call()
        assert str(err.value) == f"activity {danas!r} not found"
    assert w.maya.calendar.update(danas, title="Maya sees all").activity.title == "Maya sees all"


def test_a_private_activity_is_for_its_participants_only(w: World) -> None:
    secret = meeting(w.avi, "Interview", privacy="private")
    with pytest.raises(NotFound):
        w.maya.calendar.get(secret)
    with pytest.raises(Forbidden):
        w.maya.calendar.create(
            "Private for Avi",
            start=at(2, 12),
            end=at(2, 13),
            responsible_user_id=w.avi.user_id,
            privacy="private",
        )


def test_a_team_setting_limits_others_calendars_to_groups(w: World) -> None:
    avis = meeting(w.avi, "Avi's")
    w.s.calendar.set_settings(CalendarSettings(shared_calendars="team"))
    with pytest.raises(NotFound):
        w.maya.calendar.get(avis)
    w.s.users.create_group("North", [w.maya.user_id, w.avi.user_id])
    assert w.maya.calendar.get(avis).title == "Avi's"


def test_another_organisations_activities_users_and_clients_are_answered_as_missing(
    w: World,
) -> None:
    _, other_admin = w.core.create_organization("Other", admin_name="Olga")
    other = w.core.session(other_admin.id)
    theirs = meeting(other, "Theirs")
    their_lead = other.leads.create("Their lead")
    with pytest.raises(NotFound, match="activity"):
        w.s.calendar.get(theirs)
    with pytest.raises(NotFound, match="user"):
        meeting(w.s, user_ids=[other_admin.id])
    with pytest.raises(NotFound, match="lead"):
        meeting(w.s, client=their_lead.id)
    with pytest.raises(NotFound, match="lead"):
        meeting(w.s, client=f"lead:{their_lead.id}")
    assert other.calendar.search().items[0].id == theirs
    assert w.s.calendar.search().items == ()


def test_every_change_records_one_event_and_a_failed_one_none(w: World) -> None:
    activity_id = meeting(w.s)
    w.s.calendar.update(activity_id, notes="n")
    w.s.calendar.reschedule(activity_id, at(3, 10))
    w.s.calendar.change_status(activity_id, "done")
    w.s.calendar.cancel(activity_id)
    assert [type(e) for e in w.events()] == [
        ActivityScheduled,
        ActivityUpdated,
        ActivityRescheduled,
        ActivityStatusChanged,
        ActivityCancelled,
    ]
    with pytest.raises(ValidationError):
        w.s.calendar.reschedule(activity_id, at(3, 10), at(3, 9))
    with pytest.raises(NotFound):
        w.s.calendar.update("activity-999", title="x")
    assert w.events() == []


def test_a_refused_clash_names_users_by_name_and_hides_what_the_user_may_not_see(
    w: World,
) -> None:
    w.s.calendar.set_settings(CalendarSettings(conflicts=ConflictPolicy.REJECT))
    meeting(w.maya, "Maya's secret plan")
    with pytest.raises(ScheduleConflict) as err:
        meeting(w.avi, "Clash", user_ids=[w.maya.user_id])
    (problem,) = err.value.problems
    assert problem.startswith("user 'Maya': the occurrence at")
    assert "overlaps a busy block" in problem
    assert "secret" not in str(err.value)
    assert w.maya.user_id not in str(err.value)
    assert [c.user_id for c in err.value.conflicts] == [w.maya.user_id]
