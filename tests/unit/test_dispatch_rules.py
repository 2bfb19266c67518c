"""Project rules: documented defaults, clear validation, round trips through plain data."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadcore import serde
from leadcore.dispatch import ProjectRules, SecondaryOrder
from leadcore.errors import ValidationError


def test_defaults_are_the_documented_ones() -> None:
    rules = ProjectRules()
    assert rules.lock_window_minutes == 10
    assert rules.lock_window == timedelta(minutes=10)
    assert rules.exclusive
    assert rules.secondary_order is SecondaryOrder.OLDEST_FIRST
    assert rules.include_project_pools
    assert rules.callback_grace is None
    assert rules.wait_before_alert == timedelta(0)
    assert not any(
        (
            rules.force_notes_on_status_change,
            rules.share_reminders_in_group,
            rules.allow_multiple_relationships,
            rules.auto_dial,
            rules.no_status_first,
            rules.all_pools,
            rules.agents_set_own_filters,
        )
    )
    assert rules.max_claims_per_hour is None
    assert rules.max_claims_per_day is None


def test_window_zero_means_no_exclusive_lock() -> None:
    assert not ProjectRules(lock_window_minutes=0).exclusive


def test_negative_window_is_refused_with_what_is_accepted() -> None:
    with pytest.raises(ValidationError) as err:
        ProjectRules(lock_window_minutes=-1)
    assert err.value.problems == (
        "lock_window_minutes: must be whole minutes from 0 to 10080 (0 = no exclusive lock), "
        "got -1",
    )
    assert isinstance(err.value, ValueError)


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(ValidationError) as err:
        ProjectRules(
            lock_window_minutes=-5,
            wait_before_alert_seconds=-1,
            callback_grace_minutes=-2,
            max_claims_per_hour=0,
            max_claims_per_day=-3,
            auto_dial="yes",  # type: ignore[arg-type]
            secondary_order="random",
        )
    fields = [p.split(":")[0] for p in err.value.problems]
    assert fields == [
        "auto_dial",
        "lock_window_minutes",
        "wait_before_alert_seconds",
        "secondary_order",
        "callback_grace_minutes",
        "max_claims_per_hour",
        "max_claims_per_day",
    ]
    assert "oldest_first, newest_first" in str(err.value)


def test_a_flag_is_not_a_number() -> None:
    with pytest.raises(ValidationError, match="lock_window_minutes"):
        ProjectRules(lock_window_minutes=True)


def test_from_dict_names_unknown_rules() -> None:
    with pytest.raises(ValidationError) as err:
        ProjectRules.from_dict({"lock_windw_minutes": 5})
    assert err.value.problems[0].startswith("lock_windw_minutes: unknown field (accepted: ")


def test_from_dict_reports_bad_values_as_validation_errors() -> None:
    with pytest.raises(ValidationError, match="lock_window_minutes"):
        ProjectRules.from_dict({"lock_window_minutes": -3})
    with pytest.raises(ValidationError, match="secondary_order"):
        ProjectRules.from_dict({"secondary_order": "random"})


def test_secondary_order_is_read_from_its_spelling() -> None:
    rules = ProjectRules.from_dict({"secondary_order": "fewest_attempts"})
    assert rules.secondary_order is SecondaryOrder.FEWEST_ATTEMPTS


rules_strategy = st.builds(
    ProjectRules,
    force_notes_on_status_change=st.booleans(),
    allow_multiple_relationships=st.booleans(),
    auto_dial=st.booleans(),
    wait_before_alert_seconds=st.integers(0, 3600),
    no_status_first=st.booleans(),
    all_pools=st.booleans(),
    include_project_pools=st.booleans(),
    lock_window_minutes=st.integers(0, 600),
    secondary_order=st.sampled_from(SecondaryOrder),
    callback_grace_minutes=st.none() | st.integers(0, 600),
    max_claims_per_hour=st.none() | st.integers(1, 500),
    max_claims_per_day=st.none() | st.integers(1, 5000),
)


@given(rules_strategy)
def test_rules_round_trip_through_plain_data_and_json(rules: ProjectRules) -> None:
    assert ProjectRules.from_dict(rules.to_dict()) == rules
    assert serde.structure(serde.unstructure(rules), ProjectRules) == rules
    assert serde.loads(serde.dumps(rules), ProjectRules) == rules
    assert ProjectRules.from_dict(json.loads(serde.dumps(rules))) == rules
