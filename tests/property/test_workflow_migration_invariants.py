"""Publishing a workflow version that removes statuses keeps the lead invariants.

Leads of a removed status move through the one status path
(``change_status`` with the reason ``migration``). For random lead
populations and random versions that drop statuses and remap their leads,
on memory storage, after each publish:

- every lead is in a status of its organisation's current workflow (or in
  none yet, as a new lead);
- every status change has exactly one history entry and one
  ``StatusChanged`` event, in the same order, and each lead's changes chain
  (each starts where the one before ended);
- workflow versions, and the version of each moved lead, only increase.
"""

from __future__ import annotations

import itertools
from collections import deque
from datetime import UTC, datetime, timedelta

import attrs
from hypothesis import event, given, settings
from hypothesis import strategies as st

from leadcore import Leadcore
from leadcore.clock import ManualClock
from leadcore.core import Session
from leadcore.events import StatusChanged
from leadcore.ids import SequentialIds
from leadcore.leads import HistoryKind, Lead
from leadcore.workflow import Category, Requirement, Workflow

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
MOVES = (HistoryKind.STATUS_CHANGED, HistoryKind.MIGRATED)


def paths(workflow: Workflow) -> dict[str, list[str]]:
    """A way from no status (a new lead) to each status reachable without writing a task."""
    entry = workflow.entry[0]
    found: dict[str, list[str]] = {entry: [entry]}
    todo = deque([entry])
    while todo:
        here = todo.popleft()
        for nxt in workflow.status(here).next:
            if nxt not in found and workflow.status(nxt).requires is not Requirement.TASK:
                found[nxt] = [*found[here], nxt]
                todo.append(nxt)
    return found


def without(workflow: Workflow, removed: set[str]) -> Workflow:
    """``workflow`` without some statuses and the edges to them."""
    kept = [
        attrs.evolve(s, next=tuple(n for n in s.next if n not in removed))
        for s in workflow.statuses
        if s.id not in removed
    ]
    return attrs.evolve(workflow, statuses=tuple(kept))


@st.composite
def versions(draw: st.DrawFn, current: Workflow) -> tuple[Workflow, dict[str, str]]:
    """A next version dropping some statuses (never the entry nor the last 'done' one),
    and where their leads go."""
    removable = [s for s in current.status_ids if s not in current.entry]
    removed = set(draw(st.lists(st.sampled_from(removable), max_size=4, unique=True)))
    done = [s for s in current.status_ids if current.status(s).category is Category.DONE]
    if done and set(done) <= removed:
        # A workflow needs a status in the 'done' category: keep one of them.
        removed.discard(draw(st.sampled_from(done)))
    kept = [s for s in current.status_ids if s not in removed]
    # A migration target may not demand a note or a task: nobody writes them.
    targets = [s for s in kept if current.status(s).requires is Requirement.NONE]
    mapping = {s: draw(st.sampled_from(targets)) for s in sorted(removed)}
    return without(current, removed), mapping


def drive(s: Session, lead: Lead, path: list[str]) -> None:
    for status in path:
        lead = s.leads.change_status(lead.id, status, note="Spoke with them")


def status_moves(s: Session, lead_id: str) -> list[tuple[str | None, str | None]]:
    entries = [e for e in s.leads.history(lead_id, limit=1000).items if e.kind in MOVES]
    return [(e.from_status, e.to_status) for e in reversed(entries)]


@settings(max_examples=40, deadline=None)
@given(data=st.data(), targets=st.lists(st.integers(0, 100), min_size=1, max_size=8))
def test_publishing_keeps_leads_in_current_statuses_with_one_history_row_and_event_per_move(
    data: st.DataObject, targets: list[int]
) -> None:
    clock = ManualClock(START)
    core = Leadcore(clock=clock, ids=SequentialIds())
    org, admin = core.create_organization("Agency", admin_name="Dana", default_region="IL")
    s = core.session(admin.id)
    reachable = paths(s.workflow.current())
    goals = ["", *sorted(reachable)]
    leads = []
    for n, pick in enumerate(targets):
        lead = s.leads.create(f"Lead {n}")
        drive(s, lead, reachable.get(goals[pick % len(goals)], []))
        leads.append(lead.id)

    for _ in range(data.draw(st.integers(1, 2))):
        clock.advance(timedelta(minutes=1))
        before = {lead_id: s.leads.get(lead_id) for lead_id in leads}
        old_version = s.workflow.current().version
        draft, mapping = data.draw(versions(s.workflow.current()))
        published = s.workflow.publish(draft, migration=mapping)
        current = s.workflow.current()

        assert published.version == current.version == old_version + 1
        assert [w.version for w in s.workflow.versions()] == list(range(1, current.version + 1))
        events = [e.event for e in core.events.read(org.id)]
        for lead_id in leads:
            lead = s.leads.get(lead_id)
            old = before[lead_id]
            # A lead may have no status yet; one it has is a status of the current version.
            assert lead.status_id is None or lead.status_id in current, lead
            if old.status_id in mapping:
                assert lead.status_id == mapping[old.status_id]
                assert lead.version == old.version + 1
                assert lead.workflow_version == current.version
            else:
                assert lead == old
            moves = status_moves(s, lead_id)
            changed = [
                (e.from_status, e.to_status)
                for e in events
                if isinstance(e, StatusChanged) and e.lead_id == lead_id
            ]
            assert moves == changed
            assert all(a[1] == b[0] for a, b in itertools.pairwise(moves))
            if moves:
                assert moves[-1][1] == lead.status_id
        moved = sum(1 for lead_id in leads if before[lead_id].status_id in mapping)
        event("leads moved" if moved else "no lead moved")
        migrations = [e for e in events if isinstance(e, StatusChanged) and e.reason == "migration"]
        assert len(migrations) == len({(e.lead_id, e.workflow_version) for e in migrations})
