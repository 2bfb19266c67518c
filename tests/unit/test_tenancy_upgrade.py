"""A basic partner account: managed by the organisation that created it, until it becomes full."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from leadcore import (
    ConflictError,
    Forbidden,
    Leadcore,
    ManualClock,
    NotFound,
    Organization,
    Session,
    User,
    ValidationError,
)
from leadcore.events import OrganizationUpgraded
from leadcore.ids import SequentialIds
from leadcore.tenancy import OrganizationKind

T0 = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


@pytest.fixture
def core() -> Leadcore:
    return Leadcore.open(clock=ManualClock(T0), ids=SequentialIds())


@pytest.fixture
def dana(core: Leadcore) -> User:
    return core.create_organization("Agency", admin_name="Dana")[1]


@pytest.fixture
def s(core: Leadcore, dana: User) -> Session:
    return core.session(dana.id)


@pytest.fixture
def supplier(s: Session) -> tuple[Organization, User, str]:
    org, sami = s.partners.add_supplier("Leads Ltd", admin_name="Sami")
    (link,) = s.partners.list()
    return org, sami, link.id


def test_the_agency_manages_the_users_of_a_basic_account_it_created(
    core: Leadcore, s: Session, supplier: tuple[Organization, User, str]
) -> None:
    org, sami, link = supplier
    rami = s.partners.create_user(link, " Rami ", "qualifier")
    assert (rami.organization_id, rami.name) == (org.id, "Rami")
    assert [u.name for u in s.partners.users(link)] == ["Rami", "Sami"]
    assert [u.id for u in core.session(sami.id).users.list()] == [rami.id, sami.id]
    assert not s.partners.deactivate_user(link, rami.id).active
    assert s.partners.activate_user(link, rami.id).active
    with pytest.raises(ConflictError, match="no active user who can manage users"):
        s.partners.deactivate_user(link, sami.id)
    with pytest.raises(NotFound):
        s.partners.deactivate_user(link, s.users.me().id)  # the agency's own user
    with pytest.raises(ValidationError, match="role"):
        s.partners.create_user(link, "X", "boss")


def test_upgrading_keeps_users_data_and_partnerships(
    core: Leadcore, s: Session, supplier: tuple[Organization, User, str]
) -> None:
    org, sami, link = supplier
    rami = s.partners.create_user(link, "Rami", "qualifier")
    theirs = core.session(sami.id)
    lead = theirs.leads.create("Yossi")
    before = theirs.partners.list()

    full = core.upgrade_organization(org.id)

    assert full.kind is OrganizationKind.FULL
    assert (full.id, full.name, full.created_by) == (org.id, org.name, org.created_by)
    assert [u.id for u in theirs.users.list()] == [rami.id, sami.id]
    assert theirs.leads.get(lead.id) == lead
    assert theirs.partners.list() == before
    assert [p.partner_id for p in s.partners.list()] == [org.id]
    # It manages its own users and workflow from now on.
    assert theirs.users.create("Noa", "salesperson").organization_id == org.id
    assert theirs.users.deactivate(rami.id).active is False


def test_after_the_upgrade_every_agency_management_call_is_forbidden(
    core: Leadcore, s: Session, supplier: tuple[Organization, User, str]
) -> None:
    org, sami, link = supplier
    rami = s.partners.create_user(link, "Rami", "qualifier")
    calls: list[Callable[[], object]] = [
        lambda: s.partners.users(link),
        lambda: s.partners.create_user(link, "Gil", "qualifier"),
        lambda: s.partners.deactivate_user(link, rami.id),
        lambda: s.partners.activate_user(link, rami.id),
    ]
    for call in calls:
        call()  # allowed while the account is basic
    core.upgrade_organization(org.id)
    for call in calls:
        with pytest.raises(Forbidden, match=r"Leads Ltd.*full account"):
            call()
    assert [u.name for u in core.session(sami.id).users.list()] == ["Gil", "Rami", "Sami"]
    assert core.session(rami.id).users.me().active  # the last activate_user, before the upgrade


def test_only_the_creating_organisation_manages_a_basic_account(
    core: Leadcore, s: Session, supplier: tuple[Organization, User, str]
) -> None:
    org, sami, _ = supplier
    theirs = core.session(sami.id)
    (back,) = theirs.partners.list()  # the supplier's record of the agency: a full account
    with pytest.raises(Forbidden, match="Agency"):
        theirs.partners.users(back.id)
    _, other = core.create_organization("Other", admin_name="Ori")
    with pytest.raises(NotFound):
        core.session(other.id).partners.users(supplier[2])
    analyst = s.users.create("Avi", "qualifier")  # no manage_partners
    with pytest.raises(Forbidden):
        core.session(analyst.id).partners.users(supplier[2])
    assert org.kind is OrganizationKind.BASIC


def test_the_upgrade_is_recorded_on_both_sides(
    core: Leadcore, dana: User, supplier: tuple[Organization, User, str]
) -> None:
    org, _, _ = supplier
    core.upgrade_organization(org.id)
    mine = core.events.read(dana.organization_id)[-1].event
    theirs = core.events.read(org.id)[-1].event
    for event, owner in ((mine, dana.organization_id), (theirs, org.id)):
        assert isinstance(event, OrganizationUpgraded)
        assert (event.organization_id, event.upgraded_id) == (owner, org.id)
        assert event.created_by == dana.organization_id
        assert event.actor_id is None


def test_a_full_or_unknown_organisation_cannot_be_upgraded(
    core: Leadcore, dana: User, supplier: tuple[Organization, User, str]
) -> None:
    core.upgrade_organization(supplier[0].id)
    for org_id in (dana.organization_id, supplier[0].id):
        with pytest.raises(ValidationError, match="already a full account"):
            core.upgrade_organization(org_id)
    with pytest.raises(NotFound):
        core.upgrade_organization("org-404")
    with pytest.raises(ValidationError, match="organization_id"):
        core.upgrade_organization(7)  # type: ignore[arg-type]
    assert len(core.events.read(dana.organization_id)) == 5  # one upgrade, nothing more
