"""The same service operations on MemoryStorage and on a SQL backend give the same answers.

A hypothesis state machine drives two facades, one on the reference memory
adapter and one on the SQL backend under test, with one ``ManualClock`` and
a ``SequentialIds`` each, through the same random operations, and compares
every answer: the records returned, the errors raised (type and message), the
lead lists page by page, the status counts, the history, notes and tasks of
each lead, and the outbox of events.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from tests.integration.conftest import BACKENDS, scratch, unique

from leadcore import Leadcore
from leadcore.clock import ManualClock
from leadcore.core import Session
from leadcore.errors import LeadcoreError
from leadcore.events import StoredEvent
from leadcore.ids import SequentialIds
from leadcore.leads import Cursor, TaskDraft
from leadcore.storage.memory import MemoryStorage
from leadcore.storage.sql import SqlStorage

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

NAMES = ("Dana Levi", "dana levi", "Avi Cohen", "Ștefan Pop", "אבי כהן", "Zoe")
PHONES = ("050-555-1234", "052-345-6789", "+40 721 234 567")
EMAILS = ("dana@example.org", "avi@example.org")
CHANNELS = (None, "facebook", "google")
TEXTS = ("dana", "DANA", "555", "0505551234", "example", "ștefan", "x", " ")
NOTES = ("spoke to them", "no budget", "call again")


def outcome(call: Callable[[], Any]) -> tuple[str, Any]:
    """What a call answered: its value, or the type and message of the leadcore error it raised."""
    try:
        return ("ok", call())
    except LeadcoreError as exc:
        return ("error", (type(exc).__name__, str(exc)))


def _list(s: Session, kwargs: dict[str, Any]) -> Any:
    return s.leads.list(**kwargs)


class SameAnswers(RuleBasedStateMachine):
    """Operations on two facades; every answer must be equal."""

    open_subject: Callable[[], SqlStorage]

    def __init__(self) -> None:
        super().__init__()
        self.clock = ManualClock(START)
        self.subject_storage = type(self).open_subject()
        self.cores = (
            Leadcore(storage=MemoryStorage(), clock=self.clock, ids=SequentialIds()),
            Leadcore(storage=self.subject_storage, clock=self.clock, ids=SequentialIds()),
        )
        # A subscriber on each: delivery reads the outbox and stores its positions.
        self.delivered: tuple[list[StoredEvent], list[StoredEvent]] = ([], [])
        for core, seen in zip(self.cores, self.delivered, strict=True):
            core.events.subscribe("audit-log", seen.append)
        self.sessions: tuple[Session, Session] | None = None
        self.org_id = ""
        self.orgs: list[str] = []
        self.users: list[str] = []
        self.leads: list[str] = []
        self.tasks: list[str] = []
        self.statuses: list[str] = []

    def both(self, call: Callable[[Session], Any]) -> Any:
        """Run ``call`` on both sessions; they must answer the same; return the answer."""
        assert self.sessions is not None
        expected = outcome(lambda: call(self.sessions[0]))  # type: ignore[index]
        actual = outcome(lambda: call(self.sessions[1]))  # type: ignore[index]
        assert actual == expected
        kind, value = expected
        return value if kind == "ok" else None

    @initialize()
    def organization(self) -> None:
        made = [
            core.create_organization("Agency", admin_name="Dana", default_region="IL")
            for core in self.cores
        ]
        assert made[0] == made[1]
        org, admin = made[0]
        self.org_id = org.id
        self.sessions = (self.cores[0].session(admin.id), self.cores[1].session(admin.id))
        agent = self.both(lambda s: s.users.add("Avi", "salesperson"))
        self.users = [admin.id, agent.id]
        # One unit of work that writes in two organisations (the supplier's and ours).
        supplier, _ = self.both(lambda s: s.partners.add_supplier("Leads Ltd", admin_name="Ben"))
        self.orgs = [org.id, supplier.id]
        self.project = self.both(lambda s: s.leads.create_project("Outbound"))
        self.statuses = [st.id for st in self.both(lambda s: s.workflow.current()).statuses]

    def teardown(self) -> None:
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
        lead = self.both(
            lambda s: s.leads.create(
                name,
                phones=phones,
                emails=emails,
                channel=channel,
                project_id=self.project.id if in_project else None,
                assignee_ids=[] if assignee is None else [self.users[assignee]],
                supplier_id=self.orgs[1] if from_supplier else None,
            )
        )
        if lead is not None:
            self.leads.append(lead.id)

    @precondition(lambda self: bool(self.leads))
    @rule(data=st.data(), note=st.sampled_from((None, *NOTES)), with_task=st.booleans())
    def change_status(self, data: st.DataObject, note: str | None, with_task: bool) -> None:
        lead_id = data.draw(st.sampled_from(self.leads))
        status = data.draw(st.sampled_from(self.statuses))
        task = TaskDraft("Follow up", due_in=timedelta(hours=1)) if with_task else None
        moved = self.both(lambda s: s.leads.change_status(lead_id, status, note=note, task=task))
        if moved is not None and with_task:
            self.tasks.extend(t.id for t in self.both(lambda s: s.leads.tasks(lead_id)))

    @precondition(lambda self: bool(self.leads))
    @rule(data=st.data(), text=st.sampled_from(NOTES))
    def add_note(self, data: st.DataObject, text: str) -> None:
        lead_id = data.draw(st.sampled_from(self.leads))
        self.both(lambda s: s.leads.add_note(lead_id, text))

    @precondition(lambda self: bool(self.leads))
    @rule(data=st.data(), minutes=st.integers(-30, 120), assignee=st.sampled_from([0, 1]))
    def add_task(self, data: st.DataObject, minutes: int, assignee: int) -> None:
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
        task_id = data.draw(st.sampled_from(self.tasks))
        self.both(lambda s: s.leads.complete_task(task_id))

    @precondition(lambda self: bool(self.leads))
    @rule(data=st.data(), who=st.sampled_from([(), (0,), (1,), (0, 1)]))
    def assign(self, data: st.DataObject, who: tuple[int, ...]) -> None:
        lead_id = data.draw(st.sampled_from(self.leads))
        self.both(lambda s: s.leads.assign(lead_id, [self.users[i] for i in who]))

    @precondition(lambda self: bool(self.leads))
    @rule(
        data=st.data(),
        name=st.sampled_from((None, *NAMES)),
        phones=st.sampled_from((None, [], [PHONES[0]], [PHONES[1], PHONES[2]])),
    )
    def update(self, data: st.DataObject, name: str | None, phones: list[str] | None) -> None:
        lead_id = data.draw(st.sampled_from(self.leads))
        self.both(lambda s: s.leads.update(lead_id, name=name, phones=phones))

    @precondition(lambda self: bool(self.leads))
    @rule(data=st.data())
    def convert(self, data: st.DataObject) -> None:
        lead_id = data.draw(st.sampled_from(self.leads))
        self.both(lambda s: s.leads.convert(lead_id, new_account=True, opportunity_name="Deal"))

    @rule(phone=st.sampled_from(PHONES), block=st.booleans())
    def do_not_call(self, phone: str, block: bool) -> None:
        if block:
            self.both(lambda s: s.leads.block_number(phone))
        else:
            self.both(lambda s: s.leads.unblock_number(phone))

    @rule(minutes=st.sampled_from([0, 1, 7, 60 * 24 * 40]))
    def time_passes(self, minutes: int) -> None:
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
                kwargs["status"] = status
            if mine:
                kwargs["assignee_id"] = self.users[1]
            page = self.both(functools.partial(_list, kwargs=kwargs))
            if page is None or page.next is None:
                return
            after = page.next

    @rule(text=st.sampled_from((None, *TEXTS)), include_done=st.booleans())
    def status_counts(self, text: str | None, include_done: bool) -> None:
        self.both(lambda s: s.leads.status_counts(text=text, include_done=include_done))

    @precondition(lambda self: bool(self.leads))
    @rule(data=st.data())
    def lead_details(self, data: st.DataObject) -> None:
        lead_id = data.draw(st.sampled_from(self.leads))
        self.both(lambda s: s.leads.get(lead_id))
        self.both(lambda s: s.leads.history(lead_id, limit=100))
        self.both(lambda s: s.leads.notes(lead_id))
        self.both(lambda s: s.leads.tasks(lead_id))

    @rule()
    def reminders(self) -> None:
        self.both(lambda s: s.leads.due_reminders())
        self.both(lambda s: s.leads.blocked_numbers())

    @rule(by=st.sampled_from(["source", "channel", "supplier", "project", "all"]))
    def reports(self, by: str) -> None:
        self.both(lambda s: s.reports.funnel(by=by))  # type: ignore[arg-type]
        self.both(lambda s: s.reports.time_in_status())
        self.both(lambda s: s.reports.transitions())
        self.both(lambda s: s.reports.pileups())

    @invariant()
    def same_events(self) -> None:
        if self.sessions is None:
            return
        for org in self.orgs:
            memory, sql = (core.events.read(org) for core in self.cores)
            assert sql == memory
        assert self.cores[1].events.pending("audit") == self.cores[0].events.pending("audit")
        assert self.delivered[1] == self.delivered[0]
        for org in self.orgs:
            positions = [core.events.position("audit-log", org) for core in self.cores]
            assert positions[1] == positions[0]


@pytest.mark.parametrize("backend", BACKENDS)
def test_every_answer_of_a_sql_backend_equals_the_memory_adapter_s(
    backend: str, request: pytest.FixtureRequest
) -> None:
    def open_subject() -> SqlStorage:
        if backend == "sqlite-memory":
            return SqlStorage("sqlite://", create=True)
        if backend == "sqlite-file":
            path = request.getfixturevalue("tmp_path") / f"{unique('differential')}.db"
            return SqlStorage(f"sqlite:///{path}", create=True)
        return scratch(request, backend).storage()

    machine = type(f"SameAnswersOn{backend.title().replace('-', '')}", (SameAnswers,), {})
    machine.open_subject = staticmethod(open_subject)  # type: ignore[attr-defined]
    run_state_machine_as_test(
        machine,
        settings=settings(
            max_examples=8,
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        ),
    )
