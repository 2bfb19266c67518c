"""A small organisation and the calls that give it out-of-bounds numbers, dates and time zones.

Shared by ``tests/integration/test_input_bounds.py`` (memory, SQLite) and
``tests/integration/test_sql_input_bounds.py`` (every SQL backend): each
:data:`CASES` entry is one public call with one bad value; it must raise
:class:`~leadcore.errors.ValidationError` naming :attr:`Case.names`, write
nothing, and answer the same on every storage.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import attrs

from leadcore import Leadcore, Session
from leadcore.calendar import CalendarSettings
from leadcore.clock import ManualClock
from leadcore.dispatch import Pool, PoolKind, ProjectRules
from leadcore.errors import ValidationError
from leadcore.forwarding import Caps, PartnerTerms, RoutingRule, Target
from leadcore.ids import SequentialIds
from leadcore.leads import LeadSettings, TaskDraft
from leadcore.storage.protocols import Storage

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
HOT = Pool("hot", PoolKind.PROJECT, "Hot")
LATE = datetime(9999, 12, 31, 10, tzinfo=UTC)
EARLY = datetime(1, 1, 1, 10, tzinfo=UTC)
LONG_ZONE = "A" * 300


@attrs.define
class World:
    """One organisation with a manager, an agent, a project, a lead and an activity."""

    core: Leadcore
    clock: ManualClock
    manager: Session
    agent: Session
    project_id: str
    lead_id: str
    activity_id: str
    partnership_id: str

    def written(self) -> tuple[object, ...]:
        """What a refused call must leave unchanged: every event, and the settings records."""
        events = [
            (e.event.organization_id, e.position)
            for e in self.core.events.pending("bounds-probe", limit=100_000)
        ]
        s = self.manager
        return (
            events,
            s.leads.settings(),
            s.calendar.settings(),
            s.leads.project(self.project_id),
            s.routing.rules(),
            s.deliveries.terms(self.partnership_id),
        )


def world(storage: Storage) -> World:
    """Build the :class:`World` on ``storage``, with a manual clock and sequential ids."""
    clock = ManualClock(T0)
    core = Leadcore(storage, clock, SequentialIds())
    _, admin = core.create_organization("Agency", admin_name="Maya", timezone="Asia/Jerusalem")
    manager = core.session(admin.id)
    agent_user = manager.users.create("Omer", "qualifier")
    project = manager.leads.create_project("Spring", member_ids=[agent_user.id])
    manager.dispatch.set_pools(project.id, [HOT], order=["hot"])
    lead = manager.leads.create(
        "Noa", emails=["noa@example.com"], project_id=project.id, pool_id="hot"
    )
    booking = manager.calendar.create(
        "Demo",
        start=datetime(2026, 3, 3, 10, tzinfo=UTC),
        end=datetime(2026, 3, 3, 11, tzinfo=UTC),
        recurrence="FREQ=WEEKLY",
    )
    _, _ = manager.partners.add_supplier("Supplier", admin_name="Sami")
    partnership = manager.partners.list()[0]
    return World(
        core,
        clock,
        manager,
        core.session(agent_user.id),
        project.id,
        lead.id,
        booking.activity.id,
        partnership.id,
    )


@attrs.frozen
class Case:
    """One public call with one value outside the bounds."""

    label: str
    call: Callable[[World], object]
    names: str
    """The argument or field the refusal must name (the start of one problem)."""


def _rules(**values: object) -> Callable[[World], object]:
    def call(w: World) -> object:
        return w.manager.leads.update_project(
            w.project_id,
            rules=ProjectRules(**values),  # type: ignore[arg-type]
        )

    return call


def _slots(
    duration: timedelta, start: datetime, end: datetime, **kw: object
) -> Callable[[World], object]:
    def call(w: World) -> object:
        return w.manager.calendar.free_slots(
            [w.manager.user_id],
            duration,
            (start, end),
            **kw,  # type: ignore[arg-type]
        )

    return call


def _target_rule(**values: object) -> Callable[[World], object]:
    def call(w: World) -> object:
        target = Target(w.manager.user_id, **values)  # type: ignore[arg-type]
        return w.manager.routing.set_rules([RoutingRule("r", "R", to="users", targets=[target])])

    return call


def _ics(*lines: str) -> str:
    body = "\r\n".join(("UID:u1", "DTSTAMP:20260301T000000Z", *lines, "SUMMARY:x"))
    head = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nBEGIN:VEVENT\r\n"
    return f"{head}{body}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"


#: Events whose dates overflow ``datetime`` once their end is computed: each is a problem
#: of the import, and nothing is created.
OVERFLOWING_EVENTS: tuple[str, ...] = (
    _ics("DTSTART:99991231T230000Z", "DURATION:P3D"),
    _ics("DTSTART;VALUE=DATE:99991231"),
    _ics("DTSTART:20260301T100000Z", "DURATION:P99999999W"),
)

_SLOT_START = datetime(2026, 3, 2, tzinfo=UTC)
_SLOT_END = datetime(2026, 3, 3, tzinfo=UTC)

CASES: tuple[Case, ...] = (
    # -- time zones
    Case(
        "create_organization(timezone=long)",
        lambda w: w.core.create_organization("X", admin_name="Y", timezone=LONG_ZONE),
        "timezone",
    ),
    Case(
        "create_organization(timezone='America')",
        lambda w: w.core.create_organization("X", admin_name="Y", timezone="America"),
        "timezone",
    ),
    Case(
        "create_organization(timezone=5)",
        lambda w: w.core.create_organization("X", admin_name="Y", timezone=5),  # type: ignore[arg-type]
        "timezone",
    ),
    Case(
        "add_supplier(timezone='../etc')",
        lambda w: w.manager.partners.add_supplier("X", admin_name="Y", timezone="../etc"),
        "timezone",
    ),
    Case(
        "users.create(timezone=NUL)",
        lambda w: w.manager.users.create("Z", "qualifier", timezone="Europe/Lon\x00don"),
        "timezone",
    ),
    Case(
        "schedule(tz=long)",
        lambda w: w.manager.calendar.create(
            "X", start=T0, end=T0 + timedelta(hours=1), tz=LONG_ZONE
        ),
        "tz",
    ),
    Case(
        "week(tz=long)",
        lambda w: w.manager.calendar.week(w.manager.user_id, date(2026, 3, 2), tz=LONG_ZONE),
        "tz",
    ),
    Case("day(tz='')", lambda w: w.manager.calendar.day([], date(2026, 3, 2), tz="America"), "tz"),
    Case(
        "month(tz=long)",
        lambda w: w.manager.calendar.month(w.manager.user_id, 2026, 3, tz=LONG_ZONE),
        "tz",
    ),
    Case(
        "reschedule(tz=long)",
        lambda w: w.manager.calendar.reschedule(w.activity_id, T0, tz=LONG_ZONE),
        "tz",
    ),
    # -- calendar dates
    Case(
        "schedule on 9999-12-31",
        lambda w: w.manager.calendar.create("X", start=LATE, end=LATE + timedelta(hours=1)),
        "start",
    ),
    Case(
        "schedule in year 1",
        lambda w: w.manager.calendar.create("X", start=EARLY, end=EARLY + timedelta(hours=1)),
        "start",
    ),
    Case(
        "schedule all day ending in 9999",
        lambda w: w.manager.calendar.create("X", start=date(9998, 12, 30), end=date(9999, 1, 2)),
        "start",
    ),
    Case(
        "reschedule to 9999",
        lambda w: w.manager.calendar.reschedule(w.activity_id, LATE),
        "start",
    ),
    Case(
        "cancel(occurrence=year 1)",
        lambda w: w.manager.calendar.cancel(w.activity_id, occurrence=EARLY),
        "occurrence",
    ),
    Case(
        "month(9999, 12)", lambda w: w.manager.calendar.month(w.manager.user_id, 9999, 12), "year"
    ),
    Case("month(0, 1)", lambda w: w.manager.calendar.month(w.manager.user_id, 0, 1), "year"),
    Case(
        "month(10**30, 1)", lambda w: w.manager.calendar.month(w.manager.user_id, 10**30, 1), "year"
    ),
    Case("day(9999-12-31)", lambda w: w.manager.calendar.day([], date(9999, 12, 31)), "day"),
    Case("day(0001-01-01)", lambda w: w.manager.calendar.day([], date(1, 1, 1)), "day"),
    Case(
        "week(9999-12-31)",
        lambda w: w.manager.calendar.week(w.manager.user_id, date(9999, 12, 31)),
        "day",
    ),
    Case(
        "week(0001-01-01)",
        lambda w: w.manager.calendar.week(w.manager.user_id, date(1, 1, 1)),
        "day",
    ),
    Case(
        "week(first_weekday=10**5000)",
        lambda w: w.manager.calendar.week(
            w.manager.user_id, date(2026, 3, 2), first_weekday=10**5000
        ),
        "first_weekday",
    ),
    Case(
        "search(start=year 1)",
        lambda w: w.manager.calendar.search(start=EARLY),
        "start",
    ),
    Case("search(end=9999)", lambda w: w.manager.calendar.search(end=date(9999, 12, 31)), "end"),
    Case("report(year 1 to 9999)", lambda w: w.manager.calendar.report(EARLY, LATE), "start"),
    Case(
        "client_timeline(start=year 1)",
        lambda w: w.manager.calendar.client_timeline(w.lead_id, start=EARLY),
        "start",
    ),
    Case("export_ics(end=9999)", lambda w: w.manager.calendar.export_ics(end=LATE), "end"),
    Case(
        "free_slots(window in 9999)",
        _slots(timedelta(hours=1), datetime(9999, 12, 30, tzinfo=UTC), LATE),
        "start",
    ),
    Case(
        "free_slots(duration=999999999 days)",
        _slots(timedelta(days=999_999_999), _SLOT_START, _SLOT_END),
        "duration",
    ),
    Case(
        "free_slots(buffer=999999999 days)",
        _slots(timedelta(hours=1), _SLOT_START, _SLOT_END, buffer=timedelta(days=999_999_999)),
        "buffer",
    ),
    Case(
        "free_slots(step=timedelta.max)",
        _slots(timedelta(hours=1), _SLOT_START, _SLOT_END, step=timedelta.max),
        "step",
    ),
    Case(
        "schedule(recurrence INTERVAL=10**30)",
        lambda w: w.manager.calendar.create(
            "X", start=T0, end=T0 + timedelta(hours=1), recurrence="FREQ=DAILY;INTERVAL=" + "9" * 30
        ),
        "recurrence.rule",
    ),
    Case(
        "schedule(recurrence COUNT of 5000 digits)",
        lambda w: w.manager.calendar.create(
            "X", start=T0, end=T0 + timedelta(hours=1), recurrence="FREQ=DAILY;COUNT=" + "9" * 5000
        ),
        "recurrence.rule",
    ),
    Case(
        "import_ics(TZID of 300 characters)",
        lambda w: w.manager.calendar.import_ics(_ics(f"DTSTART;TZID={LONG_ZONE}:20260301T100000")),
        "TZID",
    ),
    # -- lead dates and durations
    Case(
        "add_task(due_in=999999999 days)",
        lambda w: w.manager.leads.add_task(
            w.lead_id, TaskDraft("call", due_in=timedelta(days=999_999_999))
        ),
        "task.due_in",
    ),
    Case(
        "add_task(due_at=9999)",
        lambda w: w.manager.leads.add_task(w.lead_id, TaskDraft("call", due_at=LATE)),
        "task.due_at",
    ),
    Case(
        "due_reminders(until=year 1)",
        lambda w: w.manager.leads.due_reminders(until=EARLY),
        "until",
    ),
    Case(
        "leads.list(created_from=year 1)",
        lambda w: w.manager.leads.list(created_from=EARLY),
        "created_from",
    ),
    Case(
        "status_counts(created_until=9999)",
        lambda w: w.manager.leads.status_counts(created_until=LATE),
        "created_until",
    ),
    Case("reports.funnel(start=year 1)", lambda w: w.manager.reports.funnel(start=EARLY), "start"),
    Case("reports.transitions(end=9999)", lambda w: w.manager.reports.transitions(end=LATE), "end"),
    Case("deliveries.report(end=9999)", lambda w: w.manager.deliveries.report(end=LATE), "end"),
    # -- numeric rules and settings
    Case("rules lock_window 10**12", _rules(lock_window_minutes=10**12), "lock_window_minutes"),
    Case("rules lock_window 10**30", _rules(lock_window_minutes=10**30), "lock_window_minutes"),
    Case(
        "rules wait_before_alert 10**15",
        _rules(wait_before_alert_seconds=10**15),
        "wait_before_alert_seconds",
    ),
    Case(
        "rules callback_grace 10**12",
        _rules(callback_grace_minutes=10**12),
        "callback_grace_minutes",
    ),
    Case(
        "rules max_claims_per_hour 2**63",
        _rules(max_claims_per_hour=2**63),
        "max_claims_per_hour",
    ),
    Case(
        "rules max_claims_per_day 10**5000",
        _rules(max_claims_per_day=10**5000),
        "max_claims_per_day",
    ),
    Case(
        "lead settings duplicate_window 999999999 days",
        lambda w: w.manager.leads.set_settings(
            LeadSettings(duplicate_window=timedelta(days=999_999_999))
        ),
        "duplicate_window",
    ),
    Case(
        "partner terms return_window timedelta.max",
        lambda w: w.manager.deliveries.set_terms(
            w.partnership_id, PartnerTerms(return_window=timedelta.max)
        ),
        "return_window",
    ),
    Case("routing target weight 10**30", _target_rule(weight=10**30), "rules[0].targets[0].weight"),
    Case(
        "routing target cap 2**63",
        _target_rule(caps=Caps(per_day=2**63)),
        "rules[0].targets[0].caps.per_day",
    ),
    Case(
        "calendar settings first_weekday 10**5000",
        lambda w: w.manager.calendar.set_settings(CalendarSettings(first_weekday=10**5000)),
        "first_weekday",
    ),
)


def answer(w: World, case: Case) -> tuple[str, str]:
    """The type and text of the error ``case`` raises, or ``("ok", ...)`` if it passes."""
    try:
        result = case.call(w)
    except Exception as exc:
        return type(exc).__name__, str(exc)
    return "ok", repr(result)[:200]


# -- outcomes the property tests compare between storages -------------------------------------

Outcome = tuple[str, ...]
"""``("ok", ...)`` or the error's type name and its problems."""

RULE_FIELDS = tuple(ProjectRules.BOUNDS)


def _outcome(call: Callable[[], object], ok: Callable[[object], tuple[str, ...]]) -> Outcome:
    try:
        result = call()
    except ValidationError as exc:
        return (type(exc).__name__, *exc.problems)
    return ("ok", *ok(result))


def rule_outcome(w: World, field: str, value: int) -> Outcome:
    """Set one numeric rule to ``value``; if accepted, the agent's next claim must still work.

    A refusal must leave everything as it was. The clock moves on a week and a
    day first, so that earlier claims and caps have run out.
    """
    w.clock.advance(timedelta(days=8))
    before = w.written()
    answer = _outcome(lambda: ProjectRules(**{field: value}), lambda _: ())  # type: ignore[arg-type]
    if answer[0] != "ok":
        assert w.written() == before
        return answer
    w.manager.leads.update_project(w.project_id, rules=ProjectRules(**{field: value}))  # type: ignore[arg-type]
    claim = w.agent.dispatch.next(w.project_id)
    assert claim is not None
    assert claim.lead_id == w.lead_id
    assert claim.expires_at >= claim.claimed_at
    return ("ok", claim.expires_at.isoformat(), claim.alert_at.isoformat())


def calendar_outcomes(w: World, day: date, when: datetime) -> list[Outcome]:
    """Every calendar call with an edge ``day`` or instant: each answers success or a refusal."""
    c = w.manager.calendar
    me = [w.manager.user_id]
    hour = timedelta(hours=1)
    calls: list[Callable[[], object]] = [
        lambda: c.day(me, day),
        lambda: c.week(w.manager.user_id, day),
        lambda: c.month(w.manager.user_id, day.year, day.month),
        lambda: c.search(start=day, end=when),
        lambda: c.report(when, when + hour) if when < _LAST else c.report(when - hour, when),
        lambda: c.free_slots(me, hour, (when, when + hour) if when < _LAST else (when, when)),
        lambda: c.client_timeline(w.lead_id, start=when - hour if when > _FIRST else when),
        lambda: c.export_ics(start=when),
        lambda: w.manager.leads.list(created_from=when),
        lambda: w.manager.leads.add_task(w.lead_id, TaskDraft("call", due_at=when)),
        lambda: c.reschedule(w.activity_id, when) if when < _LAST else c.get(w.activity_id),
    ]
    if day < date.max:
        calls.append(lambda: c.create("X", start=day, end=day + timedelta(days=1)))
    if when < _LAST:
        calls.append(lambda: c.create("X", start=when, end=when + hour))
    return [_outcome(call, lambda _: ()) for call in calls]


_FIRST = datetime(1, 1, 2, tzinfo=UTC)
_LAST = datetime(9999, 12, 30, tzinfo=UTC)


def zone_outcomes(w: World, zone: object) -> list[Outcome]:
    """Every call that takes a time zone, given ``zone``: success or a refusal naming it."""
    c = w.manager.calendar
    day = date(2026, 3, 2)
    z: str = zone  # type: ignore[assignment]
    calls: list[tuple[str, Callable[[], object]]] = [
        ("tz", lambda: c.week(w.manager.user_id, day, tz=z)),
        ("tz", lambda: c.day([w.manager.user_id], day, tz=z)),
        ("tz", lambda: c.month(w.manager.user_id, 2026, 3, tz=z)),
        ("tz", lambda: c.create("X", start=T0, end=T0 + timedelta(hours=1), tz=z)),
        ("timezone", lambda: w.manager.users.create("Zed", "qualifier", timezone=z)),
        ("timezone", lambda: w.core.create_organization("X", admin_name="Y", timezone=z)),
    ]
    out: list[Outcome] = []
    for name, call in calls:
        answer = _outcome(call, lambda _: ())
        assert answer[0] == "ok" or any(p.startswith(f"{name}: ") for p in answer[1:]), answer
        out.append(answer)
    return out
