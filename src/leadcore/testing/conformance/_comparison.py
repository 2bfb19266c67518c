"""The stateful comparison: random operations give the same answers as on MemoryStorage.

A hypothesis state machine drives two facades, one on the reference
:class:`~leadcore.storage.memory.MemoryStorage` and one on the adapter under
test, with one :class:`~leadcore.clock.ManualClock` and a
:class:`~leadcore.ids.SequentialIds` each, through the same random operations,
and compares every answer: the records returned, the errors raised (type and
message), the lead lists page by page, the status counts, the history, notes
and tasks of each lead, the reports, the dispatch claims and explanations,
and the outbox of events.

Each example starts from realistic seeded data, where adapters tend to
differ: several leads created at one instant, names in mixed case with "ß"
("Großmann", "GROSSMANN"), Hebrew with niqqud, custom fields and notes
longer than 255 characters, a clock in ``+02:00``; lists are read in pages smaller than the data.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any, ClassVar, Generic, TypeVar

import attrs
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from leadcore.clock import ManualClock
from leadcore.core import Leadcore, Session
from leadcore.dispatch import Pool, PoolKind
from leadcore.errors import LeadcoreError
from leadcore.events import StoredEvent
from leadcore.ids import SequentialIds
from leadcore.leads import Cursor, FieldDefinition, FieldType, LeadSettings, Page, TaskDraft
from leadcore.services.reports import FunnelKey
from leadcore.storage.memory import MemoryStorage
from leadcore.storage.protocols import Storage

__all__ = ["SameAnswersAsMemory", "comparison_machine"]

S = TypeVar("S", bound=Storage)
T = TypeVar("T")

#: The shared clock starts in +02:00: every stored time carries that offset.
START = datetime(2026, 3, 2, 11, 0, tzinfo=timezone(timedelta(hours=2)))

# Look-alike names, scripts and phone spellings: where adapters tend to differ
# (collation, case folding, normalisation).
NAMES = ("Dana Levi", "dana levi", "Avi Cohen", "Ștefan Pop", "אבי כהן", "Zoe", "Großmann")
PHONES = ("050-555-1234", "052-345-6789", "+40 721 234 567")
EMAILS = ("dana@example.org", "avi@example.org")
CHANNELS = (None, "facebook", "google")
TEXTS = ("dana", "DANA", "555", "0505551234", "example", "ștefan", "x", " ", "GROSSMANN", "כהן")
#: Leads every example starts with, all created at the same instant (name, city).
SEEDED = (
    ("Großmann", "Haifa"),
    ("GROSSMANN", "haifa"),
    ("Dana Grossmann", None),
    ("אבי כהן " + "שָׁלוֹם " * 15, "תל אביב " * 40),
    ("Ștefan Pop", "Cluj " * 60),
    ("dana levi", "Eilat"),
    ("Dana Levi", None),
    ("Zoe", "Akko"),
)
#: The custom fields of the seeded organisation.
FIELDS = (FieldDefinition("city", FieldType.TEXT), FieldDefinition("budget", FieldType.NUMBER))
NOTES = ("spoke to them", "no budget", "call again", "נא לחזור אחרי הצהריים. " * 20)
FUNNEL_KEYS: tuple[FunnelKey, ...] = ("source", "channel", "supplier", "project", "all")


@attrs.frozen
class _Outcome(Generic[T]):
    """What a call answered: its value, or the type and message of the leadcore error."""

    value: T | None
    error: tuple[str, str] | None


def _outcome(call: Callable[[], T]) -> _Outcome[T]:
    try:
        return _Outcome(call(), None)
    except LeadcoreError as exc:
        return _Outcome(None, (type(exc).__name__, str(exc)))


def _list(s: Session, kwargs: dict[str, Any]) -> Page:
    return s.leads.list(**kwargs)


class SameAnswersAsMemory(RuleBasedStateMachine):
    """Operations on two facades, MemoryStorage and the adapter under test; every answer equal.

    The adapter comes from :attr:`open_subject`, called once per example for a
    new, empty storage; the machine closes it at the end of the example. Build
    a ready machine with :func:`comparison_machine`, or subclass and set
    ``open_subject = staticmethod(factory)``; run it with hypothesis'
    ``run_state_machine_as_test`` (or its ``TestCase``).
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
        # A subscriber on each: delivery reads the outbox and stores its positions.
        self.delivered: tuple[list[StoredEvent], list[StoredEvent]] = ([], [])
        for core, seen in zip(self.cores, self.delivered, strict=True):
            core.events.subscribe("audit-log", seen.append)
        self.sessions: tuple[Session, Session] | None = None
        self.project_id = ""
        self.orgs: list[str] = []
        self.users: list[str] = []
        self.leads: list[str] = []
        self.tasks: list[str] = []
        self.statuses: list[str] = []
        self.agent_id = ""
        self.claims: list[tuple[str, int]] = []

    def as_user(self, user_id: str, call: Callable[[Session], T]) -> T | None:
        """Run ``call`` as another user on both facades; the answers must be equal."""
        reference, subject = (core.session(user_id) for core in self.cores)
        expected = _outcome(lambda: call(reference))
        actual = _outcome(lambda: call(subject))
        assert actual == expected, "the adapter answered differently from MemoryStorage"
        return expected.value

    def both(self, call: Callable[[Session], T]) -> T | None:
        """Run ``call`` on both sessions; they must answer the same; return the answer.

        The answer is ``None`` when both raised the same leadcore error.
        """
        assert self.sessions is not None, "the organisation is created first"
        reference, subject = self.sessions
        expected = _outcome(lambda: call(reference))
        actual = _outcome(lambda: call(subject))
        assert actual == expected, "the adapter answered differently from MemoryStorage"
        return expected.value

    @initialize()
    def organization(self) -> None:
        """Create the organisation, an agent, a supplier and a project on both."""
        made = [
            core.create_organization("Agency", admin_name="Dana", default_region="IL")
            for core in self.cores
        ]
        assert made[0] == made[1]
        org, admin = made[0]
        self.sessions = (self.cores[0].session(admin.id), self.cores[1].session(admin.id))
        agent = self.both(lambda s: s.users.create("Avi", "salesperson"))
        assert agent is not None
        self.users = [admin.id, agent.id]
        # One unit of work that writes in two organisations (the supplier's and ours).
        added = self.both(lambda s: s.partners.add_supplier("Leads Ltd", admin_name="Ben"))
        assert added is not None
        self.orgs = [org.id, added[0].id]
        caller = self.both(lambda s: s.users.create("Omer", "qualifier"))
        assert caller is not None
        self.agent_id = caller.id
        project = self.both(
            lambda s: s.leads.create_project("Outbound", member_ids=[agent.id, caller.id])
        )
        assert project is not None
        self.project_id = project.id
        workflow = self.both(lambda s: s.workflow.current())
        assert workflow is not None
        self.statuses = [status.id for status in workflow.statuses]
        self.both(lambda s: s.leads.set_settings(LeadSettings(custom_fields=FIELDS)))
        if self.dispatching:
            pools = [Pool("hot", PoolKind.PROJECT, "Hot"), Pool("cold", PoolKind.GENERAL, "Cold")]
            self.both(lambda s: s.dispatch.set_pools(project.id, pools, order=["hot", "cold"]))
        for n, (name, city) in enumerate(SEEDED):
            fields: dict[str, object] = {"budget": n * 1.5} if city is None else {"city": city}
            lead = self.both(
                lambda s, name=name, fields=fields, n=n: s.leads.create(  # type: ignore[misc]
                    name,
                    fields=fields,
                    project_id=project.id,
                    pool_id=("hot", "cold")[n % 2] if self.dispatching else None,
                )
            )
            assert lead is not None
            self.leads.append(lead.id)
        # Read the seed back at once, in pages smaller than the data, so that every
        # example compares the search, the long texts and the fields at least once.
        first = self.leads[0]
        self.both(lambda s: s.leads.add_note(first, NOTES[-1]))
        for text in (None, "GROSSMANN", "כהן"):
            self.list_leads("all", text, None, False, True, 3)
            self.status_counts(text, True)
        for lead_id in self.leads:
            self.both(lambda s, lead_id=lead_id: s.leads.get(lead_id))  # type: ignore[misc]
        self.both(lambda s: s.leads.notes(first))

    @property
    def dispatching(self) -> bool:
        """Whether the adapter under test declares dispatch."""
        return self.cores[1].storage.capabilities.dispatch

    def teardown(self) -> None:
        """Close both storages."""
        for core in self.cores:
            core.close()

    # -- changes --------------------------------------------------------------------------

    @rule(
        name=st.sampled_from(NAMES),
        phones=st.lists(st.sampled_from(PHONES), max_size=2, unique=True),
        emails=st.lists(st.sampled_from(EMAILS), max_size=1),
        channel=st.sampled_from(CHANNELS),
        in_project=st.booleans(),
        assignee=st.sampled_from([None, 0, 1]),
        from_supplier=st.booleans(),
    )
    def create_lead(
        self,
        name: str,
        phones: list[str],
        emails: list[str],
        channel: str | None,
        in_project: bool,
        assignee: int | None,
        from_supplier: bool,
    ) -> None:
        """Create a lead, possibly a duplicate of one already there."""
        lead = self.both(
            lambda s: s.leads.create(
                name,
                phones=phones,
                emails=emails,
                channel=channel,
                project_id=self.project_id if in_project else None,
                assignee_ids=[] if assignee is None else [self.users[assignee]],
                supplier_id=self.orgs[1] if from_supplier else None,
            )
        )
        if lead is not None:
            self.leads.append(lead.id)

    @precondition(lambda self: bool(self.leads))
    @rule(data=st.data(), note=st.sampled_from((None, *NOTES)), with_task=st.booleans())
    def change_status(self, data: st.DataObject, note: str | None, with_task: bool) -> None:
        """Move a lead to any status, allowed or not, with a note and a task."""
        lead_id = data.draw(st.sampled_from(self.leads))
        status = data.draw(st.sampled_from(self.statuses))
        task = TaskDraft("Follow up", due_in=timedelta(hours=1)) if with_task else None
        moved = self.both(lambda s: s.leads.change_status(lead_id, status, note=note, task=task))
        if moved is not None and with_task:
            tasks = self.both(lambda s: s.leads.tasks(lead_id)) or ()
            self.tasks.extend(t.id for t in tasks)

    @precondition(lambda self: bool(self.leads))
    @rule(data=st.data(), text=st.sampled_from(NOTES))
    def add_note(self, data: st.DataObject, text: str) -> None:
        """Add a note to a lead."""
        lead_id = data.draw(st.sampled_from(self.leads))
        self.both(lambda s: s.leads.add_note(lead_id, text))

    @precondition(lambda self: bool(self.leads))
    @rule(data=st.data(), minutes=st.integers(-30, 120), assignee=st.sampled_from([0, 1]))
    def add_task(self, data: st.DataObject, minutes: int, assignee: int) -> None:
        """Add a task to a lead, due in the past or the future."""
        lead_id = data.draw(st.sampled_from(self.leads))
        draft = TaskDraft(
            "Call",
            due_at=self.clock.now() + timedelta(minutes=minutes),
            assignee_id=self.users[assignee],
        )
        task = self.both(lambda s: s.leads.add_task(lead_id, draft))
        if task is not None:
            self.tasks.append(task.id)

    @precondition(lambda self: bool(self.tasks))
    @rule(data=st.data())
    def complete_task(self, data: st.DataObject) -> None:
        """Complete a task, possibly one already done."""
        task_id = data.draw(st.sampled_from(self.tasks))
        self.both(lambda s: s.leads.complete_task(task_id))

    @precondition(lambda self: bool(self.leads))
    @rule(data=st.data(), who=st.sampled_from([(), (0,), (1,), (0, 1)]))
    def assign(self, data: st.DataObject, who: tuple[int, ...]) -> None:
        """Assign a lead to nobody, one user or both."""
        lead_id = data.draw(st.sampled_from(self.leads))
        self.both(lambda s: s.leads.assign(lead_id, [self.users[i] for i in who]))

    @precondition(lambda self: bool(self.leads))
    @rule(
        data=st.data(),
        name=st.sampled_from((None, *NAMES)),
        phones=st.sampled_from((None, [], [PHONES[0]], [PHONES[1], PHONES[2]])),
    )
    def update(self, data: st.DataObject, name: str | None, phones: list[str] | None) -> None:
        """Rename a lead or change its phones."""
        lead_id = data.draw(st.sampled_from(self.leads))
        self.both(lambda s: s.leads.update(lead_id, name=name, phones=phones))

    @precondition(lambda self: bool(self.leads))
    @rule(
        data=st.data(),
        city=st.sampled_from((None, "Haifa", "HAIFA", "Tel Aviv " * 40)),
        budget=st.sampled_from((None, 0, 2.5, 1000)),
    )
    def set_fields(self, data: st.DataObject, city: str | None, budget: float | None) -> None:
        """Change a lead's custom fields."""
        lead_id = data.draw(st.sampled_from(self.leads))
        fields = {"city": city, "budget": budget}
        self.both(lambda s: s.leads.update(lead_id, fields=fields))

    # -- dispatch ---------------------------------------------------------------------------

    @precondition(lambda self: self.dispatching)
    @rule()
    def next_lead(self) -> None:
        """The agent asks for the next lead and explains the answer."""
        claim = self.as_user(self.agent_id, lambda s: s.dispatch.next(self.project_id))
        if claim is not None:
            self.claims.append((claim.lead_id, claim.token))
        self.as_user(self.agent_id, lambda s: s.dispatch.explain(self.project_id))

    @precondition(lambda self: bool(self.claims))
    @rule(data=st.data(), action=st.sampled_from(["call", "renew", "release", "status"]))
    def under_claim(self, data: st.DataObject, action: str) -> None:
        """Work a claimed lead: log a call, renew, release, or change its status."""
        lead_id, token = data.draw(st.sampled_from(self.claims))
        if action == "call":
            self.as_user(
                self.agent_id, lambda s: s.dispatch.log_call(lead_id, token, outcome="no answer")
            )
        elif action == "renew":
            self.as_user(self.agent_id, lambda s: s.dispatch.renew(lead_id, token))
        elif action == "release":
            self.as_user(self.agent_id, lambda s: s.dispatch.release(lead_id, token))
        else:
            status = data.draw(st.sampled_from(self.statuses))
            self.as_user(
                self.agent_id,
                lambda s: s.dispatch.change_status(lead_id, token, status, note="called"),
            )

    @precondition(lambda self: bool(self.leads))
    @rule(data=st.data())
    def convert(self, data: st.DataObject) -> None:
        """Convert a lead into a new account with an opportunity."""
        lead_id = data.draw(st.sampled_from(self.leads))
        self.both(lambda s: s.leads.convert(lead_id, new_account=True, opportunity_name="Deal"))

    @rule(phone=st.sampled_from(PHONES), block=st.booleans())
    def do_not_call(self, phone: str, block: bool) -> None:
        """Block or unblock a number."""
        if block:
            self.both(lambda s: s.leads.add_blocked_number(phone))
        else:
            self.both(lambda s: s.leads.remove_blocked_number(phone))

    @rule(minutes=st.sampled_from([0, 1, 7, 60 * 24 * 40]))
    def time_passes(self, minutes: int) -> None:
        """Advance the shared clock."""
        self.clock.advance(timedelta(minutes=minutes))

    # -- answers ----------------------------------------------------------------------------

    @rule(
        status=st.sampled_from(["all", None, "new", "contacted", "won"]),
        text=st.sampled_from((None, *TEXTS)),
        channel=st.sampled_from(CHANNELS),
        mine=st.booleans(),
        include_done=st.booleans(),
        limit=st.integers(1, 4),
    )
    def list_leads(
        self,
        status: str | None,
        text: str | None,
        channel: str | None,
        mine: bool,
        include_done: bool,
        limit: int,
    ) -> None:
        """List leads page by page with a filter; every page must be equal."""
        after: Cursor | None = None
        for _ in range(10):
            kwargs: dict[str, Any] = {
                "text": text,
                "channel": channel,
                "include_done": include_done,
                "limit": limit,
                "after": after,
            }
            if status != "all":
                kwargs["status_ids"] = [status]
            if mine:
                kwargs["assignee_id"] = self.users[1]
            page = self.both(functools.partial(_list, kwargs=kwargs))
            if page is None or page.next is None:
                return
            after = page.next

    @rule(text=st.sampled_from((None, *TEXTS)), include_done=st.booleans())
    def status_counts(self, text: str | None, include_done: bool) -> None:
        """Count leads per status."""
        self.both(lambda s: s.leads.status_counts(text=text, include_done=include_done))

    @precondition(lambda self: bool(self.leads))
    @rule(data=st.data())
    def lead_details(self, data: st.DataObject) -> None:
        """Read a lead, its history, notes and tasks."""
        lead_id = data.draw(st.sampled_from(self.leads))
        self.both(lambda s: s.leads.get(lead_id))
        self.both(lambda s: s.leads.history(lead_id, limit=100).items)
        self.both(lambda s: s.leads.notes(lead_id))
        self.both(lambda s: s.leads.tasks(lead_id))

    @rule()
    def reminders(self) -> None:
        """Read the due reminders and the blocked numbers."""
        self.both(lambda s: s.leads.due_reminders())
        self.both(lambda s: s.leads.blocked_numbers())

    @rule(by=st.sampled_from(FUNNEL_KEYS))
    def reports(self, by: FunnelKey) -> None:
        """Read the funnel, time in status, transitions and pile-ups."""
        self.both(lambda s: s.reports.funnel(by=by))
        self.both(lambda s: s.reports.time_in_status())
        self.both(lambda s: s.reports.transitions())
        self.both(lambda s: s.reports.pileups())

    @invariant()
    def same_events(self) -> None:
        """The outbox, pending events, deliveries and consumer positions are equal."""
        if self.sessions is None:
            return
        reference, subject = self.cores
        for org in self.orgs:
            assert subject.events.read(org) == reference.events.read(org)
        assert subject.events.pending("audit") == reference.events.pending("audit")
        assert self.delivered[1] == self.delivered[0]
        for org in self.orgs:
            assert subject.events.position("audit-log", org) == reference.events.position(
                "audit-log", org
            )


def comparison_machine(
    open_subject: Callable[[], Storage], name: str = "SameAnswersAsMemory"
) -> type[SameAnswersAsMemory]:
    """Return a :class:`SameAnswersAsMemory` whose adapter comes from ``open_subject``.

    ``open_subject`` returns a new, empty storage each time it is called (once
    per example). Run the machine with your own settings::

        from hypothesis import settings
        from hypothesis.stateful import run_state_machine_as_test

        run_state_machine_as_test(
            comparison_machine(MyStorage, "SameAnswersOnMyStorage"),
            settings=settings(max_examples=50, stateful_step_count=40, deadline=None),
        )
    """
    return type(name, (SameAnswersAsMemory,), {"open_subject": staticmethod(open_subject)})
