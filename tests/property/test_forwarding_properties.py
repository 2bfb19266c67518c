"""Properties of the pure forwarding rules: rotation shares, report sums, periods, conditions."""

from __future__ import annotations

import zoneinfo
from collections import Counter
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from leadcore.forwarding import (
    CapPeriod,
    Condition,
    Delivery,
    DeliveryState,
    Direction,
    RoutingRule,
    Strategy,
    Target,
    delivery_report,
    order_targets,
    period_key,
    rotate,
)
from leadcore.leads import Lead, Source

T = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ZONES = ["UTC", "Asia/Jerusalem", "Europe/Bucharest", "America/St_Johns", "Pacific/Kiritimati"]
weights = st.lists(st.integers(1, 5), min_size=1, max_size=5)


def _rule(strategy: Strategy, ws: list[int]) -> RoutingRule:
    targets = [Target(f"t{i}", w) for i, w in enumerate(ws)]
    return RoutingRule("r", "R", to="users", strategy=strategy, targets=targets)


def _picks(rule: RoutingRule, n: int) -> list[str]:
    state: dict[str, int] = {}
    out = []
    for _ in range(n):
        chosen = order_targets(rule, rule.targets, state, {})[0].id
        state = rotate(rule, rule.targets, state, chosen)
        out.append(chosen)
    return out


@given(ws=weights, cycles=st.integers(1, 3))
def test_weighted_rotation_gives_each_target_exactly_its_weight_in_every_cycle(
    ws: list[int], cycles: int
) -> None:
    rule = _rule(Strategy.WEIGHTED, ws)
    total = sum(ws)
    picks = _picks(rule, total * cycles)
    for c in range(cycles):
        cycle = Counter(picks[c * total : (c + 1) * total])
        assert cycle == {f"t{i}": w for i, w in enumerate(ws)}


@given(ws=weights)
def test_round_robin_gives_no_target_a_second_turn_before_every_target_had_one(
    ws: list[int],
) -> None:
    rule = _rule(Strategy.ROUND_ROBIN, ws)
    n = len(ws)
    picks = _picks(rule, 3 * n)
    for start in range(0, 3 * n, n):
        assert sorted(picks[start : start + n]) == sorted(t.id for t in rule.targets)


deliveries = st.lists(
    st.builds(
        lambda i, state, direction, partner, minutes: Delivery(
            f"d{i}",
            "org-1",
            f"l{i}",
            direction,
            partner,
            "p",
            None,
            state,
            T + timedelta(minutes=minutes),
            T,
        ),
        st.integers(0, 10**6),
        st.sampled_from(DeliveryState),
        st.sampled_from(Direction),
        st.sampled_from(["org-2", "org-3"]),
        st.integers(0, 60 * 24 * 60),
    ),
    max_size=40,
)


@given(
    rows=deliveries,
    by=st.sampled_from(["day", "week", "month", "all"]),
    zone=st.sampled_from(ZONES),
)
def test_every_delivery_is_counted_once_in_exactly_one_outcome(
    rows: list[Delivery], by: str, zone: str
) -> None:
    report = delivery_report(rows, {"org-2": "B", "org-3": "C"}, by=by, timezone=zone)  # type: ignore[arg-type]
    assert sum(r.total for r in report) == len(rows)
    for r in report:
        assert r.total == r.delivered + r.duplicates + r.failed
        assert r.delivered == r.pending + r.accepted + r.rejected + r.returned
    keys = [(r.direction, r.partner_id, r.period) for r in report]
    assert len(keys) == len(set(keys))


@given(
    when=st.datetimes(
        min_value=datetime(2020, 1, 1), max_value=datetime(2035, 1, 1), timezones=st.just(UTC)
    ),
    zone=st.sampled_from(ZONES),
)
def test_cap_periods_are_the_recipients_calendar_day_and_month(when: datetime, zone: str) -> None:
    local = when.astimezone(zoneinfo.ZoneInfo(zone))
    assert period_key(CapPeriod.DAY, when, zone) == local.date().isoformat()
    assert period_key(CapPeriod.MONTH, when, zone) == local.date().isoformat()[:7]
    assert period_key(CapPeriod.HOUR, when, zone).startswith(f"{local:%Y-%m-%dT%H}")


values = st.one_of(st.none(), st.text(max_size=4), st.integers(-3, 3))


@given(value=values, other=values, choices=st.lists(values, max_size=3))
def test_ne_and_not_in_are_the_negations_of_eq_and_in_on_one_valued_fields(
    value: str | int | None, other: str | int | None, choices: list[str | int | None]
) -> None:
    lead = Lead("l", "o", "n", T, T, source=Source(channel="web"), fields={"x": value})
    eq = Condition("fields.x", "eq", other).matches(lead)
    ne = Condition("fields.x", "ne", other).matches(lead)
    within = Condition("fields.x", "in", tuple(choices)).matches(lead)
    outside = Condition("fields.x", "not_in", tuple(choices)).matches(lead)
    if Condition("fields.x", "present").matches(lead):
        assert ne is not eq
        assert outside is not within
    else:  # an empty field equals nothing and differs from everything
        assert (eq, ne, within, outside) == (False, True, False, True)
