"""An agent filter states its criteria once: the Python check evaluates them."""

from __future__ import annotations

import functools
from datetime import UTC, datetime

import pytest

from leadcore.dispatch import AgentFilter, Candidate, FieldEquals, FieldRange
from leadcore.dispatch._filters import AnyOf, Criterion, Op
from leadcore.workflow import Category

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def test_each_field_of_a_filter_becomes_one_criterion() -> None:
    city = FieldEquals("city", "haifa")
    flt = AgentFilter(
        statuses={"new"},
        no_status=True,
        categories={Category.IN_PROGRESS},
        sources={"facebook"},
        field_equals=[city],
        created_from=T0,
        max_attempts=2,
    )
    assert flt.criteria == (
        AnyOf(
            (
                Criterion("status_id", Op.IN, frozenset({"new"})),
                Criterion("category", Op.IN, frozenset({Category.IN_PROGRESS})),
                Criterion("status_id", Op.IS_NONE),
            )
        ),
        Criterion("source", Op.IN, frozenset({"facebook"})),
        Criterion("created_at", Op.AT_LEAST, T0),
        Criterion("attempts", Op.AT_MOST, 2),
        Criterion("custom_fields", Op.MATCHES, city),
    )
    assert AgentFilter().criteria == ()


@pytest.mark.parametrize(
    ("criterion", "actual", "holds"),
    [
        (Criterion("source", Op.IN, frozenset({"a"})), "a", True),
        (Criterion("source", Op.IN, frozenset({"a"})), None, False),
        (Criterion("status_id", Op.IS_NONE), None, True),
        (Criterion("status_id", Op.IS_NONE), "new", False),
        (Criterion("attempts", Op.AT_LEAST, 2), 2, True),
        (Criterion("attempts", Op.AT_MOST, 2), 3, False),
        (Criterion("created_at", Op.BELOW, T0), T0, False),
        (Criterion("custom_fields", Op.MATCHES, FieldRange("n", 1, 5)), {"n": 3}, True),
        (Criterion("custom_fields", Op.MATCHES, FieldRange("n", 1, 5)), {"n": "3"}, False),
    ],
)
def test_a_criterion_holds_as_its_operator_says(
    criterion: Criterion, actual: object, holds: bool
) -> None:
    assert criterion.holds(actual) is holds


def test_a_filter_matches_a_lead_when_every_criterion_holds() -> None:
    flt = AgentFilter(categories={Category.IN_PROGRESS}, no_status=True, min_attempts=1)
    fresh = Candidate(lead_id="l1", pool_id="p", created_at=T0)
    called = Candidate(
        lead_id="l2",
        pool_id="p",
        created_at=T0,
        status_id="no_answer",
        category=Category.IN_PROGRESS,
        attempts=1,
    )
    for lead in (fresh, called):
        every = all(c.check(functools.partial(getattr, lead)) for c in flt.criteria)
        assert flt.matches(lead) is every
    assert not flt.matches(fresh)
    assert flt.matches(called)
    assert flt.matches_lane(None, None, "any")
    assert not flt.matches_status("won", Category.DONE)
