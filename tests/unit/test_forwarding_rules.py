"""The pure rules of forwarding: conditions, mappings, feedback moves, periods, rotation."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from leadcore import serde
from leadcore.forwarding import (
    CapPeriod,
    Caps,
    Condition,
    Delivery,
    DeliveryState,
    Direction,
    DuplicateDisclosure,
    FieldMapping,
    PartnerTerms,
    ReceivingPolicy,
    RoutingRule,
    Strategy,
    Target,
    delivery_report,
    feedback_problems,
    order_targets,
    period_key,
    rotate,
)
from leadcore.leads import Lead, Source

T = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def lead(**kw: object) -> Lead:
    values: dict[str, object] = {
        "id": "lead-1",
        "organization_id": "org-1",
        "name": "Dana Levi",
        "created_at": T,
        "updated_at": T,
    }
    values.update(kw)
    return Lead(**values)  # type: ignore[arg-type]


def delivery(state: DeliveryState = DeliveryState.DELIVERED, **kw: object) -> Delivery:
    values: dict[str, object] = {
        "id": "delivery-1",
        "organization_id": "org-2",
        "link_id": "link-1",
        "direction": Direction.INCOMING,
        "partner_id": "org-1",
        "partnership_id": "partnership-1",
        "lead_id": "lead-2",
        "state": state,
        "delivered_at": T,
        "updated_at": T,
    }
    values.update(kw)
    return Delivery(**values)  # type: ignore[arg-type]


# -- conditions ------------------------------------------------------------------------------

SAMPLE = lead(
    phones=["+972501234567", "+442079460958"],
    emails=["dana@example.com"],
    source=Source("org-9", "Facebook"),
    fields={"budget": 1200, "since": date(2025, 1, 1), "vip": True, "city": "Haifa"},
)


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        (Condition("name", "eq", "dana levi"), True),
        (Condition("name", "contains", "LEVI"), True),
        (Condition("phone", "starts_with", "+44"), True),
        (Condition("phone", "eq", "+972509999999"), False),
        (Condition("phone", "ne", "+972509999999"), True),
        (Condition("email", "starts_with", "dana@"), True),
        (Condition("channel", "in", ["facebook", "google"]), True),
        (Condition("channel", "not_in", ["facebook"]), False),
        (Condition("supplier_id", "eq", "org-9"), True),
        (Condition("project_id", "absent"), True),
        (Condition("fields.budget", "ge", 1200), True),
        (Condition("fields.budget", "gt", 1200.5), False),
        (Condition("fields.budget", "lt", "2000"), False),  # text is not compared with numbers
        (Condition("fields.since", "lt", date(2025, 6, 1)), True),
        (Condition("fields.vip", "eq", True), True),
        (Condition("fields.vip", "gt", False), False),  # booleans are not ordered
        (Condition("fields.city", "le", "haifa"), True),
        (Condition("fields.missing", "present"), False),
        (Condition("fields.missing", "absent"), True),
        (Condition("fields.missing", "ne", "x"), True),
    ],
)
def test_a_condition_tests_one_lead_field(condition: Condition, expected: bool) -> None:
    assert condition.problems("c") == []
    assert condition.matches(SAMPLE) is expected


def test_a_condition_reports_every_problem() -> None:
    assert Condition("colour", "eq", "red").problems("c")[0].startswith("c.field: 'colour'")
    assert Condition("name", "present", "x").problems("c") == ["c.value: present takes no value"]
    assert Condition("name", "eq", ("a", "b")).problems("c") == [
        "c.value: eq takes one value, not a list"
    ]
    assert Condition("name", "contains", 5).problems("c") == ["c.value: contains needs text"]
    with pytest.raises(ValueError, match="'like' is not a valid ConditionOp"):
        Condition("name", "like", "x")


def test_a_rule_refuses_leads_it_does_not_match_saying_why() -> None:
    rule = RoutingRule(
        "r", "R", to="users", targets=[Target("u")], statuses={None, "new"}, channels={"web"}
    )
    assert rule.refusal(lead(source=Source(channel="web"))) is None
    assert rule.refusal(lead(status_id="won", source=Source(channel="web"))) == (
        "status 'won' is not one of the rule's"
    )
    assert rule.refusal(lead()) == "channel None is not one of the rule's"
    assert RoutingRule("r", "R", to="users", targets=[Target("u")], active=False).refusal(
        lead()
    ) == ("the rule is inactive")
    converted = lead(conversion_id="c1", source=Source(channel="web"))
    assert rule.refusal(converted) == "the lead is converted"


# -- mappings and terms ------------------------------------------------------------------------


def test_a_mapping_passes_on_only_what_it_names() -> None:
    mapping = FieldMapping(standard={"name", "emails"}, custom={"budget": "price"})
    copy = mapping.copy(SAMPLE)
    assert (copy.name, copy.phones, copy.emails, copy.channel) == (
        "Dana Levi",
        (),
        ("dana@example.com",),
        None,
    )
    assert dict(copy.fields) == {"price": 1200}
    assert FieldMapping().copy(SAMPLE).phones == SAMPLE.phones
    assert dict(FieldMapping().copy(SAMPLE).fields) == {}  # custom fields are internal by default


def test_a_mapping_reports_every_problem() -> None:
    problems = FieldMapping(
        standard={"phones", "notes"}, custom={"a": "Bad Key", "b": "Bad Key"}
    ).problems()
    assert problems == [
        "mapping.standard: ['notes'] are not lead fields; accepted: name, phones, emails, "
        "channel (map custom fields in custom)",
        "mapping.standard: must include 'name' (a lead always has one)",
        "mapping.custom['a']: 'Bad Key' is not a custom field key",
        "mapping.custom['b']: 'Bad Key' is not a custom field key",
        "mapping.custom['b']: 'Bad Key' is the target of two fields",
    ]


def test_terms_give_the_end_of_the_return_window() -> None:
    assert PartnerTerms().returnable_until(T) is None
    assert PartnerTerms(return_window=timedelta(days=2)).returnable_until(T) == T + timedelta(
        days=2
    )


# -- feedback --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("current", "allowed"),
    [
        (DeliveryState.DELIVERED, {"accepted", "rejected", "returned"}),
        (DeliveryState.ACCEPTED, {"returned"}),
        (DeliveryState.REJECTED, set()),
        (DeliveryState.RETURNED, set()),
        (DeliveryState.DUPLICATE, set()),
        (DeliveryState.FAILED, set()),
    ],
)
def test_feedback_moves_a_delivery_only_forward(current: DeliveryState, allowed: set[str]) -> None:
    policy = ReceivingPolicy()
    for target in (DeliveryState.ACCEPTED, DeliveryState.REJECTED, DeliveryState.RETURNED):
        problems = feedback_problems(delivery(current), target, "other", policy, T)
        assert (problems == []) is (target.value in allowed)


def test_feedback_problems_come_all_at_once() -> None:
    late = delivery(DeliveryState.REJECTED, returnable_until=T)
    problems = feedback_problems(
        late, DeliveryState.RETURNED, None, ReceivingPolicy(), T + timedelta(seconds=1)
    )
    assert problems == [
        "state: a rejected delivery cannot become returned; it may become: nothing "
        "(the delivery is closed)",
        "reason: a returned delivery needs a reason from your list",
        "state: the return window of delivery 'delivery-1' ended at 2026-03-02T09:00:00+00:00",
    ]


def test_a_duplicate_is_disclosed_as_the_policy_says() -> None:
    assert ReceivingPolicy().disclose_duplicate() == (DeliveryState.DUPLICATE, None, None)
    rejected = ReceivingPolicy(disclosure=DuplicateDisclosure.REJECTED)
    assert rejected.disclose_duplicate() == (DeliveryState.REJECTED, "duplicate", "Duplicate")
    assert ReceivingPolicy(disclosure="unexplained").disclose_duplicate() == (
        DeliveryState.REJECTED,
        None,
        None,
    )


# -- periods, rotation, reports ------------------------------------------------------------------


def test_period_keys_follow_the_recipients_calendar() -> None:
    late = datetime(2026, 3, 31, 22, 30, tzinfo=UTC)
    assert period_key(CapPeriod.MONTH, late, "UTC") == "2026-03"
    assert period_key(CapPeriod.MONTH, late, "Asia/Jerusalem") == "2026-04"
    assert period_key(CapPeriod.DAY, late, "America/New_York") == "2026-03-31"


def test_dispatch_and_routing_caps_share_one_period_vocabulary() -> None:
    from leadcore import dispatch

    assert dispatch.CapPeriod is CapPeriod
    assert [p.value for p in CapPeriod] == ["hour", "day", "month"]
    # Stored and serialised values read back as before.
    assert serde.converter.structure("day", CapPeriod) is CapPeriod.DAY


def test_the_repeated_hour_when_clocks_go_back_counts_apart() -> None:
    first = datetime(2026, 11, 1, 5, 30, tzinfo=UTC)  # 01:30 EDT in New York
    second = first + timedelta(hours=1)  # 01:30 EST, the same wall-clock hour
    keys = {period_key(CapPeriod.HOUR, t, "America/New_York") for t in (first, second)}
    assert keys == {"2026-11-01T01-0400", "2026-11-01T01-0500"}


def test_smooth_rotation_spreads_weights_evenly() -> None:
    rule = RoutingRule(
        "r", "R", to="users", strategy=Strategy.WEIGHTED,
        targets=[Target("a", 5), Target("b", 1), Target("c", 1)],
    )  # fmt: skip
    state: dict[str, int] = {}
    picks = []
    for _ in range(7):
        chosen = order_targets(rule, rule.targets, state, {})[0].id
        picks.append(chosen)
        state = rotate(rule, rule.targets, state, chosen)
    assert "".join(picks) == "aabacaa"
    assert state == {"a": 0, "b": 0, "c": 0}


def test_cascade_and_load_orders_keep_the_listed_order_on_ties() -> None:
    targets = [Target("a"), Target("b", 2), Target("c")]
    cascade = RoutingRule("r", "R", to="partners", strategy="cascade", targets=targets)
    assert [t.id for t in order_targets(cascade, targets[::-1], {}, {})] == ["a", "b", "c"]
    by_load = RoutingRule("r", "R", to="users", strategy="by_load", targets=targets)
    loads = {"a": 2, "b": 2, "c": 1}
    assert [t.id for t in order_targets(by_load, targets, {}, loads)] == ["b", "c", "a"]
    assert rotate(by_load, targets, {"a": 3}, "a") == {"a": 3}


def test_a_report_counts_each_state_per_partner_and_period() -> None:
    rows = delivery_report(
        [
            delivery(DeliveryState.ACCEPTED, partner_id="org-1"),
            delivery(DeliveryState.DUPLICATE, partner_id="org-1"),
            delivery(DeliveryState.FAILED, partner_id="org-1", delivered_at=T + timedelta(days=7)),
            delivery(DeliveryState.DELIVERED, partner_id="org-3", direction="outgoing"),
        ],
        {"org-1": "Leads Ltd", "org-3": "Insure Co"},
        by="week",
        timezone="UTC",
    )
    assert [(r.direction.value, r.partner_name, r.period, r.total) for r in rows] == [
        ("outgoing", "Insure Co", date(2026, 3, 2), 1),
        ("incoming", "Leads Ltd", date(2026, 3, 2), 2),
        ("incoming", "Leads Ltd", date(2026, 3, 9), 1),
    ]
    assert (rows[1].accepted, rows[1].duplicates, rows[1].delivered) == (1, 1, 1)
    assert (rows[2].failed, rows[2].delivered) == (1, 0)
    assert rows[0].pending == 1


def test_rules_policies_terms_and_deliveries_round_trip_through_json() -> None:
    rule = RoutingRule(
        "hot",
        "Hot leads",
        to="partners",
        strategy="weighted",
        targets=[Target("org-2", 3, Caps(per_hour=5, per_month=900)), Target("org-3")],
        statuses={None, "contacted"},
        channels={"web"},
        conditions=[Condition("fields.budget", "in", [1000, "high"]), Condition("name", "present")],
        allow_duplicates=True,
    )
    values: list[object] = [
        rule,
        ReceivingPolicy(disclosure="rejected"),
        PartnerTerms(FieldMapping(custom={"budget": "price"}), timedelta(days=3)),
        delivery(DeliveryState.RETURNED, reason_id="other", returnable_until=T),
    ]
    for value in values:
        assert serde.loads(serde.dumps(value), type(value)) == value
