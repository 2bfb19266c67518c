"""Status changes: one decision point, the task a status requires, one history entry, or nothing."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

import pytest
from tests.unit.conftest import START

from leadcore import Leadcore
from leadcore.clock import ManualClock
from leadcore.core import Session
from leadcore.dispatch import ProjectRules
from leadcore.errors import (
    ConflictError,
    Forbidden,
    LeadConverted,
    NotFound,
    TransitionRefused,
    ValidationError,
)
from leadcore.leads import HistoryKind, Lead, TaskDraft, TaskKind


@pytest.fixture
def qualifier(core: Leadcore, s: Session) -> Session:
    """A user restricted to next stages, who sees every lead."""
    user = s.users.create("Avi", "qualifier")
    s.users.grant(user.id, "see_all_leads")
    return core.session(user.id)


@pytest.fixture
def lead(s: Session) -> Lead:
    return s.leads.create("Yossi", phones=["050-555-1234"])


def snapshot(s: Session, lead_id: str) -> tuple[object, ...]:
    """Everything a status change could write about a lead."""
    return (
        s.leads.get(lead_id),
        s.leads.history(lead_id, limit=1000).items,
        s.leads.notes(lead_id),
        s.leads.tasks(lead_id),
    )


def moves(s: Session, lead_id: str) -> list[tuple[str | None, str | None]]:
    return [
        (e.from_status, e.to_status)
        for e in s.leads.history(lead_id, limit=1000).items
        if e.kind is HistoryKind.STATUS_CHANGED
    ]


# -- the decision ----------------------------------------------------------------------


def test_a_change_moves_the_lead_and_writes_one_history_entry(
    s: Session, lead: Lead, clock: ManualClock
) -> None:
    clock.advance(timedelta(minutes=5))
    moved = s.leads.change_status(lead.id, "new")
    assert (moved.status_id, moved.workflow_version, moved.version) == ("new", 1, 2)
    assert moved.updated_at == START + timedelta(minutes=5)
    assert s.leads.get(lead.id) == moved
    entry = s.leads.history(lead.id).items[0]
    assert entry.kind is HistoryKind.STATUS_CHANGED
    assert (entry.from_status, entry.to_status) == (None, "new")
    assert (entry.actor_id, entry.at) == (s.user_id, START + timedelta(minutes=5))
    assert (entry.note_id, entry.task_id, entry.text) == (None, None, None)


def test_a_note_given_with_the_change_is_stored_and_linked(s: Session, lead: Lead) -> None:
    s.leads.change_status(lead.id, "new")
    s.leads.change_status(lead.id, "contacted", note="  Spoke to Yossi  ")
    [note] = s.leads.notes(lead.id)
    assert (note.text, note.author_id) == ("Spoke to Yossi", s.user_id)
    entry = s.leads.history(lead.id).items[0]
    assert (entry.note_id, entry.text, entry.to_status) == (note.id, note.text, "contacted")


@pytest.mark.parametrize(
    ("target", "note", "code"),
    [
        ("contacted", None, "note-required"),
        ("contacted", "   ", "note-required"),
        ("callback", "call on Sunday", "task-required"),
        ("nowhere", None, "unknown-status"),
        ("new", None, "same-status"),
    ],
)
def test_a_refused_change_says_why_and_writes_nothing(
    s: Session, lead: Lead, target: str, note: str | None, code: str
) -> None:
    s.leads.change_status(lead.id, "new")
    before = snapshot(s, lead.id)
    with pytest.raises(TransitionRefused) as err:
        s.leads.change_status(lead.id, target, note=note)
    assert code in err.value.codes
    assert err.value.lead_id == lead.id
    assert snapshot(s, lead.id) == before


def test_every_reason_is_given_at_once(qualifier: Session, lead: Lead) -> None:
    qualifier.leads.change_status(lead.id, "new")
    with pytest.raises(TransitionRefused) as err:
        qualifier.leads.change_status(lead.id, "meeting")
    assert err.value.codes == ("not-next-stage", "task-required")


def test_a_restricted_user_moves_only_to_next_stages(s: Session, qualifier: Session) -> None:
    lead = s.leads.create("Yossi")
    with pytest.raises(TransitionRefused) as err:
        qualifier.leads.change_status(lead.id, "qualified")
    assert err.value.codes == ("not-entry",)
    qualifier.leads.change_status(lead.id, "new")
    with pytest.raises(TransitionRefused, match="not-next-stage"):
        qualifier.leads.change_status(lead.id, "qualified")
    qualifier.leads.change_status(lead.id, "contacted", note="answered")
    assert qualifier.leads.change_status(lead.id, "qualified").status_id == "qualified"


def test_an_unrestricted_user_may_skip_stages(s: Session, lead: Lead) -> None:
    assert s.leads.change_status(lead.id, "qualified").status_id == "qualified"


def test_a_project_that_forces_notes_refuses_a_change_without_one(s: Session) -> None:
    project = s.leads.create_project(
        "Outbound", rules=ProjectRules(force_notes_on_status_change=True)
    )
    lead = s.leads.create("Yossi", project_id=project.id)
    free = s.leads.create("Dana")
    with pytest.raises(TransitionRefused) as err:
        s.leads.change_status(lead.id, "new")
    assert err.value.codes == ("note-forced",)
    assert s.leads.change_status(lead.id, "new", note="first call").status_id == "new"
    assert s.leads.change_status(free.id, "new").status_id == "new"


def test_changing_statuses_needs_the_permission(core: Leadcore, s: Session, lead: Lead) -> None:
    viewer = s.users.create("Vera", "sales_manager")
    s.users.revoke(viewer.id, "change_status")
    with pytest.raises(Forbidden, match="change_status"):
        core.session(viewer.id).leads.change_status(lead.id, "new")


def test_an_unknown_lead_is_not_found(s: Session) -> None:
    with pytest.raises(NotFound):
        s.leads.change_status("lead-404", "new")


# -- the required task -----------------------------------------------------------------


def test_a_status_that_requires_a_task_creates_it_with_the_change(
    core: Leadcore, s: Session, lead: Lead
) -> None:
    agent = s.users.create("Avi", "qualifier")
    s.leads.change_status(lead.id, "new")
    moved = s.leads.change_status(
        lead.id,
        "callback",
        task=TaskDraft("Call back", due_in=timedelta(days=1), assignee_id=agent.id),
    )
    assert moved.status_id == "callback"
    [task] = s.leads.tasks(lead.id)
    assert task.for_status == "callback"
    assert (task.assignee_id, task.created_by) == (agent.id, s.user_id)
    assert task.due_at == START + timedelta(days=1)
    assert task.kind is TaskKind.TASK
    kinds = [(e.kind, e.task_id) for e in s.leads.history(lead.id).items[:2]]
    assert kinds == [(HistoryKind.STATUS_CHANGED, task.id), (HistoryKind.TASK_CREATED, task.id)]


@pytest.mark.parametrize(
    ("draft", "error"),
    [
        (TaskDraft("Call back", assignee_id="user-404"), NotFound),
        (TaskDraft("   "), ValidationError),
        (TaskDraft("Call back", due_at=datetime(2026, 3, 3, 9)), ValidationError),
        (
            TaskDraft("Call back", due_at=START, due_in=timedelta(hours=1)),
            ValidationError,
        ),
    ],
)
def test_a_bad_required_task_refuses_the_whole_change(
    s: Session, lead: Lead, draft: TaskDraft, error: type[Exception]
) -> None:
    s.leads.change_status(lead.id, "new")
    before = snapshot(s, lead.id)
    with pytest.raises(error):
        s.leads.change_status(lead.id, "callback", note="will call", task=draft)
    assert snapshot(s, lead.id) == before


def test_an_inactive_assignee_refuses_the_change(s: Session, lead: Lead) -> None:
    agent = s.users.create("Avi", "qualifier")
    s.users.deactivate(agent.id)
    before = snapshot(s, lead.id)
    with pytest.raises(NotFound):
        s.leads.change_status(lead.id, "callback", task=TaskDraft("Call", assignee_id=agent.id))
    assert snapshot(s, lead.id) == before


# -- optimistic concurrency ------------------------------------------------------------


def test_a_stale_expected_version_is_a_conflict_and_writes_nothing(s: Session, lead: Lead) -> None:
    moved = s.leads.change_status(lead.id, "new", expected_version=lead.version)
    before = snapshot(s, lead.id)
    with pytest.raises(ConflictError, match="version 2, not 1"):
        s.leads.change_status(lead.id, "contacted", note="hi", expected_version=lead.version)
    assert snapshot(s, lead.id) == before
    assert (
        s.leads.change_status(
            lead.id, "contacted", note="hi", expected_version=moved.version
        ).version
        == moved.version + 1
    )


def race(core: Leadcore, user_id: str, lead: Lead) -> dict[str, Lead | Exception]:
    """Two threads move ``lead`` to different statuses, both expecting its current version."""
    barrier = threading.Barrier(2)
    results: dict[str, Lead | Exception] = {}

    def change(name: str, target: str) -> None:
        session = core.session(user_id)
        barrier.wait()
        try:
            results[name] = session.leads.change_status(
                lead.id, target, note=f"by {name}", expected_version=lead.version
            )
        except ConflictError as exc:
            results[name] = exc

    threads = [
        threading.Thread(target=change, args=("a", "new")),
        threading.Thread(target=change, args=("b", "no_answer")),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_two_threads_with_the_same_version_one_wins_and_no_update_is_lost(
    core: Leadcore, s: Session
) -> None:
    for round_ in range(20):
        lead = s.leads.create(f"Lead {round_}")
        results = race(core, s.user_id, lead)
        winners = [r for r in results.values() if isinstance(r, Lead)]
        losers = [r for r in results.values() if isinstance(r, ConflictError)]
        assert (len(winners), len(losers)) == (1, 1)
        [winner] = winners
        stored = s.leads.get(lead.id)
        assert stored == winner
        assert stored.version == lead.version + 1
        assert moves(s, lead.id) == [(None, winner.status_id)]
        assert len(s.leads.notes(lead.id)) == 1


# -- converted leads, bulk changes -----------------------------------------------------


def test_a_converted_lead_refuses_status_changes(s: Session, lead: Lead) -> None:
    s.leads.convert(lead.id)
    before = snapshot(s, lead.id)
    with pytest.raises(LeadConverted):
        s.leads.change_status(lead.id, "lost", note="gone")
    assert snapshot(s, lead.id) == before


def test_a_bulk_change_applies_the_same_checks_to_each_lead(s: Session, qualifier: Session) -> None:
    ready = s.leads.create("Ready")
    qualifier.leads.change_status(ready.id, "new")
    fresh = s.leads.create("Fresh")
    converted = s.leads.create("Converted")
    s.leads.convert(converted.id)
    result = qualifier.leads.change_status_many(
        [ready.id, fresh.id, converted.id, "lead-404"], "no_answer"
    )
    assert isinstance(result[ready.id], Lead)
    assert isinstance(result[fresh.id], TransitionRefused)
    assert isinstance(result[converted.id], LeadConverted)
    assert isinstance(result["lead-404"], NotFound)
    assert s.leads.get(fresh.id).status_id is None
    assert moves(s, ready.id) == [("new", "no_answer"), (None, "new")]
    assert moves(s, fresh.id) == []


def test_a_bulk_change_honours_forced_notes(s: Session) -> None:
    project = s.leads.create_project(
        "Outbound", rules=ProjectRules(force_notes_on_status_change=True)
    )
    forced = s.leads.create("Forced", project_id=project.id)
    free = s.leads.create("Free")
    result = s.leads.change_status_many([forced.id, free.id], "new")
    assert isinstance(result[forced.id], TransitionRefused)
    assert isinstance(result[free.id], Lead)
    noted = s.leads.change_status_many([forced.id], "new", note="bulk call")
    assert isinstance(noted[forced.id], Lead)
