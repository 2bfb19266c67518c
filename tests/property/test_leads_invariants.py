"""DESIGN.md invariants 2, 3 and 5 of the lead lifecycle, over random sequences of operations.

Random users (restricted to next stages or not) run random operations with
random notes and tasks on leads of projects that force notes or not:

- every committed status change has exactly one history entry, and a refused
  or failed operation writes nothing at all (the organisation's whole storage
  is compared before and after);
- no path (single change, bulk change, conversion, import) moves a lead unless
  :meth:`Workflow.decide` allows the move for that user, note, task and project;
- a converted lead is never changed except in the fields the organisation
  leaves editable.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import attrs
from hypothesis import given
from hypothesis import strategies as st

from leadcore import Leadcore
from leadcore.clock import ManualClock
from leadcore.core import Session
from leadcore.dispatch import ProjectRules
from leadcore.errors import (
    ConflictError,
    LeadConverted,
    LeadcoreError,
    NotFound,
    TransitionRefused,
    ValidationError,
)
from leadcore.ids import SequentialIds
from leadcore.leads import HistoryEntry, HistoryKind, Lead, LeadQuery, LeadSettings, TaskDraft
from leadcore.workflow import Workflow

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
EDITABLE = frozenset({"phones"})
STATUS_MOVES = frozenset(
    {HistoryKind.STATUS_CHANGED, HistoryKind.MIGRATED, HistoryKind.UNCONVERTED}
)


@attrs.define
class World:
    core: Leadcore
    clock: ManualClock
    sessions: list[Session]
    """0: account manager, 1: restricted qualifier, 2: sales manager."""
    restricted: dict[str, bool]
    forced_projects: frozenset[str]
    lead_ids: list[str]
    workflow: Workflow

    @property
    def org(self) -> str:
        return self.sessions[0].organization_id

    def lead(self, index: int) -> Lead:
        return self.sessions[0].leads.get(self.lead_ids[index % len(self.lead_ids)])

    def forced(self, lead: Lead) -> bool:
        return lead.project_id in self.forced_projects

    def snapshot(self) -> tuple[object, ...]:
        """Everything stored for the organisation's leads, read through the storage ports."""
        with self.core.storage.unit_of_work() as uow:
            leads = list(uow.leads.query(self.org, LeadQuery()))
            accounts = list(uow.accounts.list(self.org))
            return (
                leads,
                list(uow.history.between(self.org, None, None)),
                [list(uow.notes.for_lead(self.org, x.id)) for x in leads],
                [list(uow.tasks.for_lead(self.org, x.id)) for x in leads],
                list(uow.conversions.list(self.org)),
                accounts,
                [list(uow.contacts.for_account(self.org, a.id)) for a in accounts],
                [list(uow.opportunities.for_account(self.org, a.id)) for a in accounts],
            )

    def history(self, lead_id: str) -> list[HistoryEntry]:
        return list(self.sessions[0].leads.history(lead_id, limit=10_000).items)


def make_world() -> World:
    clock = ManualClock(START)
    core = Leadcore.open(clock=clock, ids=SequentialIds())
    _, admin = core.create_organization("Agency", admin_name="Dana", default_region="IL")
    s = core.session(admin.id)
    s.leads.set_settings(LeadSettings(editable_when_converted=EDITABLE))
    qualifier = s.users.create("Quinn", "qualifier")
    s.users.grant(qualifier.id, "see_all_leads", "convert")
    manager = s.users.create("Maya", "sales_manager")
    forced = s.leads.create_project("Forced", rules=ProjectRules(force_notes_on_status_change=True))
    plain = s.leads.create_project("Plain")
    lead_ids = [
        s.leads.create(f"Lead {i}", phones=[f"+9725234567{i:02d}"], project_id=project).id
        for i, project in enumerate([forced.id, plain.id, None, forced.id, None])
    ]
    sessions = [s, core.session(qualifier.id), core.session(manager.id)]
    restricted = {admin.id: False, qualifier.id: True, manager.id: False}
    return World(
        core, clock, sessions, restricted, frozenset({forced.id}), lead_ids, s.workflow.current()
    )


# -- operations ------------------------------------------------------------------------

TARGETS = ["new", "no_answer", "callback", "contacted", "qualified", "meeting", "won", "lost"]
notes = st.sampled_from([None, "", "   ", "called, spoke to them"])
drafts = st.sampled_from(["none", "good", "blank", "nobody"])


def draft(kind: str) -> TaskDraft | None:
    return {
        "none": None,
        "good": TaskDraft("Call back", due_in=timedelta(hours=4)),
        "blank": TaskDraft("  "),
        "nobody": TaskDraft("Call back", assignee_id="user-404"),
    }[kind]


@attrs.frozen
class Change:
    user: int
    lead: int
    target: str
    note: str | None
    task: str
    version: str  # none | current | stale


@attrs.frozen
class ChangeMany:
    user: int
    leads: tuple[int, ...]
    target: str
    note: str | None


@attrs.frozen
class Convert:
    user: int
    lead: int
    target: str | None
    note: str | None
    task: str


@attrs.frozen
class Import:
    rows: tuple[tuple[int, bool], ...]
    """(phone number index, whether the row also tries to set a status)."""


@attrs.frozen
class Edit:
    user: int
    lead: int
    what: str  # note | task | name | phones | complete | unconvert


operations = st.one_of(
    st.builds(
        Change,
        st.integers(0, 2),
        st.integers(0, 20),
        st.sampled_from([*TARGETS, "bogus"]),
        notes,
        drafts,
        st.sampled_from(["none", "current", "stale"]),
    ),
    st.builds(
        ChangeMany,
        st.integers(0, 2),
        st.lists(st.integers(0, 20), min_size=1, max_size=4).map(tuple),
        st.sampled_from(TARGETS),
        notes,
    ),
    st.builds(
        Convert,
        st.integers(0, 2),
        st.integers(0, 20),
        st.sampled_from([None, "won", "lost", "qualified"]),
        notes,
        drafts,
    ),
    st.builds(
        Import,
        st.lists(st.tuples(st.integers(0, 6), st.booleans()), max_size=4).map(tuple),
    ),
    st.builds(
        Edit,
        st.integers(0, 2),
        st.integers(0, 20),
        st.sampled_from(["note", "task", "name", "phones", "complete", "unconvert"]),
    ),
)


# -- the checks ------------------------------------------------------------------------


def expected_decision(
    world: World, lead: Lead, user: int, target: str, note: str | None, task: TaskDraft | None
) -> tuple[bool, tuple[str, ...]]:
    session = world.sessions[user]
    decision = world.workflow.decide(
        lead.status_id,
        target,
        restricted=world.restricted[session.user_id],
        note=note,
        task=task,
        force_notes=world.forced(lead),
    )
    return decision.allowed, tuple(str(c) for c in decision.codes)


def new_moves(world: World, lead_id: str, before: int) -> list[HistoryEntry]:
    entries = world.history(lead_id)
    moves = [e for e in entries if e.kind is HistoryKind.STATUS_CHANGED]
    return moves[: len(moves) - before]


def count_moves(world: World, lead_id: str) -> int:
    return sum(1 for e in world.history(lead_id) if e.kind is HistoryKind.STATUS_CHANGED)


def attempt(action: Callable[[], object]) -> object | LeadcoreError:
    try:
        return action()
    except LeadcoreError as exc:
        return exc


def run_change(world: World, op: Change) -> None:
    lead = world.lead(op.lead)
    task = draft(op.task)
    expected = {"none": None, "current": lead.version, "stale": lead.version - 1}[op.version]
    allowed, codes = expected_decision(world, lead, op.user, op.target, op.note, task)
    before, moves_before = world.snapshot(), count_moves(world, lead.id)
    session = world.sessions[op.user]
    result = attempt(
        lambda: session.leads.change_status(
            lead.id, op.target, note=op.note, task=task, expected_version=expected
        )
    )
    if isinstance(result, Lead):
        assert allowed
        assert not lead.converted
        [move] = new_moves(world, lead.id, moves_before)
        assert (move.from_status, move.to_status, move.actor_id) == (
            lead.status_id,
            op.target,
            session.user_id,
        )
        assert result.status_id == op.target
        assert (move.task_id is not None) == (task is not None)
        return
    assert world.snapshot() == before, f"{type(result).__name__} wrote something"
    if isinstance(result, TransitionRefused):
        assert not allowed
        assert result.codes == codes
    elif isinstance(result, LeadConverted):
        assert lead.converted
    elif isinstance(result, ConflictError):
        assert op.version == "stale"
    else:
        assert isinstance(result, ValidationError | NotFound), result
        # A "stale" version 0 (one before a new lead's 1) never existed: it is a wrong value.
        assert op.task in ("blank", "nobody") or expected == 0
        assert (expected == 0) <= any(
            p.startswith("expected_version:") for p in getattr(result, "problems", ())
        )


def run_change_many(world: World, op: ChangeMany) -> None:
    ids = list(dict.fromkeys(world.lead_ids[i % len(world.lead_ids)] for i in op.leads))
    leads = {i: world.sessions[0].leads.get(i) for i in ids}
    counts = {i: count_moves(world, i) for i in ids}
    results = world.sessions[op.user].leads.change_status_many(ids, op.target, note=op.note)
    for lead_id, result in results.items():
        lead = leads[lead_id]
        allowed, _ = expected_decision(world, lead, op.user, op.target, op.note, None)
        if isinstance(result, Lead):
            assert allowed
            assert not lead.converted
            assert len(new_moves(world, lead_id, counts[lead_id])) == 1
        else:
            assert isinstance(result, TransitionRefused | LeadConverted)
            assert not allowed or lead.converted
            assert world.sessions[0].leads.get(lead_id) == lead
            assert count_moves(world, lead_id) == counts[lead_id]


def run_convert(world: World, op: Convert) -> None:
    lead = world.lead(op.lead)
    task = draft(op.task)
    target = op.target or "won"
    moving = lead.status_id != target
    allowed, _ = expected_decision(world, lead, op.user, target, op.note, task)
    before, moves_before = world.snapshot(), count_moves(world, lead.id)
    session = world.sessions[op.user]
    result = attempt(
        lambda: session.leads.convert(
            lead.id, status_id=op.target, note=op.note, task=task, new_account=True
        )
    )
    if isinstance(result, LeadcoreError):
        assert world.snapshot() == before, f"{type(result).__name__} wrote something"
        if isinstance(result, TransitionRefused):
            assert moving
            assert not allowed
        return
    assert not lead.converted
    assert world.workflow.is_done(target)
    assert not moving or allowed
    assert len(new_moves(world, lead.id, moves_before)) == (1 if moving else 0)
    after = world.sessions[0].leads.get(lead.id)
    assert after.converted
    assert after.status_id == target


def run_import(world: World, op: Import) -> None:
    rows: list[object] = []
    for number, with_status in op.rows:
        row: dict[str, object] = {"name": f"Imported {number}", "phone": f"+9725234567{number:02d}"}
        if with_status:
            row["status"] = "won"
        rows.append(row)
    report = world.sessions[0].leads.import_many(rows)
    for (_, with_status), line in zip(op.rows, report.rows, strict=True):
        assert (line.lead_id is None) == with_status
        if line.lead_id is not None:
            world.lead_ids.append(line.lead_id)
            imported = world.sessions[0].leads.get(line.lead_id)
            assert imported.status_id is None
            assert [e.kind for e in world.history(imported.id)] == [HistoryKind.CREATED]


def run_edit(world: World, op: Edit) -> None:
    lead = world.lead(op.lead)
    leads = world.sessions[op.user].leads
    before = world.snapshot()
    actions: dict[str, Callable[[], object]] = {
        "note": lambda: leads.add_note(lead.id, "a note"),
        "task": lambda: leads.add_task(lead.id, TaskDraft("Follow up")),
        "name": lambda: leads.update(lead.id, name="Renamed"),
        "phones": lambda: leads.update(lead.id, phones=["+972505551234"]),
        "complete": lambda: [leads.complete_task(t.id) for t in leads.tasks(lead.id) if not t.done][
            :1
        ],
        "unconvert": lambda: leads.unconvert(lead.id, reason="undo"),
    }
    result = attempt(actions[op.what])
    if isinstance(result, LeadcoreError):
        assert world.snapshot() == before, f"{type(result).__name__} wrote something"


def check_converted_leads_unchanged(world: World, before: dict[str, Lead], op: object) -> None:
    """Invariant 5: a converted lead changes only in its editable fields (or by un-conversion)."""
    for lead_id, old in before.items():
        if not old.converted:
            continue
        new = world.sessions[0].leads.get(lead_id)
        if isinstance(op, Edit) and op.what == "unconvert" and not new.converted:
            continue
        assert new.converted
        same = attrs.evolve(
            new,
            phones=old.phones,
            version=old.version,
            updated_at=old.updated_at,
            do_not_call=old.do_not_call,
        )
        assert same == old, f"{op} changed converted lead {lead_id}"


def check_history_explains_every_status(world: World) -> None:
    """Invariants 2 and 3: a status is the last recorded move, and every move was allowed."""
    for lead_id in world.lead_ids:
        lead = world.sessions[0].leads.get(lead_id)
        entries = world.history(lead_id)
        moves = [e for e in entries if e.kind in STATUS_MOVES]
        assert lead.status_id == (moves[0].to_status if moves else None)
        for move in moves:
            if move.kind is not HistoryKind.STATUS_CHANGED:
                continue
            decision = world.workflow.decide(
                move.from_status,
                move.to_status or "",
                restricted=world.restricted[move.actor_id],
                note=move.text,
                task=move.task_id,
                force_notes=world.forced(lead),
            )
            assert decision.allowed, f"{move} bypassed {decision.explain()}"


RUNNERS: dict[type[Any], Callable[[World, Any], None]] = {
    Change: run_change,
    ChangeMany: run_change_many,
    Convert: run_convert,
    Import: run_import,
    Edit: run_edit,
}


@given(ops=st.lists(operations, max_size=14))
def test_history_is_written_with_every_change_requirements_hold_and_converted_leads_stay(
    ops: list[Any],
) -> None:
    world = make_world()
    for op in ops:
        before = {i: world.sessions[0].leads.get(i) for i in world.lead_ids}
        RUNNERS[type(op)](world, op)
        check_converted_leads_unchanged(world, before, op)
        world.clock.advance(timedelta(minutes=7))
    check_history_explains_every_status(world)
