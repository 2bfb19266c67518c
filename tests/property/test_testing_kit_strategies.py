"""The strategies of leadcore.testing draw values leadcore accepts, as their docstrings promise."""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leadcore import Leadcore
from leadcore.calendar import Activity, Recurrence, expand, parse_rule
from leadcore.dispatch import AgentFilter, Pool, ProjectPools, ProjectRules, validate_filter
from leadcore.ids import SequentialIds
from leadcore.leads import normalize_email, normalize_phone
from leadcore.testing import OrganizationPlan, StaffedOrganization
from leadcore.testing.strategies import (
    FIELD_NAMES,
    activities,
    agent_filters,
    dst_changes,
    emails,
    lead_rows,
    organization_plans,
    person_names,
    phone_numbers,
    project_pools,
    project_rules,
    recurrence_rules,
)
from leadcore.workflow import Workflow, sample_workflow

SALES = sample_workflow()


@given(phone_numbers(style="e164"))
def test_every_e164_phone_number_is_valid_and_already_normal(number: str) -> None:
    assert normalize_phone(number, None) == number
    assert phonenumbers.is_valid_number(phonenumbers.parse(number))


@given(
    st.sampled_from(["IL", "RO", "US", "GB", "FR", "DE"]).flatmap(
        lambda region: st.tuples(st.just(region), phone_numbers([region], style="any"))
    )
)
def test_every_phone_number_reads_as_a_valid_number_of_its_region(pair: tuple[str, str]) -> None:
    region, number = pair
    parsed = phonenumbers.parse(normalize_phone(number, region))
    assert phonenumbers.is_valid_number_for_region(parsed, region)


@given(emails())
def test_every_email_normalises_to_its_lower_case_trimmed_self(address: str) -> None:
    assert normalize_email(address) == address.strip().lower()


@given(person_names("hebrew"))
def test_hebrew_names_are_written_in_hebrew_letters(name: str) -> None:
    letters = [c for c in name if c.isalpha()]
    assert letters
    assert all("HEBREW" in unicodedata.name(c) for c in letters)


@given(person_names())
def test_person_names_are_trimmed_and_not_blank(name: str) -> None:
    assert name == name.strip() != ""


@settings(max_examples=25)
@given(st.data(), st.sampled_from(["IL", "RO", "GB"]))
def test_every_lead_row_is_accepted_by_intake_and_import(data: st.DataObject, region: str) -> None:
    rows = data.draw(st.lists(lead_rows(region), max_size=4))
    core = Leadcore.open(ids=SequentialIds())
    _, admin = core.create_organization("Agency", admin_name="Dana", default_region=region)
    s = core.session(admin.id)
    for row in rows:
        lead = s.leads.create(**row)
        assert lead.name == row["name"]
        assert set(lead.phones) == {normalize_phone(p, region) for p in row["phones"]}
        assert set(lead.emails) == {normalize_email(e) for e in row["emails"]}
    report = s.leads.import_many(rows)
    assert [r.problems for r in report.rows] == [()] * len(rows)


@given(project_rules())
def test_project_rules_round_trip_through_plain_data(rules: ProjectRules) -> None:
    assert ProjectRules.from_dict(rules.to_dict()) == rules


@given(project_pools())
def test_every_agent_order_lists_each_pool_once(pools: ProjectPools) -> None:
    assert ProjectPools.from_dict(pools.to_dict()) == pools
    for agent in ("agent-1", "agent-2", "agent-3", "someone-else"):
        order = pools.order_for(agent)
        assert sorted(order) == sorted(p.id for p in pools.pools)


@given(agent_filters(SALES))
def test_agent_filters_fit_the_workflow_fields_and_sources(agent_filter: AgentFilter) -> None:
    assert (
        validate_filter(
            agent_filter,
            workflow=SALES,
            fields=FIELD_NAMES,
            sources=("facebook", "google", "website"),
        )
        is agent_filter
    )
    assert AgentFilter.from_dict(agent_filter.to_dict()) == agent_filter


@settings(max_examples=25)
@given(organization_plans())
def test_a_plan_builds_isolated_organisations_with_their_users_and_partners(
    plan: OrganizationPlan,
) -> None:
    built = plan.apply(Leadcore.open(ids=SequentialIds()))
    created = sum(1 for line in str(plan).splitlines() if "create organisation" in line)
    partners = sum(
        1 for line in str(plan).splitlines() if "adds supplier" in line or "adds advertiser" in line
    )
    assert len(built) == created + partners
    assert len({org.id for org in built}) == len(built)
    for org in built:
        seen = {u.id for u in org.session().users.list()}
        assert seen == {u.id for u in org.users}
    links = sum(len(org.session().partners.list()) for org in built)
    assert links == 2 * partners  # each partnership is recorded on both sides


@given(recurrence_rules())
def test_recurrence_rules_parse_without_problems(text: str) -> None:
    rule, problems = parse_rule(text)
    assert problems == []
    assert rule is not None


@settings(max_examples=40)
@given(activities())
def test_activities_are_valid_and_expand(activity: Activity) -> None:
    assert activity.end > activity.start
    assert activity.responsible_user_id not in activity.user_ids
    start = activity.start
    assert isinstance(start, datetime)
    window = expand(activity, start, start + timedelta(days=400))
    assert window.occurrences[0].start == activity.start


def _exists(wall: datetime, zone: ZoneInfo) -> bool:
    aware = wall.replace(tzinfo=zone)
    return aware.astimezone(UTC).astimezone(zone).replace(tzinfo=None) == wall


@settings(max_examples=40)
@given(activities(dst_crossing=True))
def test_dst_crossing_series_cross_an_offset_change_at_the_same_wall_clock_time(
    activity: Activity,
) -> None:
    assert isinstance(activity.recurrence, Recurrence)
    start = activity.start
    assert isinstance(start, datetime)
    occurrences = expand(activity, start, start + timedelta(days=60)).occurrences
    offsets = [o.start.utcoffset() for o in occurrences if isinstance(o.start, datetime)]
    assert offsets[0] != offsets[-1]
    zone = ZoneInfo(activity.tz)
    assert any(d for y in (2026, 2027) for d in dst_changes(activity.tz, y))
    for occurrence in occurrences:
        local = occurrence.start
        assert isinstance(local, datetime)
        assert (local.hour, local.minute) == (start.hour, start.minute) or not _exists(
            datetime.combine(local.date(), start.time()), zone
        )


@pytest.mark.parametrize(
    "cls", [Workflow, ProjectRules, Pool, ProjectPools, AgentFilter, Recurrence, Activity]
)
def test_from_type_draws_valid_values_of_every_registered_type(cls: type) -> None:
    @settings(max_examples=10)
    @given(st.from_type(cls))
    def drawn(value: object) -> None:
        assert isinstance(value, cls)

    drawn()


@settings(max_examples=5)
@given(st.from_type(OrganizationPlan))
def test_from_type_draws_organisation_plans(plan: OrganizationPlan) -> None:
    assert isinstance(plan, OrganizationPlan)
    built = plan.apply(Leadcore.open())
    assert all(isinstance(org, StaffedOrganization) for org in built)
