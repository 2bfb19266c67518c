"""The facade: opening leadcore, creating organisations, sessions, and ``s.workflow``."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from leadcore import (
    Forbidden,
    Leadcore,
    ManualClock,
    MemoryStorage,
    MigrationInvalid,
    NotFound,
    Organization,
    Role,
    Session,
    User,
    ValidationError,
    Workflow,
    WorkflowInvalid,
    sample_workflow,
)
from leadcore.ids import SequentialIds
from leadcore.tenancy import OrganizationKind
from leadcore.workflow import MigrationPlan

T0 = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


@pytest.fixture
def core() -> Leadcore:
    return Leadcore.open(clock=ManualClock(T0), ids=SequentialIds())


@pytest.fixture
def agency(core: Leadcore) -> tuple[Organization, User]:
    return core.create_organization(
        "Agency", admin_name="Dana", default_region="IL", timezone="Asia/Jerusalem"
    )


@pytest.fixture
def s(core: Leadcore, agency: tuple[Organization, User]) -> Session:
    return core.session(agency[1].id)


def _without(definition: dict[str, Any], status_id: str) -> dict[str, Any]:
    """The definition with one status, and every mention of it, removed."""
    statuses = [dict(st) for st in definition["status"] if st["id"] != status_id]
    for st in statuses:
        st["next"] = [n for n in st.get("next", []) if n != status_id]
    return {**definition, "status": statuses}


def _renamed(definition: dict[str, Any], status_id: str, name: str) -> dict[str, Any]:
    statuses = [dict(st, name=name) if st["id"] == status_id else st for st in definition["status"]]
    return {**definition, "status": statuses}


# -- opening --------------------------------------------------------------------------------


def test_open_without_a_url_keeps_everything_in_memory() -> None:
    for core in (Leadcore.open(), Leadcore.open("memory://"), Leadcore()):
        assert isinstance(core.storage, MemoryStorage)


def test_open_refuses_a_storage_url_it_cannot_serve() -> None:
    with pytest.raises(ValidationError) as caught:
        Leadcore.open("nosuch://somewhere")
    assert caught.value.problems
    assert all(p.startswith("url: ") for p in caught.value.problems)


def test_a_core_uses_the_storage_and_clock_it_is_given() -> None:
    storage, clock = MemoryStorage(), ManualClock(T0)
    core = Leadcore(storage=storage, clock=clock, ids=SequentialIds())
    org, admin = core.create_organization("Agency", admin_name="Dana")
    assert core.storage is storage
    assert org.created_at == T0
    with storage.unit_of_work() as uow:
        assert uow.organizations.get(org.id) == org
        assert uow.users.get(org.id, admin.id) == admin


def test_a_core_is_a_context_manager() -> None:
    with Leadcore.open() as core:
        org, _ = core.create_organization("Agency", admin_name="Dana")
    assert org.name == "Agency"


# -- organisations ------------------------------------------------------------------------------


def test_a_new_organization_has_an_account_manager_and_the_sample_workflow(
    core: Leadcore, agency: tuple[Organization, User]
) -> None:
    org, admin = agency
    assert org.kind is OrganizationKind.FULL
    assert org.created_by is None
    assert (org.name, org.default_region, org.timezone) == ("Agency", "IL", "Asia/Jerusalem")
    assert admin.organization_id == org.id
    assert admin.role is Role.ACCOUNT_MANAGER
    assert admin.active
    s = core.session(admin.id)
    current = s.workflow.current()
    assert current.version == 1
    assert current.to_dict() | {"version": 1} == sample_workflow().to_dict() | {"version": 1}
    assert [u.id for u in s.users.list()] == [admin.id]


def test_a_new_organization_may_start_with_its_own_workflow(core: Leadcore) -> None:
    qualification = sample_workflow("qualification.he")
    _, admin = core.create_organization("Call centre", admin_name="Avi", workflow=qualification)
    current = core.session(admin.id).workflow.current()
    assert current.id == "qualification"
    assert current.version == 1


def test_names_are_stripped_of_surrounding_spaces(core: Leadcore) -> None:
    org, admin = core.create_organization("  Agency ", admin_name=" Dana  ")
    assert (org.name, admin.name) == ("Agency", "Dana")


def test_creating_an_organization_names_every_bad_input_at_once(core: Leadcore) -> None:
    with pytest.raises(ValidationError) as caught:
        core.create_organization(" ", admin_name="", default_region="XX", timezone="Mars/Base")
    paths = [p.split(":", 1)[0] for p in caught.value.problems]
    assert paths == ["name", "admin_name", "default_region", "timezone"]
    assert "'XX'" in caught.value.problems[2]
    assert "'Mars/Base'" in caught.value.problems[3]
    assert isinstance(caught.value, ValueError)


def test_a_name_longer_than_200_characters_is_refused(core: Leadcore) -> None:
    with pytest.raises(ValidationError, match="at most 200"):
        core.create_organization("A" * 201, admin_name="Dana")


# -- sessions ------------------------------------------------------------------------------


def test_a_session_acts_as_its_user_in_their_organization(
    s: Session, agency: tuple[Organization, User]
) -> None:
    org, admin = agency
    assert (s.user_id, s.organization_id) == (admin.id, org.id)
    assert s.users.me() == admin
    assert repr(s) == f"Session(user_id={admin.id!r}, organization_id={org.id!r})"


def test_an_unknown_user_cannot_open_a_session(core: Leadcore) -> None:
    with pytest.raises(NotFound) as caught:
        core.session("user-404")
    assert str(caught.value) == "user 'user-404' not found"
    assert isinstance(caught.value, LookupError)


def test_an_inactive_user_cannot_open_a_session(core: Leadcore, s: Session) -> None:
    avi = s.users.create("Avi", "qualifier")
    s.users.deactivate(avi.id)
    with pytest.raises(Forbidden, match="inactive") as caught:
        core.session(avi.id)
    assert isinstance(caught.value, PermissionError)


def test_a_user_deactivated_during_a_session_can_do_nothing_more(
    core: Leadcore, s: Session
) -> None:
    avi = s.users.create("Avi", "qualifier")
    avi_session = core.session(avi.id)
    assert avi_session.users.me() == avi
    s.users.deactivate(avi.id)
    with pytest.raises(Forbidden, match="inactive"):
        avi_session.users.me()
    with pytest.raises(Forbidden):
        avi_session.workflow.current()


# -- workflows ------------------------------------------------------------------------------


def test_publishing_makes_a_new_current_version(s: Session) -> None:
    first = s.workflow.current()
    renamed = Workflow.from_dict(_renamed(first.to_dict(), "new", "Fresh"))
    published = s.workflow.publish(renamed)
    assert published.version == 2
    assert s.workflow.current() == published
    assert s.workflow.current().status("new").name == "Fresh"
    assert [wf.version for wf in s.workflow.versions()] == [1, 2]
    assert s.workflow.get(1) == first
    assert s.workflow.get(2) == published


def test_a_workflow_may_be_published_from_a_definition(s: Session) -> None:
    published = s.workflow.publish(_renamed(s.workflow.current().to_dict(), "won", "Sold"))
    assert published.status("won").name == "Sold"


def test_the_version_given_in_a_definition_does_not_matter(s: Session) -> None:
    definition = s.workflow.current().to_dict() | {"version": 7}
    assert s.workflow.publish(definition).version == 2


def test_an_unknown_version_is_not_found(s: Session) -> None:
    with pytest.raises(NotFound) as caught:
        s.workflow.get(99)
    assert str(caught.value) == "leads workflow version 99 not found"


def test_a_workflow_kind_never_published_is_not_found(s: Session) -> None:
    with pytest.raises(NotFound):
        s.workflow.current("activities")
    assert s.workflow.versions("activities") == []
    with pytest.raises(NotFound):
        s.workflow.preview(sample_workflow(), "activities")


def test_a_first_version_of_another_kind_may_be_published(s: Session) -> None:
    published = s.workflow.publish(sample_workflow("qualification.he"), kind="qualification")
    assert published.version == 1
    assert s.workflow.current("qualification") == published
    assert s.workflow.current().id == "sales"


def test_preview_shows_what_publishing_would_change_and_publishes_nothing(s: Session) -> None:
    current = s.workflow.current()
    change = _renamed(_without(current.to_dict(), "do_not_call"), "new", "Fresh")
    diff = s.workflow.preview(change)
    assert diff.removed == ("do_not_call",)
    assert diff.renamed == (("new", "New", "Fresh"),)
    assert diff.new.version == 2
    assert s.workflow.versions() == [current]


def test_an_invalid_workflow_is_refused_and_nothing_is_published(s: Session) -> None:
    definition: dict[str, Any] = s.workflow.current().to_dict()
    definition["status"][0]["next"] = ["nowhere"]
    with pytest.raises(WorkflowInvalid):
        s.workflow.publish(definition)
    assert len(s.workflow.versions()) == 1


def test_removing_a_status_without_leads_needs_no_mapping(s: Session) -> None:
    published = s.workflow.publish(_without(s.workflow.current().to_dict(), "do_not_call"))
    assert "do_not_call" not in published


def test_a_migration_mapping_may_move_a_removed_status(s: Session) -> None:
    smaller = _without(s.workflow.current().to_dict(), "do_not_call")
    assert s.workflow.publish(smaller, {"do_not_call": "not_relevant"}).version == 2
    plan = MigrationPlan(from_version=2, to_version=3, moves={"not_relevant": "won"})
    assert s.workflow.publish(_without(smaller, "not_relevant"), plan).version == 3


def test_a_wrong_migration_mapping_names_every_problem_and_publishes_nothing(s: Session) -> None:
    smaller = _without(s.workflow.current().to_dict(), "do_not_call")
    mapping = {"do_not_call": "archived", "won": "lost"}
    with pytest.raises(MigrationInvalid) as caught:
        s.workflow.publish(smaller, mapping)
    problems = caught.value.problems
    assert len(problems) == 2
    assert any("mapping['do_not_call']" in p and "'archived'" in p for p in problems)
    assert any("mapping['won']" in p and "not a status removed" in p for p in problems)
    assert isinstance(caught.value, ValueError)
    assert len(s.workflow.versions()) == 1


def test_publishing_in_one_organization_leaves_the_other_s_workflow(
    core: Leadcore, s: Session
) -> None:
    _, other_admin = core.create_organization("Other agency", admin_name="Dana")
    other = core.session(other_admin.id)
    s.workflow.publish(_renamed(s.workflow.current().to_dict(), "new", "Fresh"))
    assert other.workflow.current().status("new").name == "New"
    assert len(other.workflow.versions()) == 1
    with pytest.raises(NotFound):
        other.workflow.get(2)
