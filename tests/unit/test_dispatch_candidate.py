"""Candidates: the projection of a lead that dispatch reads, refused when it cannot be ordered."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from leadcore import serde
from leadcore.dispatch import Candidate
from leadcore.errors import ValidationError

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)


def test_a_candidate_needs_aware_times_and_a_category_with_its_status() -> None:
    with pytest.raises(ValidationError) as err:
        Candidate(
            lead_id="",
            pool_id="p",
            created_at=datetime(2026, 3, 2, 9),
            status_id="new",
            attempts=-1,
            callback_at=T0,
        )
    assert err.value.problems == (
        "lead_id: must be a non-empty string, got ''",
        "created_at: must be a timezone-aware datetime",
        "category: status 'new' needs its category",
        "attempts: must be 0 or more, got -1",
        "callback_at, callback_owner_id: a callback needs both its time and owner",
    )


def test_a_lead_without_status_has_no_category() -> None:
    with pytest.raises(ValidationError, match="a lead with no status has no category"):
        Candidate(lead_id="l", pool_id="p", created_at=T0, category="todo")


def test_an_unknown_category_is_named() -> None:
    with pytest.raises(ValidationError, match="category: must be one of todo, in_progress, done"):
        Candidate(lead_id="l", pool_id="p", created_at=T0, status_id="x", category="finished")


def test_candidates_round_trip_through_plain_data() -> None:
    lead = Candidate(
        lead_id="l",
        pool_id="p",
        created_at=T0,
        status_id="new",
        category="todo",
        assigned_user_ids={"dana", "omer"},
        custom_fields={"vip": True, "budget": 3, "city": "iasi", "score": 0.5},
        callback_at=T0,
        callback_owner_id="dana",
    )
    assert serde.loads(serde.dumps(lead), Candidate) == lead
