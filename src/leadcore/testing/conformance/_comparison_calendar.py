"""The stateful comparison of the calendar: random calendar use cases answer as on memory.

A hypothesis state machine drives two facades, one on the reference
:class:`~leadcore.storage.memory.MemoryStorage` and one on the adapter under
test, with one clock and sequential ids each, through the same random
bookings (single, all-day, repeating, private; in several zones), edits of
whole series, of one occurrence and of the following ones, cancellations,
status changes, views as users who see different things, free slots, search
pages, reports and iCalendar round trips, and compares every answer: the
value, or the type and message of the error.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, ClassVar, TypeVar
from zoneinfo import ZoneInfo

import attrs
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from leadcore.calendar import Activity, ClientRef, expand
from leadcore.clock import ManualClock
from leadcore.core import Leadcore, Session
from leadcore.errors import LeadcoreError
from leadcore.ids import SequentialIds
from leadcore.storage.memory import MemoryStorage
from leadcore.storage.protocols import Storage

__all__ = ["SameCalendarAsMemory", "calendar_comparison_machine"]

T = TypeVar("T")

START = datetime(2026, 3, 1, 6, tzinfo=UTC)
ZONES = ("Asia/Jerusalem", "Europe/London", "America/New_York", "UTC")
RULES = (
    None,
    "FREQ=DAILY;COUNT=5",
    "FREQ=WEEKLY;BYDAY=MO,WE",
    "FREQ=WEEKLY;INTERVAL=2;UNTIL=20260501T000000Z",
    "FREQ=MONTHLY;COUNT=3",
    "FREQ=DAILY;INTERVAL=3",
)
TITLES = ("Standup", "Demo", "פגישה", "Întâlnire", "Call back")
TEXTS = ("", "standup", "DEMO", "פגישה", "call")


@attrs.frozen
class _Outcome:
    """What a call answered: its value, or the type and message of the leadcore error."""

    value: object
    error: tuple[str, str] | None


def _outcome(call: Callable[[], object]) -> _Outcome:
    try:
        return _Outcome(call(), None)
    except LeadcoreError as exc:
        return _Outcome(None, (type(exc).__name__, str(exc)))


class SameCalendarAsMemory(RuleBasedStateMachine):
    """Calendar use cases on MemoryStorage and on the adapter under test; every answer equal.

    Build a ready machine with :func:`calendar_comparison_machine`.
    """

    #: Returns a new, empty storage of the adapter under test.
    open_subject: ClassVar[Callable[[], Storage]]

    def __init__(self) -> None:
        super().__init__()
        self.clock = ManualClock(START)
        self.cores = (
            Leadcore(storage=MemoryStorage(), clock=self.clock, ids=SequentialIds()),
            Leadcore(storage=type(self).open_subject(), clock=self.clock, ids=SequentialIds()),
        )
        self.sessions: list[tuple[Session, Session]] = []
        self.users: list[str] = []
        self.clients: list[str] = []
        self.activities: list[str] = []

    def both(self, who: int, call: Callable[[Session], T]) -> T | None:
        """Run ``call`` as user ``who`` on both facades; the answers must be equal."""
        reference, subject = self.sessions[who]
        expected = _outcome(lambda: call(reference))
        actual = _outcome(lambda: call(subject))
        assert actual == expected, "the adapter answered differently from MemoryStorage"
        return expected.value  # type: ignore[return-value]

    def teardown(self) -> None:
        """Close both storages."""
        for core in self.cores:
            core.close()

    @initialize()
    def organization(self) -> None:
        """An organisation with a manager and a salesperson, a lead, an account and a contact."""
        made = [
            core.create_organization("Agency", admin_name="Dana", timezone="Asia/Jerusalem")
            for core in self.cores
        ]
        assert made[0] == made[1]
        admin = made[0][1].id
        self.sessions = [(self.cores[0].session(admin), self.cores[1].session(admin))]
        for name, role in (("Maya", "sales_manager"), ("Avi", "salesperson")):
            user = self._add_user(name, role)
            self.sessions.append((self.cores[0].session(user), self.cores[1].session(user)))
        self.users = [admin, *(pair[0].user_id for pair in self.sessions[1:])]
        lead = self.both(0, lambda s: s.leads.create("Yossi Cohen"))
        converted = self.both(
            0, lambda s: s.leads.convert(s.leads.create("Buyer").id, account_name="Acme")
        )
        assert lead is not None
        assert converted is not None
        self.clients = [
            f"lead:{lead.id}",
            f"account:{converted.account_id}",
            f"contact:{converted.contact_id}",
        ]

    def _add_user(self, name: str, role: str) -> str:
        """Add a user on both facades; return its id."""
        user = self.both(0, lambda s: s.users.create(name, role))
        assert user is not None
        return user.id

    # -- changes -----------------------------------------------------------------------------------

    @rule(
        who=st.integers(0, 2),
        title=st.sampled_from(TITLES),
        day=st.integers(1, 40),
        hour=st.integers(0, 23),
        minutes=st.sampled_from([15, 30, 60, 150]),
        zone=st.sampled_from(ZONES),
        recurrence=st.sampled_from(RULES),
        private=st.booleans(),
        others=st.lists(st.integers(0, 2), max_size=2, unique=True),
        client=st.sampled_from([None, 0, 1]),
        more=st.lists(st.integers(0, 1), max_size=1),
        all_day=st.booleans(),
    )
    def schedule(
        self,
        who: int,
        title: str,
        day: int,
        hour: int,
        minutes: int,
        zone: str,
        recurrence: str | None,
        private: bool,
        others: list[int],
        client: int | None,
        more: list[int],
        all_day: bool,
    ) -> None:
        """Book an activity, possibly repeating, private, all-day, with other users and clients."""
        first = date(2026, 3, 1) + timedelta(days=day)
        if all_day:
            start: datetime | date = first
            end: datetime | date = first + timedelta(days=1 + minutes // 60)
        else:
            start = datetime.combine(first, time(hour), ZoneInfo(zone))
            end = start + timedelta(minutes=minutes)
        responsible = self.users[who]
        users = [self.users[i] for i in others if self.users[i] != responsible]
        main = None if client is None else self.clients[client]
        extra = [self.clients[i] for i in more if client != i]
        booked = self.both(
            who,
            lambda s: s.calendar.create(
                title,
                start=start,
                end=end,
                tz=zone,
                user_ids=users,
                client=main,
                more_clients=extra,
                privacy="private" if private else "public",
                recurrence=recurrence,
            ),
        )
        if booked is not None:
            self.activities.append(booked.activity.id)

    def _occurrence(self, who: int, activity_id: str, pick: int) -> datetime | date | None:
        """The original start of an occurrence of an activity ``who`` may see, if any."""
        activity: Activity | None = self.both(who, lambda s: s.calendar.get(activity_id))
        if activity is None or activity.recurrence is None:
            return None
        window = expand(activity, START, START + timedelta(days=120), limit=20)
        if not window.occurrences:
            return None
        return window.occurrences[pick % len(window.occurrences)].original_start

    @precondition(lambda self: bool(self.activities))
    @rule(
        data=st.data(),
        who=st.integers(0, 2),
        pick=st.integers(0, 19),
        following=st.booleans(),
        what=st.sampled_from(["update", "reschedule", "cancel", "status"]),
        title=st.sampled_from(TITLES),
        hours=st.integers(-30, 30),
    )
    def edit(
        self,
        data: st.DataObject,
        who: int,
        pick: int,
        following: bool,
        what: str,
        title: str,
        hours: int,
    ) -> None:
        """Change an activity: whole, one occurrence, or one and the following ones."""
        activity_id = data.draw(st.sampled_from(self.activities))
        occurrence = self._occurrence(who, activity_id, pick)
        following = following and occurrence is not None
        moved: Any = None
        if what == "update":
            moved = self.both(
                who,
                lambda s: s.calendar.update(
                    activity_id, title=title, occurrence=occurrence, following=following
                ),
            )
        elif what == "reschedule":
            current = self.both(who, lambda s: s.calendar.get(activity_id))
            if current is None:
                return
            base = occurrence if occurrence is not None else current.start
            if isinstance(base, datetime):
                target: datetime | date = base + timedelta(hours=hours)
            else:
                target = base + timedelta(days=hours // 8)
            moved = self.both(
                who,
                lambda s: s.calendar.reschedule(
                    activity_id, target, occurrence=occurrence, following=following
                ),
            )
        elif what == "cancel":
            self.both(
                who,
                lambda s: s.calendar.cancel(
                    activity_id, occurrence=occurrence, following=following
                ),
            )
        else:
            status = data.draw(st.sampled_from(["done", "succeeded", "postponed", "nope"]))
            self.both(
                who,
                lambda s: s.calendar.change_status(
                    activity_id, status, occurrence=occurrence, following=following
                ),
            )
        if moved is not None and moved.activity.id not in self.activities:
            self.activities.append(moved.activity.id)

    @rule(days=st.sampled_from([0, 1, 9]))
    def time_passes(self, days: int) -> None:
        """Advance the shared clock."""
        self.clock.advance(timedelta(days=days, minutes=7))

    @rule(who=st.integers(0, 2), step=st.sampled_from(["export", "import"]))
    def ical(self, who: int, step: str) -> None:
        """Export a calendar as someone; import it back as that user."""
        text = self.both(who, lambda s: s.calendar.export_ics(user_id=self.users[0], start=START))
        if step == "import" and text is not None:
            self.both(who, lambda s: s.calendar.import_ics(text))

    # -- answers ---------------------------------------------------------------------------------

    @rule(
        who=st.integers(0, 2),
        day=st.integers(0, 60),
        tz=st.sampled_from([None, *ZONES]),
        users=st.lists(st.integers(0, 2), min_size=1, max_size=3, unique=True),
    )
    def views(self, who: int, day: int, tz: str | None, users: list[int]) -> None:
        """Day, week and month views of several users, with busy blocks for what is hidden."""
        when = date(2026, 3, 1) + timedelta(days=day)
        ids = [self.users[i] for i in users]
        self.both(who, lambda s: s.calendar.day(ids, when, tz=tz))
        self.both(who, lambda s: s.calendar.week(ids, when, tz=tz))
        self.both(who, lambda s: s.calendar.month(ids, when.year, when.month, tz=tz))

    @rule(
        who=st.integers(0, 2),
        client=st.integers(0, 2),
        text=st.sampled_from(TEXTS),
        by_user=st.sampled_from([None, 0, 1, 2]),
        limit=st.integers(1, 4),
    )
    def lookups(self, who: int, client: int, text: str, by_user: int | None, limit: int) -> None:
        """Client timelines, search pages and reports."""
        ref = ClientRef.parse(self.clients[client])
        self.both(who, lambda s: s.calendar.client_timeline(ref))
        users = [] if by_user is None else [self.users[by_user]]
        page = self.both(who, lambda s: s.calendar.search(text=text, user_ids=users, limit=limit))
        if page is not None and page.next is not None:
            cursor = page.next
            self.both(
                who,
                lambda s: s.calendar.search(text=text, user_ids=users, limit=limit, after=cursor),
            )
        self.both(who, lambda s: s.calendar.search(clients=[ref], start=date(2026, 3, 10)))
        self.both(who, lambda s: s.calendar.report(date(2026, 3, 1), date(2026, 5, 1)))

    @rule(
        who=st.integers(0, 2),
        day=st.integers(0, 40),
        minutes=st.sampled_from([30, 90]),
        working_hours=st.booleans(),
    )
    def free_slots(self, who: int, day: int, minutes: int, working_hours: bool) -> None:
        """Common free slots of every user in a window of three days."""
        lo = START + timedelta(days=day)
        self.both(
            who,
            lambda s: s.calendar.free_slots(
                self.users,
                timedelta(minutes=minutes),
                (lo, lo + timedelta(days=3)),
                limit=30,
                working_hours=working_hours,
            ),
        )

    @invariant()
    def same_events(self) -> None:
        """Both outboxes hold the same events."""
        if not self.sessions:
            return
        org = self.sessions[0][0].organization_id
        reference, subject = self.cores
        assert subject.events.read(org) == reference.events.read(org)


def calendar_comparison_machine(
    open_subject: Callable[[], Storage], name: str = "SameCalendarAsMemory"
) -> type[SameCalendarAsMemory]:
    """Return a :class:`SameCalendarAsMemory` whose adapter comes from ``open_subject``."""
    return type(name, (SameCalendarAsMemory,), {"open_subject": staticmethod(open_subject)})
