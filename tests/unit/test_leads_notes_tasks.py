"""Notes, tasks and reminders, and the history they leave."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from tests.unit.conftest import START

from leadcore import Cursor, Leadcore
from leadcore.clock import ManualClock
from leadcore.core import Session
from leadcore.dispatch import HistoryScope, ProjectRules
from leadcore.errors import Forbidden, NotFound, ValidationError
from leadcore.leads import HistoryKind, Lead, TaskDraft, TaskKind


@pytest.fixture
def lead(s: Session) -> Lead:
    return s.leads.create("Yossi", phones=["050-555-1234"])


# -- notes -----------------------------------------------------------------------------


def test_a_note_is_stored_and_recorded_in_history(
    s: Session, lead: Lead, clock: ManualClock
) -> None:
    first = s.leads.add_note(lead.id, "  Interested in the premium plan ")
    clock.advance(timedelta(minutes=1))
    second = s.leads.add_note(lead.id, "Wants a call on Sunday")
    assert first.text == "Interested in the premium plan"
    assert s.leads.notes(lead.id) == [first, second]
    entry = s.leads.history(lead.id).items[0]
    assert (entry.kind, entry.note_id, entry.text) == (HistoryKind.NOTE, second.id, second.text)
    assert s.leads.get(lead.id).version == lead.version  # a note does not change the lead


def test_a_blank_note_is_refused(s: Session, lead: Lead) -> None:
    with pytest.raises(ValidationError, match="text: must not be blank"):
        s.leads.add_note(lead.id, " \n ")
    assert s.leads.notes(lead.id) == []


def test_notes_need_edit_leads(core: Leadcore, s: Session, lead: Lead) -> None:
    viewer = s.users.create("Vera", "sales_manager")
    s.users.revoke(viewer.id, "edit_leads")
    with pytest.raises(Forbidden, match="edit_leads"):
        core.session(viewer.id).leads.add_note(lead.id, "hello")


# -- tasks -----------------------------------------------------------------------------


def test_a_task_has_a_due_time_and_an_assignee(s: Session, lead: Lead) -> None:
    agent = s.users.create("Avi", "qualifier")
    due = START + timedelta(days=2)
    task = s.leads.add_task(lead.id, TaskDraft("Send the offer", due_at=due, assignee_id=agent.id))
    assert (task.title, task.due_at, task.assignee_id, task.created_by) == (
        "Send the offer",
        due,
        agent.id,
        s.user_id,
    )
    assert not task.done
    assert task.for_status is None
    callback = s.leads.add_task(
        lead.id, TaskDraft("Call", due_in=timedelta(hours=1), kind=TaskKind.CALLBACK)
    )
    assert callback.assignee_id == s.user_id
    assert callback.due_at == START + timedelta(hours=1)
    assert s.leads.tasks(lead.id) == [callback, task]  # by due time
    entry = s.leads.history(lead.id).items[0]
    assert (entry.kind, entry.task_id) == (HistoryKind.TASK_CREATED, callback.id)


def test_a_task_for_an_unknown_user_is_refused(s: Session, lead: Lead) -> None:
    with pytest.raises(NotFound, match="user"):
        s.leads.add_task(lead.id, TaskDraft("Call", assignee_id="user-404"))
    assert s.leads.tasks(lead.id) == []


def test_completing_a_task_is_recorded_in_history(
    core: Leadcore, s: Session, lead: Lead, clock: ManualClock
) -> None:
    agent = s.users.create("Avi", "sales_manager")
    task = s.leads.add_task(lead.id, TaskDraft("Call", assignee_id=agent.id))
    clock.advance(timedelta(hours=3))
    done = core.session(agent.id).leads.complete_task(task.id)
    assert done.done
    assert (done.completed_at, done.completed_by) == (START + timedelta(hours=3), agent.id)
    entry = s.leads.history(lead.id).items[0]
    assert (entry.kind, entry.task_id, entry.actor_id) == (
        HistoryKind.TASK_COMPLETED,
        task.id,
        agent.id,
    )
    # Completing it again changes nothing.
    assert s.leads.complete_task(task.id) == done
    assert len(s.leads.history(lead.id).items) == 3


def test_completing_an_unknown_task_is_not_found(s: Session) -> None:
    with pytest.raises(NotFound, match="task 'task-404'"):
        s.leads.complete_task("task-404")


def test_a_task_on_a_lead_the_user_cannot_see_is_not_found_like_a_missing_one(
    core: Leadcore, s: Session, lead: Lead
) -> None:
    task = s.leads.add_task(lead.id, TaskDraft("Call"))
    seller = s.users.create("Sam", "salesperson")  # sees only leads routed to them
    with pytest.raises(NotFound) as hidden:
        core.session(seller.id).leads.complete_task(task.id)
    with pytest.raises(NotFound) as missing:
        core.session(seller.id).leads.complete_task("task-404")
    assert str(hidden.value) == str(missing.value).replace("task-404", task.id)
    assert not s.leads.tasks(lead.id)[0].done


# -- reminders -------------------------------------------------------------------------


def test_my_due_reminders_are_my_open_tasks_due_by_now(
    core: Leadcore, s: Session, lead: Lead, clock: ManualClock
) -> None:
    other = s.users.create("Avi", "sales_manager")
    soon = s.leads.add_task(lead.id, TaskDraft("Soon", due_in=timedelta(hours=1)))
    later = s.leads.add_task(lead.id, TaskDraft("Later", due_in=timedelta(days=1)))
    s.leads.add_task(
        lead.id, TaskDraft("Not mine", due_in=timedelta(hours=1), assignee_id=other.id)
    )
    assert s.leads.due_reminders() == []
    clock.advance(timedelta(hours=2))
    assert s.leads.due_reminders() == [soon]
    assert s.leads.due_reminders(until=START + timedelta(days=2)) == [soon, later]
    s.leads.complete_task(soon.id)
    assert s.leads.due_reminders() == []
    with pytest.raises(ValidationError, match="until: must be timezone-aware"):
        s.leads.due_reminders(until=datetime(2026, 3, 3))


def test_group_mates_see_each_others_reminders_where_the_project_shares_them(
    core: Leadcore, s: Session, clock: ManualClock
) -> None:
    avi = s.users.create("Avi", "sales_manager")
    ben = s.users.create("Ben", "sales_manager")
    outsider = s.users.create("Omer", "sales_manager")
    s.users.create_group("Team A", [avi.id, ben.id])
    shared = s.leads.create_project("Shared", rules=ProjectRules(share_reminders_in_group=True))
    private = s.leads.create_project("Private")
    on_shared = s.leads.create("On shared", project_id=shared.id)
    on_private = s.leads.create("On private", project_id=private.id)
    no_project = s.leads.create("No project")
    call = TaskDraft("Call", due_in=timedelta(minutes=30), assignee_id=ben.id)
    visible = s.leads.add_task(on_shared.id, call)
    s.leads.add_task(on_private.id, call)
    s.leads.add_task(no_project.id, call)
    clock.advance(timedelta(hours=1))
    assert core.session(avi.id).leads.due_reminders() == [visible]
    assert core.session(outsider.id).leads.due_reminders() == []
    assert len(core.session(ben.id).leads.due_reminders()) == 3


def test_a_shared_reminder_on_a_lead_the_user_cannot_see_stays_hidden(
    core: Leadcore, s: Session, clock: ManualClock
) -> None:
    seller = s.users.create("Sam", "salesperson")  # sees only leads routed to them
    mate = s.users.create("Ben", "sales_manager")
    s.users.create_group("Team", [seller.id, mate.id])
    shared = s.leads.create_project("Shared", rules=ProjectRules(share_reminders_in_group=True))
    routed = s.leads.create("Routed", project_id=shared.id, assignee_ids=[seller.id])
    hidden = s.leads.create("Hidden", project_id=shared.id)
    call = TaskDraft("Call", due_in=timedelta(minutes=30), assignee_id=mate.id)
    seen = s.leads.add_task(routed.id, call)
    s.leads.add_task(hidden.id, call)
    clock.advance(timedelta(hours=1))
    assert core.session(seller.id).leads.due_reminders() == [seen]


# -- history ---------------------------------------------------------------------------


def test_history_is_newest_first_and_paginated(s: Session, lead: Lead, clock: ManualClock) -> None:
    for i in range(7):
        clock.advance(timedelta(minutes=1))
        s.leads.add_note(lead.id, f"note {i}")
    everything = s.leads.history(lead.id).items
    assert [e.text for e in everything] == [f"note {i}" for i in reversed(range(7))] + [None]
    assert [e.at for e in everything] == sorted((e.at for e in everything), reverse=True)
    pages = [s.leads.history(lead.id, limit=3)]
    while pages[-1].next is not None:
        pages.append(s.leads.history(lead.id, limit=3, after=pages[-1].next))
    assert [len(p.items) for p in pages] == [3, 3, 2]
    assert tuple(e for p in pages for e in p.items) == everything


def test_a_history_page_goes_on_after_its_cursor_while_entries_are_added(
    s: Session, lead: Lead, clock: ManualClock
) -> None:
    for i in range(4):
        clock.advance(timedelta(minutes=1))
        s.leads.add_note(lead.id, f"note {i}")
    first = s.leads.history(lead.id, limit=2)
    clock.advance(timedelta(minutes=1))
    s.leads.add_note(lead.id, "newer")
    rest = s.leads.history(lead.id, limit=10, after=first.next)
    texts = [e.text for e in first.items + rest.items]
    assert texts == ["note 3", "note 2", "note 1", "note 0", None]
    assert rest.next is None


def test_history_by_offset_and_as_a_list_still_work_with_a_warning(s: Session, lead: Lead) -> None:
    for i in range(3):
        s.leads.add_note(lead.id, f"note {i}")
    everything = s.leads.history(lead.id).items
    with pytest.deprecated_call(match=r"offset= is now after= \(pass page.next\)"):
        page = s.leads.history(lead.id, limit=2, offset=1)
    assert page.items == everything[1:3]
    assert page.next == Cursor(everything[2].at, everything[2].id)
    with pytest.deprecated_call(match="history\\(\\) returns a page"):
        assert page[0] == everything[1]
    with pytest.deprecated_call(match="history\\(\\) returns a page"):
        assert [e.id for e in page] == [e.id for e in everything[1:3]]
    with pytest.deprecated_call(match="history\\(\\) returns a page"):
        assert len(page) == 2


def test_entries_of_the_same_instant_are_newest_first_by_when_they_were_written(
    s: Session, lead: Lead
) -> None:
    s.leads.add_note(lead.id, "first")
    s.leads.add_note(lead.id, "second")
    assert [e.text for e in s.leads.history(lead.id).items] == ["second", "first", None]


def test_own_history_scope_limits_users_without_see_team_history(
    core: Leadcore, s: Session
) -> None:
    own = s.leads.create_project("Private", rules=ProjectRules(history_scope=HistoryScope.OWN))
    team = s.leads.create_project("Team")
    avi = s.users.create("Avi", "qualifier")  # no see_team_history
    manager = s.users.create("Maya", "qualifier_manager")  # has see_team_history
    s.leads.update_project(own.id, member_ids=[avi.id, manager.id])
    s.leads.update_project(team.id, member_ids=[avi.id, manager.id])
    for project in (own, team):
        lead = s.leads.create(f"On {project.name}", project_id=project.id)
        s.leads.add_note(lead.id, "by Dana")
        core.session(avi.id).leads.add_note(lead.id, "by Avi")
        core.session(manager.id).leads.add_note(lead.id, "by Maya")
        avi_sees = [e.text for e in core.session(avi.id).leads.history(lead.id).items]
        manager_sees = [e.text for e in core.session(manager.id).leads.history(lead.id).items]
        assert manager_sees == ["by Maya", "by Avi", "by Dana", None]
        if project is own:
            assert avi_sees == ["by Avi"]
        else:
            assert avi_sees == manager_sees


def test_group_history_scope_shows_the_entries_of_group_mates_only(
    core: Leadcore, s: Session
) -> None:
    shared = s.leads.create_project("Shared", rules=ProjectRules(history_scope=HistoryScope.GROUP))
    avi = s.users.create("Avi", "qualifier")  # no see_team_history
    noa = s.users.create("Noa", "qualifier")
    gil = s.users.create("Gil", "qualifier")
    manager = s.users.create("Maya", "qualifier_manager")  # has see_team_history
    s.users.create_group("Morning", [avi.id, noa.id])
    s.leads.update_project(shared.id, member_ids=[avi.id, noa.id, gil.id, manager.id])
    lead = s.leads.create("Shared lead", project_id=shared.id)
    for user in (avi, noa, gil, manager):
        core.session(user.id).leads.add_note(lead.id, f"by {user.name}")

    def seen(user_id: str) -> list[str | None]:
        return [e.text for e in core.session(user_id).leads.history(lead.id).items]

    assert seen(avi.id) == ["by Noa", "by Avi"]
    assert seen(noa.id) == ["by Noa", "by Avi"]
    assert seen(gil.id) == ["by Gil"]
    assert seen(manager.id) == ["by Maya", "by Gil", "by Noa", "by Avi", None]


def test_the_old_own_history_flag_warns_and_means_the_own_scope() -> None:
    with pytest.warns(DeprecationWarning, match="history_scope"):
        rules = ProjectRules(show_only_own_history=True)
    assert rules.history_scope is HistoryScope.OWN
    with pytest.warns(DeprecationWarning, match="history_scope"):
        assert ProjectRules(show_only_own_history=False).history_scope is HistoryScope.ALL
    with (
        pytest.warns(DeprecationWarning, match="deprecated"),
        pytest.raises(ValidationError, match="contradicts"),
    ):
        ProjectRules(show_only_own_history=True, history_scope=HistoryScope.GROUP)


def test_rules_stored_with_the_old_flag_load_as_a_scope_without_warning() -> None:
    assert ProjectRules.from_dict({"show_only_own_history": True}).history_scope is (
        HistoryScope.OWN
    )
    assert ProjectRules.from_dict({"show_only_own_history": False}).history_scope is (
        HistoryScope.ALL
    )
    assert "show_only_own_history" not in ProjectRules(history_scope=HistoryScope.OWN).to_dict()
