"""Agent filters: what each criterion admits, and clear errors for filters that cannot work."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from leadcore.dispatch import (
    AgentFilter,
    Candidate,
    FieldEquals,
    FieldIn,
    FieldRange,
    validate_filter,
)
from leadcore.errors import ValidationError
from leadcore.workflow import Category, sample_workflow

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)


def lead(**changes: object) -> Candidate:
    values: dict[str, object] = {"lead_id": "l1", "pool_id": "p", "created_at": T0}
    values.update(changes)
    return Candidate(**values)  # type: ignore[arg-type]


def test_an_empty_filter_admits_every_lead() -> None:
    assert AgentFilter().matches(lead())
    assert AgentFilter().matches(lead(status_id="won", category="done"))


def test_statuses_no_status_and_categories_admit_their_union() -> None:
    f = AgentFilter(statuses={"callback"}, no_status=True, categories={Category.TODO})
    assert f.matches(lead())
    assert f.matches(lead(status_id="callback", category="in_progress"))
    assert f.matches(lead(status_id="new", category="todo"))
    assert not f.matches(lead(status_id="no_answer", category="in_progress"))


def test_no_status_alone_admits_only_leads_without_status() -> None:
    f = AgentFilter(no_status=True)
    assert f.matches(lead())
    assert not f.matches(lead(status_id="new", category="todo"))


def test_a_lone_string_is_one_status_not_its_letters() -> None:
    assert AgentFilter(statuses="new").statuses == frozenset({"new"})


def test_sources_created_range_and_attempts() -> None:
    f = AgentFilter(
        sources={"facebook"},
        created_from=T0,
        created_before=T0 + timedelta(days=1),
        min_attempts=1,
        max_attempts=2,
    )
    assert f.matches(lead(source="facebook", attempts=1))
    assert not f.matches(lead(source="google", attempts=1))
    assert not f.matches(lead(source=None, attempts=1))
    assert not f.matches(lead(source="facebook", attempts=3))
    assert not f.matches(lead(source="facebook", attempts=0))
    assert not f.matches(lead(source="facebook", attempts=1, created_at=T0 + timedelta(days=1)))
    assert not f.matches(lead(source="facebook", attempts=1, created_at=T0 - timedelta(seconds=1)))


def test_custom_fields_compare_by_kind_and_value() -> None:
    assert AgentFilter(field_equals=[FieldEquals("vip", True)]).matches(
        lead(custom_fields={"vip": True})
    )
    # A count of 1 is not a "yes".
    assert not AgentFilter(field_equals=[FieldEquals("vip", True)]).matches(
        lead(custom_fields={"vip": 1})
    )
    assert AgentFilter(field_equals=[FieldEquals("budget", 2)]).matches(
        lead(custom_fields={"budget": 2.0})
    )
    city = AgentFilter(field_in=[FieldIn("city", ["haifa", "iasi"])])
    assert city.matches(lead(custom_fields={"city": "iasi"}))
    assert not city.matches(lead(custom_fields={"city": "eilat"}))
    assert not city.matches(lead())


def test_ranges_are_inclusive_and_skip_values_of_another_kind() -> None:
    budget = AgentFilter(field_ranges=[FieldRange("budget", 10, 20)])
    assert budget.matches(lead(custom_fields={"budget": 10}))
    assert budget.matches(lead(custom_fields={"budget": 20.0}))
    assert not budget.matches(lead(custom_fields={"budget": 20.5}))
    assert not budget.matches(lead(custom_fields={"budget": "15"}))
    open_ended = AgentFilter(field_ranges=[FieldRange("name", high="m")])
    assert open_ended.matches(lead(custom_fields={"name": "dana"}))
    assert not open_ended.matches(lead(custom_fields={"name": "omer"}))


def test_a_filter_that_cannot_match_reports_every_problem() -> None:
    with pytest.raises(ValidationError) as err:
        AgentFilter(
            categories={"finished"},
            field_in=[FieldIn("city", [])],
            field_ranges=[FieldRange("budget", 20, 10), FieldRange("x"), FieldRange("y", 1, "z")],
            created_from=T0,
            created_before=T0,
            min_attempts=3,
            max_attempts=1,
        )
    assert err.value.problems == (
        "categories: unknown category 'finished' (accepted: todo, in_progress, done)",
        "field_in[0].values: must list at least one value",
        "field_ranges[0]: the range is empty (20 is more than 10)",
        "field_ranges[1]: give low, high or both",
        "field_ranges[2]: low and high must both be numbers or both text",
        "created_from, created_before: the range is empty "
        "(2026-03-02T09:00:00+00:00 is not before 2026-03-02T09:00:00+00:00)",
        "min_attempts, max_attempts: the range is empty (3 is more than 1)",
    )


def test_naive_times_and_negative_attempts_are_refused() -> None:
    with pytest.raises(ValidationError) as err:
        AgentFilter(created_from=datetime(2026, 1, 1), min_attempts=-1)
    assert err.value.problems == (
        "created_from: must be a timezone-aware datetime or None",
        "min_attempts: must be a whole number from 0 to 1000000, or None, got -1",
    )


def test_filters_naming_unknown_statuses_fields_or_sources_are_refused() -> None:
    f = AgentFilter(
        statuses={"new", "ghost"},
        sources={"tv"},
        field_equals=[FieldEquals("vip", True)],
        field_ranges=[FieldRange("budgett", 1, 2)],
    )
    with pytest.raises(ValidationError) as err:
        validate_filter(
            f, workflow=sample_workflow(), fields={"vip", "budget"}, sources={"facebook"}
        )
    assert err.value.summary == "agent filter does not fit the project"
    assert err.value.problems == (
        "statuses: unknown status 'ghost' (statuses of workflow 'sales': new, no_answer, "
        "callback, ...)",
        "field_ranges[0].field: unknown custom field 'budgett' (custom fields: budget, vip)",
        "sources: unknown source 'tv' (sources: facebook)",
    )


def test_a_fitting_filter_is_returned_as_is() -> None:
    f = AgentFilter(statuses={"new"})
    assert validate_filter(f, workflow=sample_workflow(), fields=(), sources=()) is f


def test_filters_round_trip_through_plain_data() -> None:
    f = AgentFilter(
        statuses={"new"},
        no_status=True,
        categories={"todo"},
        field_equals=[FieldEquals("vip", True), FieldEquals("n", 1)],
        field_in=[FieldIn("city", ["haifa", 3])],
        field_ranges=[FieldRange("budget", 1.5, 3)],
        created_from=T0,
        max_attempts=4,
    )
    back = AgentFilter.from_dict(f.to_dict())
    assert back == f
    assert [type(e.value) for e in back.field_equals] == [bool, int]
