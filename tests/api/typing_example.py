"""The main API as a user writes it, checked by ``mypy --strict`` (and run by test_typing_example).

Each ``assert_type`` states the type a caller gets; when a signature or a
return type changes, ``mypy --strict src tests`` fails here first. Keep it to
the public names and the conventions of ``docs/conventions.md``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import assert_type

from leadcore import (
    ConflictError,
    Decision,
    Leadcore,
    LeadcoreError,
    ManualClock,
    Organization,
    Session,
    TransitionRefused,
    User,
    Workflow,
)
from leadcore.calendar import DayView, Slot
from leadcore.dispatch import Claim, Pool, PoolKind, ProjectPools, ProjectRules
from leadcore.events import Event, StatusChanged, StoredEvent
from leadcore.leads import Cursor, Lead, LeadSettings, Page, Project
from leadcore.tenancy import Group, Partnership

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def open_a_session() -> tuple[Leadcore, Session]:
    """Open in memory, create an organisation, act as its admin."""
    core = Leadcore.open(clock=ManualClock(START))
    assert_type(core, Leadcore)
    made = core.create_organization("Agency", admin_name="Dana", timezone="Asia/Jerusalem")
    assert_type(made, tuple[Organization, User])
    s = core.session(made[1].id)
    assert_type(s, Session)
    assert_type(s.user_id, str)
    return core, s


def users_and_partners(s: Session) -> User:
    """Create a user and a group, add a supplier."""
    omer = s.users.create("Omer", "qualifier")
    assert_type(omer, User)
    group = s.users.create_group("Night shift", [omer.id])
    assert_type(group, Group)
    assert_type(s.users.groups(), list[Group])
    s.users.remove_group(group.id)
    supplier = s.partners.add_supplier("Leads Ltd", admin_name="Sam")
    assert_type(supplier, tuple[Organization, User])
    assert_type(s.partners.list(), list[Partnership])
    return omer


def leads(s: Session) -> Lead:
    """Create a lead, move it, page through the list."""
    assert_type(s.workflow.current(), Workflow)
    assert_type(s.leads.settings(), LeadSettings)
    lead = s.leads.create("Yossi Cohen", phones="+972 52 555 1234", channel="web")
    assert_type(lead, Lead)
    moved = s.leads.change_status(
        lead.id, "contacted", note="Called back", expected_version=lead.version
    )
    assert_type(moved, Lead)
    try:
        s.leads.change_status(lead.id, "contacted", expected_version=lead.version)
    except ConflictError as stale:
        assert_type(stale, ConflictError)
    except TransitionRefused as refused:
        assert_type(refused.codes, tuple[str, ...])
        assert_type(refused.decision, Decision)
    page = s.leads.list(limit=10)
    assert_type(page, Page)
    assert_type(page.items, tuple[Lead, ...])
    assert_type(page.next, Cursor | None)
    if page.next is not None:
        s.leads.list(limit=10, after=page.next)
    assert_type(s.leads.get(lead.id), Lead)
    return moved


def dispatch(core: Leadcore, s: Session, agent: User) -> Claim | None:
    """A project with one pool; the agent asks for the next lead and works under the claim."""
    project = s.leads.create_project("Spring", rules=ProjectRules(), member_ids=[agent.id])
    assert_type(project, Project)
    pools = s.dispatch.set_pools(project.id, [Pool("hot", PoolKind.PROJECT, "Hot")])
    assert_type(pools, ProjectPools)
    s.leads.create("Noa Levi", phones="+972 52 555 7777", project_id=project.id, pool_id="hot")
    as_agent = core.session(agent.id)
    claim = as_agent.dispatch.next(project.id)
    assert_type(claim, Claim | None)
    if claim is not None:
        assert_type(claim.token, int)
        as_agent.dispatch.release(claim.lead_id, claim.token)
    return claim


def calendar(s: Session, agent: User) -> tuple[Slot, ...]:
    """Views take who first, then when."""
    view = s.calendar.day([s.user_id, agent.id], date(2026, 3, 3))
    assert_type(view, DayView)
    window = (START + timedelta(days=1), START + timedelta(days=2))
    slots = s.calendar.free_slots([s.user_id, agent.id], timedelta(minutes=30), window)
    assert_type(slots, tuple[Slot, ...])
    return slots


def events(core: Leadcore, s: Session) -> list[StoredEvent]:
    """Read the organisation's events from the outbox."""
    stored = core.events.read(s.organization_id, after=0)
    assert_type(stored, list[StoredEvent])
    for item in stored:
        assert_type(item.event, Event)
        if isinstance(item.event, StatusChanged):
            assert_type(item.event.lead_id, str)
    return stored


def main() -> None:
    """Run every example once (the test calls it)."""
    core, s = open_a_session()
    try:
        agent = users_and_partners(s)
        leads(s)
        assert dispatch(core, s, agent) is not None
        calendar(s, agent)
        assert events(core, s)
    except LeadcoreError as err:  # pragma: no cover - the examples must not fail
        raise AssertionError(err) from err
    finally:
        core.close()


if __name__ == "__main__":
    main()
