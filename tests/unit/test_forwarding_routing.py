"""Routing rules through the facade: users and partners, strategies, caps, switches, conditions."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import attrs
import pytest

from leadcore import Forbidden, Leadcore, ManualClock, Session, ValidationError
from leadcore.events import ForwardingSettingsChanged, LeadRouted, OrganizationCreated
from leadcore.forwarding import (
    CapPeriod,
    Caps,
    Condition,
    DeliveryState,
    RoutingRule,
    Strategy,
    Target,
    TargetKind,
)
from leadcore.ids import SequentialIds
from leadcore.leads import FieldDefinition, LeadSettings
from leadcore.tenancy import Organization

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@attrs.define
class World:
    core: Leadcore
    clock: ManualClock
    agency: Organization
    insure: Organization
    cars: Organization
    a: Session
    users: list[str]
    phones: int = 0

    def lead(self, name: str = "Noa", **kw: object) -> str:
        self.phones += 1
        lead = self.a.leads.create(name, phones=[f"052-345-{self.phones:04d}"], **kw)  # type: ignore[arg-type]
        return lead.id

    def route(self, n: int) -> list[str | None]:
        return [self.a.routing.route(self.lead()).target_id for _ in range(n)]


@pytest.fixture
def w() -> World:
    clock = ManualClock(START)
    core = Leadcore.open(clock=clock, ids=SequentialIds())
    agency, dana = core.create_organization(
        "Star Media", admin_name="Dana", default_region="IL", timezone="UTC"
    )
    a = core.session(dana.id)
    insure, _ = a.partners.add_advertiser("Insure Co", admin_name="Avi")
    cars, _ = a.partners.add_advertiser("Car Co", admin_name="Cal", timezone="Asia/Jerusalem")
    users = [a.users.create(n, "salesperson").id for n in ("Omer", "Yael", "Ioana")]
    return World(core, clock, agency, insure, cars, a, users)


def _to_users(w: World, strategy: Strategy = Strategy.ROUND_ROBIN, **kw: object) -> RoutingRule:
    targets = kw.pop("targets", [Target(u) for u in w.users])
    return RoutingRule("team", "Team", to="users", targets=targets, strategy=strategy, **kw)  # type: ignore[arg-type]


# -- strategies --------------------------------------------------------------------------------


def test_round_robin_hands_leads_to_users_in_turn(w: World) -> None:
    w.a.routing.set_rules([_to_users(w)])
    assert w.route(6) == w.users * 2
    first = w.a.leads.list(assignee_id=w.users[0]).items
    assert len(first) == 2


def test_weighted_routing_gives_each_user_its_share_spread_evenly(w: World) -> None:
    rule = _to_users(w, Strategy.WEIGHTED, targets=[Target(w.users[0], 3), Target(w.users[1])])
    w.a.routing.set_rules([rule])
    chosen = w.route(8)
    assert chosen == [w.users[0], w.users[0], w.users[1], w.users[0]] * 2


def test_by_load_routing_picks_the_user_with_the_fewest_open_leads(w: World) -> None:
    omer, yael, ioana = w.users
    for _ in range(2):
        w.a.leads.assign(w.lead(), [omer])
    busy = w.lead()
    w.a.leads.assign(busy, [yael])
    done = w.lead()
    w.a.leads.assign(done, [ioana])
    w.a.leads.change_status(done, "lost", note="no budget")  # a done lead is no load
    w.a.routing.set_rules([_to_users(w, Strategy.BY_LOAD)])
    assert w.route(4) == [ioana, yael, ioana, omer]


def test_by_load_divides_the_load_by_the_weight(w: World) -> None:
    omer, yael, _ = w.users
    rule = _to_users(w, Strategy.BY_LOAD, targets=[Target(omer, 2), Target(yael, 1)])
    w.a.routing.set_rules([rule])
    assert Counter(w.route(6)) == {omer: 4, yael: 2}


def test_a_partner_cascade_falls_through_caps_and_refusals(w: World) -> None:
    rule = RoutingRule(
        "buyers",
        "Buyers",
        to="partners",
        strategy="cascade",
        targets=[Target(w.insure.id, caps=Caps(per_day=2)), Target(w.cars.id)],
    )
    w.a.routing.set_rules([rule])
    outcomes = [w.a.routing.route(w.lead()) for _ in range(3)]
    assert [o.target_id for o in outcomes] == [w.insure.id, w.insure.id, w.cars.id]
    assert outcomes[0].delivery is not None
    assert outcomes[0].delivery.rule_id == "buyers"
    assert outcomes[0].delivery.state is DeliveryState.DELIVERED
    assert "cap of 2 per day is used up (2026-03-02)" in outcomes[2].skipped[0]
    # The next day the first buyer is back in turn.
    w.clock.advance(timedelta(days=1))
    assert w.route(1) == [w.insure.id]


def test_a_partner_that_holds_the_lead_is_skipped_in_the_cascade(w: World) -> None:
    rule = RoutingRule(
        "buyers", "Buyers", to="partners", strategy="cascade",
        targets=[Target(w.insure.id), Target(w.cars.id)],
    )  # fmt: skip
    w.a.routing.set_rules([rule])
    lead = w.lead()
    phone = w.a.leads.get(lead).phones[0]
    _admin_of(w, w.insure).leads.create("Known", phones=[phone])
    outcome = w.a.routing.route(lead)
    assert outcome.target_id == w.cars.id
    assert outcome.skipped == (
        f"rule 'buyers', target {w.insure.id!r}: the delivery ended duplicate",
    )
    sent = w.a.deliveries.list(direction="outgoing")
    assert [(d.partner_id, d.state) for d in sent] == [
        (w.insure.id, DeliveryState.DUPLICATE),
        (w.cars.id, DeliveryState.DELIVERED),
    ]


def _admin_of(w: World, org: Organization) -> Session:
    for stored in w.core.events.read(org.id):
        if stored.event.type == "organization.created":
            assert isinstance(stored.event, OrganizationCreated)
            return w.core.session(stored.event.admin_id)
    raise AssertionError(org)


def test_weighted_partners_share_the_leads(w: World) -> None:
    rule = RoutingRule(
        "buyers", "Buyers", to="partners", strategy="weighted",
        targets=[Target(w.insure.id, 2), Target(w.cars.id, 1)],
    )  # fmt: skip
    w.a.routing.set_rules([rule])
    assert Counter(w.route(9)) == {w.insure.id: 6, w.cars.id: 3}
    assert len(_admin_of(w, w.insure).leads.list(limit=100).items) == 6


# -- caps in the recipient's time zone ----------------------------------------------------------


def test_caps_count_in_the_recipients_time_zone(w: World) -> None:
    rule = RoutingRule(
        "buyers", "Buyers", to="partners", strategy="cascade",
        targets=[Target(w.cars.id, caps=Caps(per_day=1)), Target(w.insure.id)],
    )  # fmt: skip
    w.a.routing.set_rules([rule])
    w.clock.set(datetime(2026, 3, 2, 21, 30, tzinfo=UTC))  # 23:30 in Jerusalem
    assert w.route(2) == [w.cars.id, w.insure.id]
    w.clock.set(datetime(2026, 3, 2, 22, 30, tzinfo=UTC))  # still March 2 in UTC, not there
    assert w.route(1) == [w.cars.id]
    usage = w.a.routing.usage()
    assert [(u.target_id, u.period, u.key, u.used, u.limit) for u in usage] == [
        (w.cars.id, CapPeriod.DAY, "2026-03-03", 1, 1)
    ]


def test_user_caps_per_hour_use_the_users_own_time_zone(w: World) -> None:
    remote = w.a.users.create("Ana", "salesperson", timezone="America/St_Johns")  # UTC-3:30
    rule = _to_users(
        w,
        Strategy.ROUND_ROBIN,
        targets=[Target(remote.id, caps=Caps(per_hour=1)), Target(w.users[0])],
    )
    w.a.routing.set_rules([rule])
    w.clock.set(datetime(2026, 3, 2, 9, 45, tzinfo=UTC))  # 06:15 in St John's
    assert w.route(3) == [remote.id, w.users[0], w.users[0]]
    w.clock.set(datetime(2026, 3, 2, 10, 15, tzinfo=UTC))  # 06:45 there: the same hour
    assert w.route(1) == [w.users[0]]
    w.clock.set(datetime(2026, 3, 2, 10, 31, tzinfo=UTC))  # 07:01 there: a new hour
    # The rotation resumes where it stood: Omer's turn came after Ana's first lead.
    assert w.route(2) == [w.users[0], remote.id]
    (usage,) = w.a.routing.usage()
    assert (usage.key, usage.used) == ("2026-03-02T07-0330", 1)


def test_a_zero_cap_turns_a_target_off(w: World) -> None:
    rule = _to_users(w, targets=[Target(w.users[0], caps=Caps(per_month=0)), Target(w.users[1])])
    w.a.routing.set_rules([rule])
    assert w.route(2) == [w.users[1], w.users[1]]


# -- what a rule matches --------------------------------------------------------------------------


def test_rules_are_tried_in_order_and_match_on_status_source_and_fields(w: World) -> None:
    w.a.leads.set_settings(LeadSettings(custom_fields=(FieldDefinition("budget", "integer"),)))
    omer, yael, ioana = w.users
    rules = [
        _to_users(
            w,
            targets=[Target(omer)],
            statuses={None},
            channels={"web"},
            conditions=[Condition("fields.budget", "ge", 1000)],
        ),
        attrs.evolve(_to_users(w, targets=[Target(yael)], statuses={"contacted"}), id="qualified"),
        attrs.evolve(_to_users(w, targets=[Target(ioana)]), id="rest"),
    ]
    w.a.routing.set_rules(rules)
    rich = w.lead(channel="web", fields={"budget": 5000})
    poor = w.lead(channel="web", fields={"budget": 10})
    called = w.lead()
    w.a.leads.change_status(called, "contacted", note="spoke")
    assert w.a.routing.route(rich).target_id == omer
    poor_outcome = w.a.routing.route(poor)
    assert poor_outcome.target_id == ioana
    assert poor_outcome.skipped[0] == (
        "rule 'team': conditions[0] (fields.budget ge 1000) does not hold"
    )
    assert w.a.routing.route(called).target_id == yael


def test_duplicates_and_do_not_call_leads_are_routed_only_when_switched_on(w: World) -> None:
    w.a.routing.set_rules([_to_users(w)])
    first = w.a.leads.create("Noa", phones=["052-345-9999"])
    dup = w.a.leads.create("Noa again", phones=["052-345-9999"])
    w.a.leads.add_blocked_number("052-345-8888")
    blocked = w.a.leads.create("Blocked", phones=["052-345-8888"])
    assert w.a.routing.route(first.id).routed
    no = w.a.routing.route(dup.id)
    assert not no.routed
    assert no.skipped == (
        "rule 'team': the lead is a duplicate, and the rule does not route duplicates",
    )
    assert not w.a.routing.route(blocked.id).routed
    w.a.routing.set_rules([_to_users(w, allow_duplicates=True, allow_do_not_call=True)])
    assert w.a.routing.route(dup.id).routed
    assert w.a.routing.route(blocked.id).routed


def test_a_lead_no_rule_takes_comes_back_unrouted_with_the_reasons(w: World) -> None:
    assert w.a.routing.route(w.lead()).skipped == ("no routing rules are set",)
    w.a.routing.set_rules(
        [_to_users(w, targets=[Target(w.users[0], caps=Caps(per_hour=0))], channels={"web"})]
    )
    outcome = w.a.routing.route(w.lead(channel="web"))
    assert not outcome.routed
    assert outcome.skipped == (
        f"rule 'team', target {w.users[0]!r}: its cap of 0 per hour is used up "
        "(2026-03-02T09+0000)",
        "rule 'team': no target could take the lead",
    )


def test_an_inactive_user_is_passed_over(w: World) -> None:
    w.a.routing.set_rules([_to_users(w, targets=[Target(w.users[0]), Target(w.users[1])])])
    w.a.users.deactivate(w.users[0])
    assert w.route(2) == [w.users[1], w.users[1]]


# -- rules as data, permissions, events -----------------------------------------------------------


def test_invalid_rules_report_every_problem_with_its_path(w: World) -> None:
    bad = [
        RoutingRule(
            "Bad Id",
            " ",
            to="users",
            strategy="cascade",
            targets=[Target("user-404"), Target("user-404", weight=0)],
            statuses={"nope"},
            conditions=[Condition("colour", "in", "red")],
        ),
        RoutingRule("p", "P", to="partners", targets=[Target(w.agency.id)]),
        RoutingRule("p", "P", to="partners", strategy="by_load", targets=[]),
    ]
    with pytest.raises(ValidationError) as err:
        w.a.routing.set_rules(bad)
    problems = err.value.problems
    assert "rules[0].id: 'Bad Id' must match [a-z0-9_-]{1,64}" in problems
    assert "rules[0].name: must not be blank" in problems
    assert any(
        p.startswith("rules[0].strategy: 'cascade' does not route to users") for p in problems
    )
    assert "rules[0].targets[1].id: 'user-404' is listed twice" in problems
    assert any(
        p.startswith("rules[0].targets[1].weight: must be whole shares from 1 to ")
        for p in problems
    )
    assert "rules[0].targets[0].id: 'user-404' is not an active user of this organisation" in (
        problems
    )
    assert "rules[0].statuses: 'nope' is not a status of the current workflow" in problems
    assert any(p.startswith("rules[0].conditions[0].field: 'colour'") for p in problems)
    assert "rules[0].conditions[0].value: in needs a list of values" in problems
    assert f"rules[1].targets[0].id: {w.agency.id!r} is not an advertiser of this organisation" in (
        problems
    )
    assert "rules[2].id: 'p' is used by an earlier rule" in problems
    assert "rules[2].targets: a rule needs at least one target" in problems
    assert w.a.routing.rules() == []


def test_routing_needs_the_permission_of_where_the_lead_goes(w: World) -> None:
    seller = w.core.session(w.users[0])
    with pytest.raises(Forbidden, match="manage_partners"):
        seller.routing.set_rules([_to_users(w)])
    w.a.routing.set_rules(
        [
            _to_users(w, channels={"team"}),
            RoutingRule("buyers", "Buyers", to="partners", targets=[Target(w.insure.id)]),
        ]
    )
    own = seller.leads.create("Mine", phones=["052-345-7777"], assignee_ids=[w.users[0]])
    with pytest.raises(Forbidden, match="assign_leads"):
        seller.routing.route(own.id)
    manager = w.core.session(w.a.users.create("Sam", "sales_manager").id)
    with pytest.raises(Forbidden, match="forward_leads"):
        manager.routing.route(own.id)
    assert manager.routing.route(w.lead(channel="team")).to is TargetKind.USERS


def test_routing_and_rule_changes_record_events(w: World) -> None:
    mark = len(w.core.events.read(w.agency.id))
    w.a.routing.set_rules(
        [RoutingRule("buyers", "Buyers", to="partners", targets=[Target(w.insure.id)])]
    )
    outcome = w.a.routing.route(w.lead())
    events = [e.event for e in w.core.events.read(w.agency.id, after=mark)]
    changed = [e for e in events if isinstance(e, ForwardingSettingsChanged)]
    assert [e.setting for e in changed] == ["rules"]
    (routed,) = [e for e in events if isinstance(e, LeadRouted)]
    assert outcome.delivery is not None
    assert (routed.rule_id, routed.to, routed.target_id, routed.delivery_id) == (
        "buyers",
        "partners",
        w.insure.id,
        outcome.delivery.id,
    )


def test_route_many_reports_each_lead_on_its_own(w: World) -> None:
    w.a.routing.set_rules([_to_users(w)])
    good = w.lead()
    result = w.a.routing.route_many([good, "lead-404"])
    routed = result[good]
    assert not isinstance(routed, Exception)
    assert routed.target_id == w.users[0]
    assert str(result["lead-404"]) == "lead 'lead-404' not found"
