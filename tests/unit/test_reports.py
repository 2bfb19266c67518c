"""Reports: the lead -> account -> opportunity funnel, time in status, transitions, pile-ups."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from tests.unit.conftest import START

from leadcore import Leadcore
from leadcore.clock import ManualClock
from leadcore.core import Session
from leadcore.errors import Forbidden, ValidationError
from leadcore.leads import FunnelRow, StatusTime, TransitionRate

HOUR = timedelta(hours=1)


@pytest.fixture
def funnel_data(s: Session, clock: ManualClock) -> dict[str, str]:
    """Facebook: 3 leads, 2 converted into one account, one with an opportunity.

    Supplier: 2 leads, 1 converted (new account, opportunity); Google: 1 lead
    converted and un-converted. One more Facebook lead arrives a day later.
    """
    supplier, _ = s.partners.add_supplier("Leads Ltd", admin_name="Avi")
    project = s.leads.create_project("Outbound")
    fb = [s.leads.create(f"FB {i}", channel="facebook", project_id=project.id) for i in range(3)]
    sup = [s.leads.create(f"Sup {i}", supplier_id=supplier.id) for i in range(2)]
    google = s.leads.create("Google", channel="google")
    first = s.leads.convert(fb[0].id, account_name="Shared Ltd", opportunity_name="Deal")
    s.leads.convert(fb[1].id, account_id=first.account_id)
    s.leads.convert(sup[0].id, opportunity_name="Big deal")
    s.leads.convert(google.id)
    s.leads.unconvert(google.id, reason="mistake")
    clock.advance(timedelta(days=1))
    s.leads.create("FB late", channel="facebook")
    return {"supplier": supplier.id, "project": project.id}


def test_the_funnel_follows_leads_to_accounts_and_opportunities(
    s: Session, funnel_data: dict[str, str]
) -> None:
    rows = {r.key: r for r in s.reports.funnel(by="channel")}
    assert rows["facebook"] == FunnelRow("facebook", 4, 2, 1, 1, 1)
    assert rows["google"] == FunnelRow("google", 1, 0, 0, 0, 0)
    assert rows[None] == FunnelRow(None, 2, 1, 1, 1, 1)
    assert rows["facebook"].conversion_rate == 0.5
    assert FunnelRow("x", 0, 0, 0, 0, 0).conversion_rate == 0.0


def test_the_funnel_by_source_supplier_project_or_all(
    s: Session, funnel_data: dict[str, str]
) -> None:
    by_source = {r.key: (r.leads, r.converted) for r in s.reports.funnel()}
    assert by_source == {funnel_data["supplier"]: (2, 1), "facebook": (4, 2), "google": (1, 0)}
    by_supplier = {r.key: r.leads for r in s.reports.funnel(by="supplier")}
    assert by_supplier == {funnel_data["supplier"]: 2, None: 5}
    by_project = {r.key: r.opportunities for r in s.reports.funnel(by="project")}
    assert by_project == {funnel_data["project"]: 1, None: 1}
    [total] = s.reports.funnel(by="all")
    assert (total.leads, total.converted, total.accounts, total.opportunities) == (7, 3, 2, 2)
    assert [r.key for r in s.reports.funnel(by="channel")] == ["facebook", "google", None]


def test_the_funnel_counts_leads_created_in_the_period(
    s: Session, funnel_data: dict[str, str]
) -> None:
    [first_day] = s.reports.funnel(by="all", start=START, end=START + timedelta(days=1))
    [later] = s.reports.funnel(by="all", start=START + timedelta(days=1))
    assert (first_day.leads, later.leads) == (6, 1)


def test_an_unknown_grouping_is_refused(s: Session) -> None:
    with pytest.raises(ValidationError, match="by: 'colour'"):
        s.reports.funnel(by="colour")  # type: ignore[arg-type]


def test_a_naive_period_is_refused(s: Session) -> None:
    naive = datetime(2026, 3, 2, 9, 0)
    with pytest.raises(ValidationError, match="start: must be timezone-aware"):
        s.reports.funnel(start=naive)
    with pytest.raises(ValidationError, match="end: must be timezone-aware"):
        s.reports.time_in_status(end=naive)
    with pytest.raises(ValidationError, match="start"):
        s.reports.transitions(start=naive)


def test_reports_need_see_reports(core: Leadcore, s: Session) -> None:
    seller = s.users.create("Sam", "salesperson")
    with pytest.raises(Forbidden, match="see_reports"):
        core.session(seller.id).reports.funnel()


@pytest.fixture
def journeys(s: Session, clock: ManualClock) -> None:
    """Three leads through new -> contacted (-> qualified) with known stays."""
    leads = [s.leads.create(f"Lead {i}") for i in range(3)]
    for lead in leads:
        s.leads.change_status(lead.id, "new")
    clock.advance(HOUR)
    s.leads.change_status(leads[0].id, "contacted", note="n")
    clock.advance(2 * HOUR)
    s.leads.change_status(leads[1].id, "contacted", note="n")
    s.leads.change_status(leads[0].id, "qualified")
    clock.advance(3 * HOUR)
    s.leads.change_status(leads[2].id, "not_relevant")
    clock.advance(HOUR)


def test_time_in_status_is_read_from_history(s: Session, journeys: None) -> None:
    rows = {r.status_id: r for r in s.reports.time_in_status()}
    assert list(rows) == ["new", "contacted", "qualified", "not_relevant"]  # workflow order
    # Stays in "new": 1 h, 3 h and 6 h.
    assert rows["new"] == StatusTime("new", 3, 0, timedelta(seconds=12000), 3 * HOUR, 6 * HOUR)
    assert rows["contacted"] == StatusTime(
        "contacted", 2, 1, timedelta(hours=3), timedelta(hours=3), 4 * HOUR
    )
    assert rows["qualified"].current == 1
    assert rows["qualified"].longest == 4 * HOUR


def test_time_in_status_of_a_period_counts_moves_inside_it(s: Session, journeys: None) -> None:
    rows = {r.status_id: r for r in s.reports.time_in_status(start=START + HOUR)}
    assert "new" not in rows
    assert rows["contacted"].stays == 2


def test_transition_rates_share_the_moves_out_of_each_status(s: Session, journeys: None) -> None:
    rates = s.reports.transitions()
    assert rates[0] == TransitionRate(None, "new", 3, 1.0)
    out_of_new = {r.to_status: (r.count, r.rate) for r in rates if r.from_status == "new"}
    assert out_of_new == {"contacted": (2, 2 / 3), "not_relevant": (1, 1 / 3)}
    assert [r.to_status for r in rates if r.from_status == "new"] == ["contacted", "not_relevant"]


def test_pileups_rank_live_statuses_by_leads_now_then_by_stay(s: Session, journeys: None) -> None:
    ranked = [r.status_id for r in s.reports.pileups()]
    assert ranked == ["qualified", "contacted", "new"]  # done statuses are no bottleneck
    assert [r.status_id for r in s.reports.pileups(limit=1)] == ["qualified"]


def test_reports_of_an_empty_organisation_are_empty(s: Session) -> None:
    assert s.reports.funnel() == []
    assert s.reports.time_in_status() == []
    assert s.reports.transitions() == []
    assert s.reports.pileups() == []
