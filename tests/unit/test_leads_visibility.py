"""Who sees which leads (all, campaigns, routed to them), projects, and assignment."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from leadcore import Leadcore
from leadcore.core import Session
from leadcore.dispatch import HistoryScope, ProjectRules
from leadcore.errors import ConflictError, Forbidden, NotFound, ValidationError
from leadcore.leads import HistoryKind, Lead, Project, TaskDraft


def as_user(core: Leadcore, s: Session, name: str, role: str) -> Session:
    return core.session(s.users.create(name, role).id)


def ids(page_items: tuple[Lead, ...]) -> set[str]:
    return {lead.id for lead in page_items}


# -- visibility by role ----------------------------------------------------------------


@pytest.fixture
def world(core: Leadcore, s: Session) -> dict[str, object]:
    qualifier = as_user(core, s, "Quinn", "qualifier")  # campaign leads
    seller = as_user(core, s, "Sam", "salesperson")  # routed leads
    manager = as_user(core, s, "Maya", "sales_manager")  # all leads
    mine = s.leads.create_project("Mine", member_ids=[qualifier.user_id])
    other = s.leads.create_project("Other")
    leads = {
        "in_mine": s.leads.create("In mine", project_id=mine.id),
        "in_other": s.leads.create("In other", project_id=other.id),
        "routed": s.leads.create("Routed", assignee_ids=[seller.user_id]),
        "loose": s.leads.create("Loose"),
    }
    return {"qualifier": qualifier, "seller": seller, "manager": manager, "leads": leads}


def test_each_role_lists_only_the_leads_it_may_see(s: Session, world: dict[str, object]) -> None:
    leads = world["leads"]
    assert isinstance(leads, dict)
    expected = {
        "qualifier": {leads["in_mine"].id},
        "seller": {leads["routed"].id},
        "manager": {lead.id for lead in leads.values()},
    }
    for who, wanted in expected.items():
        session = world[who]
        assert isinstance(session, Session)
        assert ids(session.leads.list().items) == wanted, who
        assert sum(session.leads.status_counts().values()) == len(wanted), who


def test_a_user_with_no_visibility_permission_sees_nothing(
    core: Leadcore, s: Session, world: dict[str, object]
) -> None:
    blind = s.users.create("Bo", "qualifier")
    s.users.revoke(blind.id, "see_campaign_leads")
    assert core.session(blind.id).leads.list().items == ()


ACTIONS: list[tuple[str, Callable[[Session, str], object]]] = [
    ("get", lambda s, i: s.leads.get(i)),
    ("history", lambda s, i: s.leads.history(i).items),
    ("notes", lambda s, i: s.leads.notes(i)),
    ("tasks", lambda s, i: s.leads.tasks(i)),
    ("change_status", lambda s, i: s.leads.change_status(i, "new")),
    ("add_note", lambda s, i: s.leads.add_note(i, "hello")),
    ("add_task", lambda s, i: s.leads.add_task(i, TaskDraft("Call"))),
    ("update", lambda s, i: s.leads.update(i, name="Renamed")),
    ("convert", lambda s, i: s.leads.convert(i)),
    ("lineage", lambda s, i: s.leads.lineage(i)),
]


@pytest.mark.parametrize(("name", "action"), ACTIONS, ids=[a[0] for a in ACTIONS])
def test_an_invisible_lead_is_answered_exactly_like_a_missing_one(
    s: Session, world: dict[str, object], name: str, action: Callable[[Session, str], object]
) -> None:
    seller = world["seller"]
    leads = world["leads"]
    assert isinstance(seller, Session)
    assert isinstance(leads, dict)
    hidden = leads["loose"].id
    with pytest.raises(NotFound) as invisible:
        action(seller, hidden)
    with pytest.raises(NotFound) as missing:
        action(seller, "lead-404")
    assert type(invisible.value) is type(missing.value)
    assert str(invisible.value) == str(missing.value).replace("lead-404", hidden)
    assert s.leads.get(hidden) == leads["loose"]  # and nothing was written


def test_routing_a_lead_to_a_salesperson_makes_it_visible_to_them(
    s: Session, world: dict[str, object]
) -> None:
    seller = world["seller"]
    leads = world["leads"]
    assert isinstance(seller, Session)
    assert isinstance(leads, dict)
    loose = leads["loose"]
    s.leads.assign(loose.id, [seller.user_id])
    assert seller.leads.get(loose.id).assignee_ids == (seller.user_id,)


# -- projects --------------------------------------------------------------------------


def test_a_project_starts_with_the_documented_default_rules(s: Session) -> None:
    project = s.leads.create_project("  Outbound ")
    assert isinstance(project, Project)
    assert project.name == "Outbound"
    assert project.active
    rules = project.rules
    assert not rules.force_notes_on_status_change
    assert rules.history_scope is HistoryScope.ALL
    assert not rules.share_reminders_in_group
    assert not rules.allow_multiple_relationships
    assert s.leads.project(project.id) == project


def test_project_rules_round_trip_as_plain_data() -> None:
    rules = ProjectRules(
        force_notes_on_status_change=True,
        history_scope=HistoryScope.GROUP,
        share_reminders_in_group=True,
        allow_multiple_relationships=True,
    )
    assert ProjectRules.from_dict(rules.to_dict()) == rules
    with pytest.raises(ValidationError, match="force_notes_on_status_change"):
        ProjectRules(force_notes_on_status_change="yes")  # type: ignore[arg-type]


def test_projects_are_listed_by_name_and_can_change(s: Session) -> None:
    agent = s.users.create("Avi", "qualifier")
    b = s.leads.create_project("B")
    a = s.leads.create_project("A")
    assert [p.name for p in s.leads.projects()] == ["A", "B"]
    changed = s.leads.update_project(
        b.id,
        name="Bee",
        rules=ProjectRules(force_notes_on_status_change=True),
        member_ids=[agent.id],
        active=False,
    )
    assert (changed.name, changed.active) == ("Bee", False)
    assert changed.member_ids == frozenset({agent.id})
    assert changed.rules.force_notes_on_status_change
    assert s.leads.project(a.id).name == "A"


def test_bad_project_input_is_refused(s: Session) -> None:
    with pytest.raises(ValidationError, match="name"):
        s.leads.create_project(" ")
    with pytest.raises(NotFound, match="user"):
        s.leads.create_project("P", member_ids=["user-404"])
    with pytest.raises(NotFound, match="project"):
        s.leads.project("project-404")
    with pytest.raises(NotFound, match="project"):
        s.leads.update_project("project-404", name="X")
    assert s.leads.projects() == []


def test_projects_are_managed_with_manage_dispatch(core: Leadcore, s: Session) -> None:
    seller = as_user(core, s, "Sam", "salesperson")
    with pytest.raises(Forbidden, match="manage_dispatch"):
        seller.leads.create_project("Mine")


# -- assignment ------------------------------------------------------------------------


def test_assigning_replaces_the_assignees_and_is_recorded(s: Session) -> None:
    avi = s.users.create("Avi", "salesperson")
    ben = s.users.create("Ben", "salesperson")
    lead = s.leads.create("Yossi")
    assigned = s.leads.assign(lead.id, [avi.id], expected_version=lead.version)
    assert assigned.assignee_ids == (avi.id,)
    assert assigned.version == lead.version + 1
    entry = s.leads.history(lead.id).items[0]
    assert (entry.kind, entry.text) == (HistoryKind.ASSIGNED, avi.id)
    assert s.leads.assign(lead.id, [ben.id]).assignee_ids == (ben.id,)
    assert s.leads.assign(lead.id, []).assignee_ids == ()
    assert s.leads.history(lead.id).items[0].text == "nobody"
    assert s.leads.assign(lead.id, avi.id).assignee_ids == (avi.id,)  # one id as text


def test_several_assignees_need_a_project_that_allows_multiple_relationships(
    s: Session,
) -> None:
    avi = s.users.create("Avi", "salesperson")
    ben = s.users.create("Ben", "salesperson")
    single = s.leads.create_project("Single")
    multi = s.leads.create_project("Multi", rules=ProjectRules(allow_multiple_relationships=True))
    for lead in (s.leads.create("Loose"), s.leads.create("Single", project_id=single.id)):
        with pytest.raises(ValidationError, match="multiple relationships"):
            s.leads.assign(lead.id, [avi.id, ben.id])
        assert s.leads.get(lead.id).assignee_ids == ()
    shared = s.leads.create("Shared", project_id=multi.id)
    assert s.leads.assign(shared.id, [avi.id, ben.id, avi.id]).assignee_ids == (avi.id, ben.id)


def test_several_assignees_at_intake_follow_the_same_rule(s: Session) -> None:
    avi = s.users.create("Avi", "salesperson")
    ben = s.users.create("Ben", "salesperson")
    multi = s.leads.create_project("Multi", rules=ProjectRules(allow_multiple_relationships=True))
    with pytest.raises(ValidationError, match="multiple relationships"):
        s.leads.create("Loose", assignee_ids=[avi.id, ben.id])
    lead = s.leads.create("Shared", project_id=multi.id, assignee_ids=[avi.id, ben.id])
    assert lead.assignee_ids == (avi.id, ben.id)


def test_assignment_refuses_unknown_or_inactive_users_and_stale_versions(s: Session) -> None:
    avi = s.users.create("Avi", "salesperson")
    s.users.deactivate(avi.id)
    lead = s.leads.create("Yossi")
    with pytest.raises(NotFound):
        s.leads.assign(lead.id, [avi.id])
    with pytest.raises(NotFound):
        s.leads.assign(lead.id, ["user-404"])
    s.leads.assign(lead.id, [])
    with pytest.raises(ConflictError):
        s.leads.assign(lead.id, [], expected_version=lead.version)


def test_assignment_needs_assign_leads(core: Leadcore, s: Session) -> None:
    qualifier = as_user(core, s, "Quinn", "qualifier")
    lead = s.leads.create("Yossi")
    with pytest.raises(Forbidden, match="assign_leads"):
        qualifier.leads.assign(lead.id, [qualifier.user_id])
