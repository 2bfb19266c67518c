"""``s.partners``: suppliers and advertisers are organisations of their own."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from leadcore import (
    Leadcore,
    ManualClock,
    NotFound,
    Organization,
    PartnerKind,
    Role,
    Session,
    User,
    ValidationError,
    sample_workflow,
)
from leadcore.ids import SequentialIds
from leadcore.tenancy import OrganizationKind

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


@pytest.mark.parametrize(
    ("add", "mine", "theirs"),
    [
        ("add_supplier", PartnerKind.SUPPLIER, PartnerKind.ADVERTISER),
        ("add_advertiser", PartnerKind.ADVERTISER, PartnerKind.SUPPLIER),
    ],
)
def test_a_partner_is_a_basic_organization_with_its_own_admin_and_a_record_on_each_side(
    core: Leadcore,
    s: Session,
    agency: tuple[Organization, User],
    add: str,
    mine: PartnerKind,
    theirs: PartnerKind,
) -> None:
    me = agency[0]
    org, admin = getattr(s.partners, add)("Leads Ltd", admin_name="Sam", admin_email="s@x.org")
    assert org.kind is OrganizationKind.BASIC
    assert org.created_by == me.id
    assert org.created_at == T0
    assert org.id != me.id
    assert (admin.organization_id, admin.role, admin.email) == (
        org.id,
        Role.ACCOUNT_MANAGER,
        "s@x.org",
    )

    [my_record] = s.partners.list()
    assert (my_record.organization_id, my_record.partner_id, my_record.partner_name) == (
        me.id,
        org.id,
        "Leads Ltd",
    )
    assert my_record.kind is mine
    assert my_record.active

    partner = core.session(admin.id)
    [their_record] = partner.partners.list()
    assert (their_record.organization_id, their_record.partner_id, their_record.partner_name) == (
        org.id,
        me.id,
        "Agency",
    )
    assert their_record.kind is theirs
    assert their_record.link_id == my_record.link_id
    assert their_record.id != my_record.id


def test_a_partner_runs_its_own_workflow_and_users(core: Leadcore, s: Session) -> None:
    org, admin = s.partners.add_supplier("Leads Ltd", admin_name="Dana")
    partner = core.session(admin.id)
    assert partner.organization_id == org.id
    assert [u.id for u in partner.users.list()] == [admin.id]
    assert partner.workflow.current().version == 1
    partner.workflow.publish(sample_workflow("qualification.he"))
    assert partner.workflow.current().id == "qualification"
    assert s.workflow.current().id == "sales"
    assert [u.name for u in s.users.list()] == ["Dana"]
    assert s.users.list()[0].id != admin.id


def test_a_partner_inherits_region_and_time_zone_unless_given(s: Session) -> None:
    inherited, _ = s.partners.add_supplier("Leads Ltd", admin_name="Sam")
    assert (inherited.default_region, inherited.timezone) == ("IL", "Asia/Jerusalem")
    own, _ = s.partners.add_advertiser(
        "Insure Co", admin_name="Ana", default_region="RO", timezone="Europe/Bucharest"
    )
    assert (own.default_region, own.timezone) == ("RO", "Europe/Bucharest")


def test_partners_are_listed_by_name_and_filtered_by_kind(s: Session) -> None:
    s.partners.add_advertiser("Insure Co", admin_name="Ana")
    s.partners.add_supplier("Leads Ltd", admin_name="Sam")
    s.partners.add_supplier("Ads Media", admin_name="Tom")
    assert [p.partner_name for p in s.partners.list()] == ["Ads Media", "Insure Co", "Leads Ltd"]
    assert [p.partner_name for p in s.partners.list("supplier")] == ["Ads Media", "Leads Ltd"]
    assert [p.partner_name for p in s.partners.list(PartnerKind.ADVERTISER)] == ["Insure Co"]


def test_an_unknown_partner_kind_is_refused(s: Session) -> None:
    with pytest.raises(ValidationError) as caught:
        s.partners.list("reseller")
    assert caught.value.problems == (
        "kind: 'reseller' is not a partner kind; accepted: supplier, advertiser",
    )


def test_a_partnership_is_read_by_its_id(s: Session) -> None:
    s.partners.add_supplier("Leads Ltd", admin_name="Sam")
    [record] = s.partners.list()
    assert s.partners.get(record.id) == record
    with pytest.raises(NotFound, match="partnership 'partnership-404' not found"):
        s.partners.get("partnership-404")


def test_the_partner_s_own_record_is_not_found_by_this_organization(
    core: Leadcore, s: Session
) -> None:
    _, admin = s.partners.add_supplier("Leads Ltd", admin_name="Sam")
    [theirs] = core.session(admin.id).partners.list()
    with pytest.raises(NotFound) as caught:
        s.partners.get(theirs.id)
    assert str(caught.value) == f"partnership {theirs.id!r} not found"
    with pytest.raises(NotFound):
        s.partners.deactivate(theirs.id)
    assert core.session(admin.id).partners.get(theirs.id).active


def test_deactivating_and_activating_a_partnership_applies_to_both_sides(
    core: Leadcore, s: Session
) -> None:
    _, admin = s.partners.add_supplier("Leads Ltd", admin_name="Sam")
    [mine] = s.partners.list()
    partner = core.session(admin.id)

    ended = s.partners.deactivate(mine.id)
    assert not ended.active
    assert not s.partners.get(mine.id).active
    assert [p.active for p in partner.partners.list()] == [False]

    resumed = s.partners.activate(mine.id)
    assert resumed.active
    assert [p.active for p in partner.partners.list()] == [True]


def test_the_partner_may_end_the_partnership_from_its_side(core: Leadcore, s: Session) -> None:
    _, admin = s.partners.add_advertiser("Insure Co", admin_name="Ana")
    partner = core.session(admin.id)
    [theirs] = partner.partners.list()
    partner.partners.deactivate(theirs.id)
    assert [p.active for p in s.partners.list()] == [False]


def test_partnerships_of_other_partners_are_not_touched(core: Leadcore, s: Session) -> None:
    s.partners.add_supplier("Leads Ltd", admin_name="Sam")
    _, ana = s.partners.add_advertiser("Insure Co", admin_name="Ana")
    supplier, advertiser = sorted(s.partners.list(), key=lambda p: p.kind != PartnerKind.SUPPLIER)
    s.partners.deactivate(supplier.id)
    assert s.partners.get(advertiser.id).active
    assert [p.active for p in core.session(ana.id).partners.list()] == [True]


def test_adding_a_partner_names_every_bad_input(s: Session) -> None:
    with pytest.raises(ValidationError) as caught:
        s.partners.add_supplier("", admin_name=" ", default_region="Israel", timezone="Jerusalem")
    paths = [p.split(":", 1)[0] for p in caught.value.problems]
    assert paths == ["name", "admin_name", "default_region", "timezone"]
    assert s.partners.list() == []
