"""The SQL forwarding repositories keep every record exactly, and refuse what does not fit.

Records go through a real unit of work and come back equal to what was
written, down to the types of condition values and the offsets of instants.
A value too long for its column is refused with a ``ValidationError`` naming
the field before anything is staged, so the database never holds a
truncated record.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import event
from tests.integration.conftest import BACKENDS

from leadcore.errors import ConflictError, ValidationError
from leadcore.forwarding import (
    Caps,
    Condition,
    ConditionOp,
    Delivery,
    DeliveryState,
    Direction,
    FeedbackReason,
    FieldMapping,
    PartnerTerms,
    ReceivingPolicy,
    RoutingRule,
    Target,
)
from leadcore.storage.sql import SqlStorage, SqlUnitOfWork

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ORG = "org-forwarding"
LONG = "x" * 129

offsets = st.timedeltas(min_value=timedelta(hours=-14), max_value=timedelta(hours=14)).map(
    lambda d: timezone(timedelta(minutes=d // timedelta(minutes=1)))
)
instants = st.datetimes(
    min_value=datetime(1970, 1, 2), max_value=datetime(2200, 1, 1), timezones=offsets
)
ids = st.from_regex(r"[a-z0-9_-]{1,20}", fullmatch=True)
field_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**53), 2**53),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=8),
    st.dates(),
)


@pytest.fixture(scope="module")
def storage() -> Iterator[SqlStorage]:
    """One SQLite database in memory for the round trips (each example uses fresh keys)."""
    made = SqlStorage("sqlite://", create=True)
    yield made
    made.close()


_counter = iter(range(10**9))


def _fresh(prefix: str) -> str:
    return f"{prefix}-{next(_counter)}"


@st.composite
def deliveries(draw: st.DrawFn) -> Delivery:
    delivered = draw(instants)
    return Delivery(
        id=_fresh("delivery"),
        organization_id=ORG,
        link_id=_fresh("link"),
        direction=draw(st.sampled_from(Direction)),
        partner_id=draw(ids),
        partnership_id=draw(ids),
        lead_id=draw(st.none() | ids),
        state=draw(st.sampled_from(DeliveryState)),
        delivered_at=delivered,
        updated_at=draw(instants),
        reason_id=draw(st.none() | ids),
        reason_label=draw(st.none() | st.text(max_size=30)),
        returnable_until=draw(st.none() | instants),
        rule_id=draw(st.none() | ids),
        duplicate_of=draw(st.none() | ids),
    )


conditions = st.builds(
    Condition,
    field=st.sampled_from(["name", "phone", "channel", "fields.budget", "fields.since"]),
    op=st.sampled_from(ConditionOp),
    value=st.one_of(field_values, st.lists(field_values, max_size=3).map(tuple)),
)
rules = st.builds(
    RoutingRule,
    id=ids,
    name=st.text(min_size=1, max_size=10),
    to=st.sampled_from(["users", "partners"]),
    targets=st.lists(
        st.builds(
            Target,
            id=ids,
            weight=st.integers(1, 5),
            caps=st.builds(
                Caps,
                per_hour=st.none() | st.integers(0, 9),
                per_day=st.none() | st.integers(0, 99),
                per_month=st.none() | st.integers(0, 999),
            ),
        ),
        max_size=3,
    ),
    strategy=st.sampled_from(["round_robin", "weighted", "by_load", "cascade"]),
    statuses=st.none() | st.frozensets(st.none() | ids, max_size=3),
    channels=st.none() | st.frozensets(ids, max_size=2),
    supplier_ids=st.none() | st.frozensets(ids, max_size=2),
    conditions=st.lists(conditions, max_size=4),
    allow_duplicates=st.booleans(),
    allow_do_not_call=st.booleans(),
    active=st.booleans(),
)
terms = st.builds(
    PartnerTerms,
    mapping=st.builds(
        FieldMapping,
        standard=st.frozensets(st.sampled_from(["name", "phones", "emails", "channel"])),
        custom=st.dictionaries(ids, ids, max_size=3),
    ),
    return_window=st.none() | st.timedeltas(min_value=timedelta(microseconds=1)),
)
policies = st.builds(
    ReceivingPolicy,
    duplicates=st.sampled_from(["reject", "keep"]),
    disclosure=st.sampled_from(["duplicate", "rejected", "unexplained"]),
    reasons=st.lists(
        st.builds(
            FeedbackReason,
            id=ids,
            label=st.text(max_size=20),
            states=st.frozensets(st.sampled_from(["accepted", "rejected", "returned"])),
        ),
        max_size=4,
    ),
)
ROUND_TRIP = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@ROUND_TRIP
@given(delivery=deliveries())
def test_a_delivery_comes_back_exactly_as_written(storage: SqlStorage, delivery: Delivery) -> None:
    with storage.unit_of_work() as uow:
        uow.deliveries.add(delivery)
        uow.commit()
    with storage.unit_of_work() as uow:
        back = uow.deliveries.get(ORG, delivery.id)
        assert back == delivery
        assert back is not None
        assert back.delivered_at.utcoffset() == delivery.delivered_at.utcoffset()
        assert uow.deliveries.by_link(ORG, delivery.link_id) == delivery


@ROUND_TRIP
@given(rule_list=st.lists(rules, max_size=3))
def test_routing_rules_come_back_exactly_with_the_types_of_their_values(
    storage: SqlStorage, rule_list: list[RoutingRule]
) -> None:
    org = _fresh("org")
    with storage.unit_of_work() as uow:
        uow.routing.put_rules(org, rule_list)
        uow.commit()
    with storage.unit_of_work() as uow:
        back = list(uow.routing.rules(org))
    assert back == rule_list
    for mine, theirs in zip(back, rule_list, strict=True):
        assert [type(c.value) for c in mine.conditions] == [
            type(c.value) for c in theirs.conditions
        ]


def test_a_date_condition_stays_a_date_not_its_text(storage: SqlStorage) -> None:
    rule = RoutingRule(
        "since",
        "Since",
        to="users",
        targets=[Target("u1")],
        conditions=[
            Condition("fields.since", "ge", date(2026, 1, 2)),
            Condition("fields.code", "eq", "2026-01-02"),
            Condition("fields.score", "in", [1, 1.0, True, date(2026, 1, 2)]),
        ],
    )
    with storage.unit_of_work() as uow:
        uow.routing.put_rules("org-dates", [rule])
        uow.commit()
    with storage.unit_of_work() as uow:
        (back,) = uow.routing.rules("org-dates")
    values = [c.value for c in back.conditions]
    assert values == [date(2026, 1, 2), "2026-01-02", (1, 1.0, True, date(2026, 1, 2))]
    assert [type(v) for v in values[2]] == [int, float, bool, date]  # type: ignore[union-attr]


@ROUND_TRIP
@given(the_terms=terms, policy=policies, state=st.dictionaries(ids, st.integers(-99, 99)))
def test_terms_policies_and_rotations_come_back_exactly(
    storage: SqlStorage, the_terms: PartnerTerms, policy: ReceivingPolicy, state: dict[str, int]
) -> None:
    org = _fresh("org")
    with storage.unit_of_work() as uow:
        uow.delivery_terms.put_terms(org, "partnership-1", the_terms)
        uow.delivery_terms.put_policy(org, policy)
        uow.routing.put_rotation(org, "rule-1", state)
        uow.commit()
    with storage.unit_of_work() as uow:
        assert uow.delivery_terms.terms(org, "partnership-1") == the_terms
        assert uow.delivery_terms.policy(org) == policy
        assert dict(uow.routing.rotation(org, "rule-1")) == state


# -- values that do not fit ------------------------------------------------------------------


def _delivery(**changes: object) -> Delivery:
    base = Delivery(
        id="delivery-1",
        organization_id=ORG,
        link_id="link-1",
        direction=Direction.OUTGOING,
        partner_id="org-partner",
        partnership_id="partnership-1",
        lead_id="lead-1",
        state=DeliveryState.DELIVERED,
        delivered_at=T0,
        updated_at=T0,
    )
    return attrs.evolve(base, **changes)  # type: ignore[arg-type]


@pytest.mark.parametrize("backend", BACKENDS)
def test_values_too_long_for_their_column_are_refused_naming_the_field(
    backend: str, make_storage: Callable[[str], SqlStorage]
) -> None:
    storage = make_storage(backend)
    with storage.unit_of_work() as uow:
        uow.deliveries.add(_delivery())
        uow.commit()
    refused: dict[str, Callable[[SqlUnitOfWork], object]] = {
        "delivery.id": lambda u: u.deliveries.add(_delivery(id=LONG, link_id="link-2")),
        "delivery.link_id": lambda u: u.deliveries.add(_delivery(id="d-2", link_id=LONG)),
        "delivery.partner_id": lambda u: u.deliveries.add(
            _delivery(id="d-3", link_id="link-3", partner_id=LONG)
        ),
        "delivery.lead_id": lambda u: u.deliveries.update(_delivery(lead_id=LONG)),
        "delivery.partnership_id": lambda u: u.deliveries.update(_delivery(partnership_id=LONG)),
        "delivery.reason_id": lambda u: u.deliveries.update(_delivery(reason_id=LONG)),
        "partner terms.partnership_id": lambda u: u.delivery_terms.put_terms(
            ORG, LONG, PartnerTerms()
        ),
        "routing rotation.rule_id": lambda u: u.routing.put_rotation(ORG, LONG, {"a": 1}),
        "routing counter.target_id": lambda u: u.routing.add_count(ORG, "rule", LONG, "2026"),
        "routing counter.period": lambda u: u.routing.add_count(ORG, "rule", "t", LONG),
    }
    for field, write in refused.items():
        with storage.unit_of_work() as uow:
            with pytest.raises(ValidationError) as caught:
                write(uow)
            assert any(p.startswith(f"{field}:") for p in caught.value.problems), (
                field,
                caught.value.problems,
            )
            # Nothing was staged: what else the unit of work writes still commits.
            uow.routing.add_count(ORG, "rule", "t", "2026-03")
            uow.commit()
    with storage.unit_of_work() as uow:
        assert uow.deliveries.list(ORG) == [_delivery()]
        assert uow.delivery_terms.terms(ORG, LONG) is None
        assert dict(uow.routing.rotation(ORG, LONG)) == {}
        assert uow.routing.count(ORG, "rule", "t", "2026-03") == len(refused)


# -- races between units of work --------------------------------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
def test_two_units_of_work_sending_one_lead_do_not_both_commit(
    backend: str, make_storage: Callable[[str], SqlStorage]
) -> None:
    storage = make_storage(backend)
    with storage.unit_of_work() as first, storage.unit_of_work() as second:
        for uow in (first, second):
            assert uow.deliveries.for_lead(ORG, "lead-1") == []
        # Both saw no earlier delivery; the lead's row makes the second commit lose.
        for uow, n in ((first, 1), (second, 2)):
            uow.deliveries.add(_delivery(id=f"d-{n}", link_id=f"link-{n}"))
        first.commit()
        with pytest.raises(ConflictError, match="nothing was written"):
            second.commit()
    with storage.unit_of_work() as uow:
        assert [d.id for d in uow.deliveries.for_lead(ORG, "lead-1")] == ["d-1"]
        # A lead with deliveries already: the same race, now on an existing row.
        with storage.unit_of_work() as other:
            assert len(other.deliveries.for_lead(ORG, "lead-1")) == 1
            assert len(uow.deliveries.for_lead(ORG, "lead-1")) == 1
            other.deliveries.add(_delivery(id="d-3", link_id="link-3"))
            uow.deliveries.add(_delivery(id="d-4", link_id="link-4"))
            other.commit()
            with pytest.raises(ConflictError, match="nothing was written"):
                uow.commit()
    with storage.unit_of_work() as uow:
        assert [d.id for d in uow.deliveries.for_lead(ORG, "lead-1")] == ["d-1", "d-3"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_one_link_recorded_twice_at_once_in_one_organisation_conflicts(
    backend: str, make_storage: Callable[[str], SqlStorage]
) -> None:
    storage = make_storage(backend)
    with storage.unit_of_work() as first, storage.unit_of_work() as second:
        first.deliveries.add(_delivery(id="d-1", lead_id=None))
        second.deliveries.add(_delivery(id="d-2", lead_id=None))
        first.commit()
        with pytest.raises(ConflictError, match="nothing was written"):
            second.commit()
    with storage.unit_of_work() as uow:
        assert [d.id for d in uow.deliveries.list(ORG)] == ["d-1"]
        assert uow.deliveries.by_link(ORG, "link-1") == _delivery(id="d-1", lead_id=None)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("existing", [0, 4])
def test_two_units_of_work_bumping_one_counter_do_not_both_commit(
    backend: str, existing: int, make_storage: Callable[[str], SqlStorage]
) -> None:
    storage = make_storage(backend)
    key = (ORG, "buyers", "org-partner", "2026-03-02")
    with storage.unit_of_work() as uow:
        for _ in range(existing):
            uow.routing.add_count(*key)
        uow.commit()
    with storage.unit_of_work() as first, storage.unit_of_work() as second:
        assert first.routing.add_count(*key) == existing + 1
        assert second.routing.add_count(*key) == existing + 1
        first.commit()
        with pytest.raises(ConflictError, match="nothing was written"):
            second.commit()
    with storage.unit_of_work() as uow:
        assert uow.routing.count(*key) == existing + 1


# -- the queries use their indexes -------------------------------------------------------------


def test_every_delivery_query_is_answered_through_an_index(tmp_path: Path) -> None:
    storage = SqlStorage(f"sqlite:///{tmp_path / 'plans.db'}", create=True)
    statements: list[tuple[str, Any]] = []

    def seen(conn: Any, cursor: Any, statement: str, parameters: Any, *args: Any) -> None:
        if "FROM leadcore_deliver" in statement:
            statements.append((statement, parameters))

    try:
        with storage.unit_of_work() as uow:
            uow.deliveries.add(_delivery())
            uow.commit()
        event.listen(storage.engine, "before_cursor_execute", seen)
        with storage.unit_of_work() as uow:
            uow.deliveries.for_lead(ORG, "lead-1")
            uow.deliveries.by_link(ORG, "link-1")
            uow.deliveries.list(ORG, start=T0, end=T0 + timedelta(days=1))
            uow.deliveries.list(ORG, direction=Direction.INCOMING)
            uow.deliveries.list(ORG, partner_id="org-partner")
        event.remove(storage.engine, "before_cursor_execute", seen)
        used = []
        with storage.engine.connect() as c:
            for statement, parameters in statements:
                plan = c.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters).all()
                details = " | ".join(str(row[-1]) for row in plan)
                assert "SCAN" not in details, (statement, details)
                used.append(details.split(" USING INDEX ")[1].split(" ")[0])
        key = "sqlite_autoindex_leadcore_{}_1".format
        assert used == [
            key("delivery_leads"),  # for_lead: the lead's row, then its deliveries
            "ix_leadcore_deliveries_lead",
            key("delivery_links"),  # by_link: the link's row, then the record by its key
            key("deliveries"),
            "ix_leadcore_deliveries_delivered",
            "ix_leadcore_deliveries_direction",
            "ix_leadcore_deliveries_partner",
        ]
    finally:
        storage.close()
