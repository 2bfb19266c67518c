"""The dispatch service through the facade: what "next" hands out under each project rule.

Every test runs a small call centre on ``MemoryStorage`` with a manual clock:
a manager (the organisation's account manager) configures a project, its
pools and its rules; agents (qualifiers) press "next", call, renew, release
and change statuses under their claims.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta

import attrs
import pytest

from leadcore import Leadcore, Session
from leadcore.clock import ManualClock
from leadcore.dispatch import (
    Agent,
    AgentFilter,
    AgentLoad,
    Claim,
    Exclusion,
    FieldEquals,
    OrderRule,
    Pool,
    PoolKind,
    ProjectRules,
    SecondaryOrder,
    Tier,
)
from leadcore.errors import (
    Forbidden,
    LeadConverted,
    LeaseLost,
    NotFound,
    TransitionRefused,
    ValidationError,
)
from leadcore.events import (
    CallLogged,
    LeadClaimed,
    LeaseExpired,
    LeaseReleased,
    PoolsChanged,
    event_from_dict,
    event_to_dict,
)
from leadcore.ids import SequentialIds
from leadcore.leads import (
    FieldDefinition,
    FieldType,
    HistoryKind,
    Lead,
    LeadSettings,
    Project,
    TaskDraft,
    TaskKind,
)
from leadcore.storage._memory_dispatch import MemoryDispatch
from leadcore.tenancy import Permission

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
HOT = Pool("hot", PoolKind.PROJECT, "Hot")
COLD = Pool("cold", PoolKind.GENERAL, "Cold")


@attrs.define
class CallCentre:
    """One organisation with a project, its manager and its agents."""

    core: Leadcore
    clock: ManualClock
    manager: Session
    agents: dict[str, Session]
    user_ids: dict[str, str]
    project: Project

    def agent(self, name: str) -> Session:
        return self.agents[name]

    def lead(self, name: str, pool_id: str | None = "hot", **values: object) -> Lead:
        """Create a lead one minute after the previous one, so that ages differ."""
        self.clock.advance(timedelta(minutes=1))
        return self.manager.leads.create(
            name,
            project_id=self.project.id,
            pool_id=pool_id,
            **values,  # type: ignore[arg-type]
        )

    def next_id(self, name: str) -> str | None:
        claim = self.agent(name).dispatch.next(self.project.id)
        return None if claim is None else claim.lead_id

    def drain(self, name: str) -> list[str]:
        """Every lead the agent gets by pressing "next" until nothing is left."""
        out: list[str] = []
        while (lead_id := self.next_id(name)) is not None:
            out.append(lead_id)
        return out

    def set_rules(self, rules: ProjectRules) -> None:
        self.project = self.manager.leads.update_project(self.project.id, rules=rules)

    def advance(self, **delta: float) -> None:
        self.clock.advance(timedelta(**delta))

    def events(self, kind: type[object]) -> list[object]:
        org = self.project.organization_id
        return [e.event for e in self.core.events.read(org) if isinstance(e.event, kind)]


def call_centre(
    rules: ProjectRules | None = None,
    *,
    agents: Sequence[str] = ("dana", "omer", "ioana"),
    pools: Iterable[Pool] = (HOT, COLD),
    order: Iterable[str] = ("hot", "cold"),
    agent_orders: Mapping[str, Iterable[str]] | None = None,
    private_pools: bool = False,
) -> CallCentre:
    clock = ManualClock(T0)
    core = Leadcore.open(clock=clock, ids=SequentialIds())
    _, admin = core.create_organization("Agency", admin_name="Maya")
    manager = core.session(admin.id)
    user_ids = {name: manager.users.create(name.title(), "qualifier").id for name in agents}
    project = manager.leads.create_project(
        "Spring campaign", rules=rules or ProjectRules(), member_ids=user_ids.values()
    )
    all_pools = list(pools)
    if private_pools:
        all_pools = [
            Pool(f"{name}-book", PoolKind.PRIVATE, f"{name}'s book", owner_id=uid)
            for name, uid in user_ids.items()
        ] + all_pools
    orders = None
    if agent_orders is not None:
        orders = {user_ids[name]: list(o) for name, o in agent_orders.items()}
    manager.dispatch.set_pools(project.id, all_pools, order=order, agent_orders=orders)
    sessions = {name: core.session(uid) for name, uid in user_ids.items()}
    return CallCentre(core, clock, manager, sessions, user_ids, project)


def snapshot(c: CallCentre, lead_id: str) -> tuple[object, ...]:
    """Everything a write under a claim could touch, read back through the services."""
    s = c.manager
    return (
        s.leads.get(lead_id),
        s.leads.history(lead_id, limit=500).items,
        s.leads.notes(lead_id),
        s.leads.tasks(lead_id),
        s.dispatch.lease(lead_id),
        len(c.core.events.read(c.project.organization_id)),
    )


# -- pools and their order ------------------------------------------------------------


def test_pools_are_drawn_in_priority_order_oldest_first() -> None:
    c = call_centre()
    cold_old = c.lead("cold old", "cold").id
    hot_old = c.lead("hot old").id
    cold_new = c.lead("cold new", "cold").id
    hot_new = c.lead("hot new").id
    assert c.drain("dana") == [hot_old, hot_new, cold_old, cold_new]


def test_a_changed_pool_order_applies_at_once() -> None:
    c = call_centre()
    hot = c.lead("hot").id
    cold = c.lead("cold", "cold").id
    c.manager.dispatch.set_pools(c.project.id, [HOT, COLD], order=["cold", "hot"])
    assert c.drain("dana") == [cold, hot]


def test_all_pools_ignores_the_pool_order() -> None:
    c = call_centre(ProjectRules(all_pools=True))
    cold_old = c.lead("cold old", "cold").id
    hot_old = c.lead("hot old").id
    cold_new = c.lead("cold new", "cold").id
    assert c.drain("dana") == [cold_old, hot_old, cold_new]


def test_own_pools_come_before_project_pools_and_others_private_pools_never() -> None:
    c = call_centre(private_pools=True)
    project_lead = c.lead("project lead").id
    omers = c.lead("omer's", "omer-book").id
    danas = c.lead("dana's", "dana-book").id
    assert c.drain("dana") == [danas, project_lead]
    assert c.drain("omer") == [omers]


def test_all_pools_still_puts_own_pools_before_project_pools() -> None:
    c = call_centre(ProjectRules(all_pools=True), private_pools=True)
    project_lead = c.lead("project lead").id
    danas = c.lead("dana's", "dana-book").id
    assert c.drain("dana") == [danas, project_lead]


def test_without_project_pools_each_agent_works_only_their_own_book() -> None:
    c = call_centre(ProjectRules(include_project_pools=False), private_pools=True)
    c.lead("project lead")
    danas = c.lead("dana's", "dana-book").id
    assert c.drain("dana") == [danas]
    assert c.drain("omer") == []
    text = c.agent("omer").dispatch.explain(c.project.id).text()
    assert "Project pools are not included (rule include_project_pools): Cold, Hot." in text


def test_an_agent_order_replaces_the_project_order_for_that_agent_only() -> None:
    c = call_centre(agent_orders={"omer": ["cold", "hot"]})
    hot = c.lead("hot").id
    cold = c.lead("cold", "cold").id
    assert c.next_id("dana") == hot
    assert c.next_id("omer") == cold


def test_leads_outside_pools_or_in_unknown_pools_are_never_dispatched() -> None:
    c = call_centre()
    c.lead("no pool", None)
    c.lead("stray", "gone")
    assert c.drain("dana") == []
    why = c.agent("dana").dispatch.explain(c.project.id)
    assert why.candidates == 1
    assert [(e.reason, e.count) for e in why.excluded] == [(Exclusion.UNKNOWN_POOL, 1)]


# -- no status first and secondary orders ---------------------------------------------


def _worked_and_fresh(c: CallCentre) -> tuple[str, str]:
    worked = c.lead("worked").id
    c.manager.leads.change_status(worked, "new")
    fresh = c.lead("fresh").id
    return worked, fresh


def test_no_status_first_brings_fresh_leads_before_worked_ones() -> None:
    c = call_centre(ProjectRules(no_status_first=True))
    worked, fresh = _worked_and_fresh(c)
    claim = c.agent("dana").dispatch.next(c.project.id)
    assert claim is not None
    assert (claim.lead_id, claim.rule) == (fresh, OrderRule.NO_STATUS_FIRST)
    assert c.next_id("dana") == worked


def test_without_no_status_first_the_oldest_comes_first_whatever_its_status() -> None:
    c = call_centre(ProjectRules(no_status_first=False))
    worked, fresh = _worked_and_fresh(c)
    assert c.drain("dana") == [worked, fresh]


@pytest.mark.parametrize(
    ("order", "expected"),
    [
        (SecondaryOrder.OLDEST_FIRST, ["a", "b", "c"]),
        (SecondaryOrder.NEWEST_FIRST, ["c", "b", "a"]),
        (SecondaryOrder.LEAST_RECENTLY_CONTACTED, ["c", "a", "b"]),
        (SecondaryOrder.FEWEST_ATTEMPTS, ["c", "a", "b"]),
    ],
)
def test_secondary_orders(order: SecondaryOrder, expected: list[str]) -> None:
    c = call_centre(ProjectRules(secondary_order=order, lock_window_minutes=60))
    ids = {name: c.lead(name).id for name in "abc"}
    dana = c.agent("dana").dispatch
    claims = {claim.lead_id: claim for claim in (_claimed(c) for _ in range(3))}
    # a: one call at 09:10; b: two calls, the last at 09:20; c: never called.
    for name, minute in (("a", 10), ("b", 12), ("b", 20)):
        c.clock.set(T0 + timedelta(minutes=minute))
        dana.log_call(ids[name], claims[ids[name]].token, outcome="no answer")
    for claim in claims.values():
        dana.release(claim.lead_id, claim.token)
    by_id = {v: k for k, v in ids.items()}
    assert [by_id[i] for i in c.drain("ioana")] == expected


def test_ties_are_broken_by_lead_id() -> None:
    c = call_centre()
    first = c.manager.leads.create("x", project_id=c.project.id, pool_id="hot").id
    second = c.manager.leads.create("y", project_id=c.project.id, pool_id="hot").id
    assert c.drain("dana") == sorted([first, second])


# -- relationships and filters ----------------------------------------------------------


def test_a_lead_assigned_to_someone_else_stays_with_them() -> None:
    c = call_centre(ProjectRules(allow_multiple_relationships=False))
    omers = c.lead("omer's", assignee_ids=[c.user_ids["omer"]]).id
    free = c.lead("free").id
    assert c.drain("dana") == [free]
    assert c.drain("omer") == [omers]
    why = c.agent("ioana").dispatch.explain(c.project.id)
    assert (Exclusion.ASSIGNED_ELSEWHERE, 1) in [(e.reason, e.count) for e in why.excluded]


def test_with_multiple_relationships_assigned_leads_go_to_anyone() -> None:
    c = call_centre(ProjectRules(allow_multiple_relationships=True))
    shared = c.lead("shared", assignee_ids=[c.user_ids["omer"], c.user_ids["ioana"]]).id
    assert c.drain("dana") == [shared]


def test_a_manager_sets_an_agents_filter() -> None:
    c = call_centre()
    fresh = c.lead("fresh").id
    worked = c.lead("worked").id
    c.manager.leads.change_status(worked, "new")
    wanted = AgentFilter(statuses={"new"})
    c.manager.dispatch.set_filter(c.project.id, c.user_ids["dana"], wanted)
    assert c.manager.dispatch.filter(c.project.id, c.user_ids["dana"]) == wanted
    assert c.agent("dana").dispatch.filter(c.project.id) == wanted
    assert c.drain("dana") == [worked]
    assert c.drain("omer") == [fresh]
    why = c.agent("dana").dispatch.explain(c.project.id)
    assert (Exclusion.FILTERED, 1) in [(e.reason, e.count) for e in why.excluded]


def test_clearing_a_filter_gives_the_agent_everything_again() -> None:
    c = call_centre()
    lead = c.lead("fresh").id
    uid = c.user_ids["dana"]
    c.manager.dispatch.set_filter(c.project.id, uid, AgentFilter(statuses={"new"}))
    assert c.next_id("dana") is None
    c.manager.dispatch.set_filter(c.project.id, uid, None)
    assert c.manager.dispatch.filter(c.project.id, uid) is None
    assert c.next_id("dana") == lead


def test_a_filter_on_custom_fields_and_sources() -> None:
    c = call_centre()
    c.manager.leads.set_settings(
        LeadSettings(custom_fields=(FieldDefinition("city", FieldType.TEXT),))
    )
    haifa_fb = c.lead("a", fields={"city": "haifa"}, channel="facebook").id
    c.lead("b", fields={"city": "eilat"}, channel="facebook")
    c.lead("c", fields={"city": "haifa"}, channel="google")
    c.manager.dispatch.set_filter(
        c.project.id,
        c.user_ids["dana"],
        AgentFilter(sources={"facebook"}, field_equals=[FieldEquals("city", "haifa")]),
    )
    assert c.drain("dana") == [haifa_fb]


def test_agents_set_their_own_filter_only_where_the_project_allows_it() -> None:
    c = call_centre(ProjectRules(agents_set_own_filters=False))
    dana = c.agent("dana")
    mine = AgentFilter(no_status=True)
    c.manager.users.grant(c.user_ids["dana"], Permission.SET_OWN_DISPATCH_FILTERS)
    with pytest.raises(Forbidden, match="does not let agents set their own filters"):
        dana.dispatch.set_filter(c.project.id, c.user_ids["dana"], mine)
    c.set_rules(ProjectRules(agents_set_own_filters=True))
    dana.dispatch.set_filter(c.project.id, c.user_ids["dana"], mine)
    assert dana.dispatch.filter(c.project.id) == mine
    with pytest.raises(Forbidden):
        dana.dispatch.set_filter(c.project.id, c.user_ids["omer"], mine)
    assert c.manager.dispatch.filter(c.project.id, c.user_ids["omer"]) is None


def test_an_agent_without_the_permission_may_not_set_their_own_filter() -> None:
    c = call_centre(ProjectRules(agents_set_own_filters=True))
    with pytest.raises(Forbidden):
        c.agent("omer").dispatch.set_filter(c.project.id, c.user_ids["omer"], AgentFilter())


# -- the lock window, auto-dial and the alert --------------------------------------------


def test_a_claimed_lead_is_locked_for_the_window_then_goes_to_the_next_agent() -> None:
    c = call_centre(ProjectRules(lock_window_minutes=10))
    only = c.lead("only").id
    claim = c.agent("dana").dispatch.next(c.project.id)
    assert claim is not None
    assert claim.lead_id == only
    assert claim.exclusive
    assert claim.expires_at == claim.claimed_at + timedelta(minutes=10)
    assert c.next_id("omer") is None
    c.clock.set(claim.expires_at - timedelta(microseconds=1))
    assert c.next_id("omer") is None
    c.clock.set(claim.expires_at)
    assert c.next_id("omer") == only


def test_next_means_another_lead_for_the_agent_who_holds_one() -> None:
    c = call_centre()
    first = c.lead("first").id
    second = c.lead("second").id
    assert c.drain("dana") == [first, second]


def test_with_a_window_of_zero_several_agents_load_the_same_lead() -> None:
    c = call_centre(ProjectRules(lock_window_minutes=0))
    only = c.lead("only").id
    a = c.agent("dana").dispatch.next(c.project.id)
    b = c.agent("omer").dispatch.next(c.project.id)
    assert a is not None
    assert b is not None
    assert (a.lead_id, b.lead_id) == (only, only)
    assert not a.exclusive
    assert b.token > a.token
    # Both may work the lead: a window of 0 locks nobody out.
    c.agent("dana").dispatch.log_call(only, a.token, outcome="busy")
    c.agent("omer").dispatch.add_note(only, b.token, "Called back later")
    assert c.manager.leads.get(only).attempts == 1


def test_auto_dial_and_the_alert_time_come_with_the_claim() -> None:
    c = call_centre(ProjectRules(auto_dial=True, wait_before_alert_seconds=60))
    c.lead("only")
    claim = c.agent("dana").dispatch.next(c.project.id)
    assert claim is not None
    assert claim.auto_dial
    assert claim.alert_at == claim.claimed_at + timedelta(seconds=60)
    c2 = call_centre()
    c2.lead("only")
    plain = c2.agent("dana").dispatch.next(c2.project.id)
    assert plain is not None
    assert not plain.auto_dial
    assert plain.alert_at == plain.claimed_at


def test_the_claim_carries_the_lead_and_why_it_was_chosen() -> None:
    c = call_centre()
    lead = c.lead("Noa Levi")
    claim = c.agent("dana").dispatch.next(c.project.id)
    assert isinstance(claim, Claim)
    assert claim.lead is not None
    assert claim.lead.name == "Noa Levi"
    assert (claim.lead_id, claim.agent_id) == (lead.id, c.user_ids["dana"])
    assert (claim.tier, claim.rule, claim.pool_id) == (
        Tier.POOL,
        OrderRule.SECONDARY_ORDER,
        "hot",
    )


# -- callbacks ----------------------------------------------------------------------------


def _callback(c: CallCentre, lead_id: str, owner: str, due_in: timedelta) -> None:
    c.manager.leads.add_task(
        lead_id,
        TaskDraft(
            "Call back",
            due_at=c.clock.now() + due_in,
            assignee_id=c.user_ids[owner],
            kind=TaskKind.CALLBACK,
        ),
    )


def test_a_callback_is_held_until_due_then_comes_first_for_its_owner() -> None:
    c = call_centre(ProjectRules(lock_window_minutes=60))
    old = c.lead("old").id
    promised = c.lead("promised", "cold").id
    _callback(c, promised, "omer", timedelta(minutes=30))
    assert c.drain("dana") == [old]
    assert c.drain("omer") == []
    c.advance(minutes=30)
    assert c.drain("dana") == []
    claim = c.agent("omer").dispatch.next(c.project.id)
    assert claim is not None
    assert (claim.lead_id, claim.tier, claim.rule) == (
        promised,
        Tier.OWN_CALLBACK,
        OrderRule.CALLBACK_DUE,
    )


def test_a_due_callback_comes_before_every_pool() -> None:
    c = call_centre()
    c.lead("hot and old")
    promised = c.lead("promised", "cold").id
    _callback(c, promised, "dana", timedelta(minutes=5))
    c.advance(minutes=5)
    assert c.next_id("dana") == promised


def test_a_callback_opens_to_everyone_after_the_grace_period() -> None:
    c = call_centre(ProjectRules(callback_grace_minutes=15))
    promised = c.lead("promised").id
    _callback(c, promised, "omer", timedelta(minutes=30))
    c.advance(minutes=44)
    assert c.next_id("dana") is None
    why = c.agent("dana").dispatch.explain(c.project.id)
    reserved = next(e for e in why.excluded if e.reason is Exclusion.CALLBACK_RESERVED)
    assert reserved.until == c.clock.now() + timedelta(minutes=1)
    c.advance(minutes=1)
    claim = c.agent("dana").dispatch.next(c.project.id)
    assert claim is not None
    assert (claim.lead_id, claim.tier) == (promised, Tier.OPEN_CALLBACK)


def test_a_completed_callback_puts_the_lead_back_in_its_pool() -> None:
    c = call_centre()
    promised = c.lead("promised").id
    _callback(c, promised, "omer", timedelta(days=1))
    assert c.drain("dana") == []
    (task,) = c.manager.leads.tasks(promised)
    c.manager.leads.complete_task(task.id)
    assert c.drain("dana") == [promised]


def test_a_plain_task_does_not_hold_the_lead() -> None:
    c = call_centre()
    lead = c.lead("lead").id
    c.manager.leads.add_task(lead, TaskDraft("Send the brochure", due_in=timedelta(days=2)))
    assert c.drain("dana") == [lead]


def test_the_earliest_open_callback_decides() -> None:
    c = call_centre()
    lead = c.lead("lead").id
    _callback(c, lead, "omer", timedelta(hours=2))
    _callback(c, lead, "dana", timedelta(hours=1))
    c.advance(hours=1)
    assert c.next_id("omer") is None
    assert c.next_id("dana") == lead


# -- caps --------------------------------------------------------------------------------


def test_the_hourly_cap_stops_an_agent_until_the_hour_rolls_on() -> None:
    c = call_centre(ProjectRules(max_claims_per_hour=2, lock_window_minutes=120))
    leads = [c.lead(f"l{i}").id for i in range(4)]
    assert c.next_id("dana") == leads[0]
    c.advance(minutes=10)
    assert c.next_id("dana") == leads[1]
    assert c.next_id("dana") is None
    why = c.agent("dana").dispatch.explain(c.project.id)
    assert why.cap is not None
    assert (why.cap.limit, why.cap.claims) == (2, 2)
    assert "cap reached" in why.text()
    assert "2 claims in the last hour" in why.text()
    # Other agents are not held back by dana's cap.
    assert c.next_id("omer") == leads[2]
    c.advance(minutes=50)
    assert c.next_id("dana") == leads[3]


def test_the_daily_cap_counts_the_last_24_hours() -> None:
    c = call_centre(ProjectRules(max_claims_per_day=1, lock_window_minutes=1))
    first = c.lead("first").id
    c.lead("second")
    assert c.next_id("dana") == first
    c.advance(hours=23)
    assert c.next_id("dana") is None
    c.advance(hours=1)
    assert c.next_id("dana") is not None


# -- invariant 5: done, converted and do-not-call leads ----------------------------------


def test_done_leads_are_never_dispatched() -> None:
    c = call_centre()
    lead = c.lead("finished").id
    c.manager.leads.change_status(lead, "not_relevant")
    assert c.drain("dana") == []
    why = c.agent("dana").dispatch.explain(c.project.id)
    assert [(e.reason, e.count) for e in why.excluded] == [(Exclusion.DONE, 1)]


def test_a_lead_that_becomes_done_under_a_claim_is_not_dispatched_again() -> None:
    c = call_centre(ProjectRules(lock_window_minutes=1))
    lead = c.lead("finished").id
    claim = c.agent("dana").dispatch.next(c.project.id)
    assert claim is not None
    dana = c.agent("dana")
    dana.dispatch.change_status(lead, claim.token, "new")
    dana.dispatch.change_status(lead, claim.token, "not_relevant")
    c.advance(hours=1)
    assert c.drain("omer") == []


def test_converted_leads_are_never_dispatched() -> None:
    c = call_centre()
    lead = c.lead("customer").id
    c.manager.leads.convert(lead, account_name="Customer Ltd")
    assert c.drain("dana") == []
    with pytest.raises(LeadConverted):
        c.manager.leads.update(lead, name="renamed")


def test_leads_with_a_blocked_number_are_never_dispatched() -> None:
    c = call_centre()
    c.manager.leads.add_blocked_number("+972 52-555-0123")
    blocked = c.lead("blocked", phones=["+972525550123"]).id
    assert c.manager.leads.get(blocked).do_not_call
    assert c.drain("dana") == []


def test_a_number_blocked_after_intake_stops_dispatch_of_its_leads() -> None:
    c = call_centre()
    lead = c.lead("later blocked", phones=["+972525550123"]).id
    c.manager.leads.add_blocked_number("+972525550123")
    assert c.drain("dana") == []
    c.manager.leads.remove_blocked_number("+972525550123")
    assert c.drain("dana") == [lead]


# -- leases: claims, calls, renewals, releases -------------------------------------------


def test_log_call_records_the_call_and_locks_the_lead_again() -> None:
    c = call_centre(ProjectRules(lock_window_minutes=10))
    lead = c.lead("lead").id
    dana = c.agent("dana")
    claim = dana.dispatch.next(c.project.id)
    assert claim is not None
    c.advance(minutes=7)
    lease = dana.dispatch.log_call(lead, claim.token, outcome="no answer", note="Try evening")
    assert lease.expires_at == c.clock.now() + timedelta(minutes=10)
    assert dana.dispatch.lease(lead) == lease
    stored = c.manager.leads.get(lead)
    assert (stored.attempts, stored.last_contact_at) == (1, c.clock.now())
    entries = c.manager.leads.history(lead).items
    call = next(e for e in entries if e.kind is HistoryKind.CALL)
    assert call.text == "no answer: Try evening"
    assert call.actor_id == c.user_ids["dana"]
    assert [n.text for n in c.manager.leads.notes(lead)] == ["Try evening"]
    # Locked for the window from the call, not from the claim.
    c.advance(minutes=9)
    assert c.next_id("omer") is None
    c.advance(minutes=1)
    assert c.next_id("omer") == lead


def test_renew_extends_and_release_frees_the_lead_at_once() -> None:
    c = call_centre(ProjectRules(lock_window_minutes=10))
    lead = c.lead("lead").id
    dana = c.agent("dana")
    claim = dana.dispatch.next(c.project.id)
    assert claim is not None
    c.advance(minutes=8)
    renewed = dana.dispatch.renew(lead, claim.token)
    assert renewed.expires_at == c.clock.now() + timedelta(minutes=10)
    assert renewed.token == claim.token
    c.advance(minutes=8)
    assert c.next_id("omer") is None
    dana.dispatch.release(lead, claim.token)
    lease = dana.dispatch.lease(lead)
    assert lease is not None
    assert lease.released
    assert c.next_id("omer") == lead


def test_a_call_after_the_clock_stepped_back_never_shortens_the_lock() -> None:
    c = call_centre(ProjectRules(lock_window_minutes=10))
    lead = c.lead("lead").id
    claim = c.agent("dana").dispatch.next(c.project.id)
    assert claim is not None
    c.advance(minutes=-3)
    lease = c.agent("dana").dispatch.log_call(lead, claim.token)
    assert lease.expires_at == claim.expires_at


def _claimed(c: CallCentre, agent: str = "dana") -> Claim:
    claim = c.agent(agent).dispatch.next(c.project.id)
    assert claim is not None
    return claim


WRITES = ["log_call", "renew", "release", "change_status", "add_note"]


def _write(s: Session, what: str, lead_id: str, token: int) -> None:
    d = s.dispatch
    if what == "log_call":
        d.log_call(lead_id, token, outcome="answered", note="hello")
    elif what == "renew":
        d.renew(lead_id, token)
    elif what == "release":
        d.release(lead_id, token)
    elif what == "change_status":
        d.change_status(lead_id, token, "new")
    else:
        d.add_note(lead_id, token, "a note")


@pytest.mark.parametrize("what", WRITES)
def test_an_expired_token_writes_nothing(what: str) -> None:
    c = call_centre(ProjectRules(lock_window_minutes=10))
    lead = c.lead("lead").id
    claim = _claimed(c)
    c.advance(minutes=10)
    before = snapshot(c, lead)
    with pytest.raises(LeaseLost, match="expired"):
        _write(c.agent("dana"), what, lead, claim.token)
    assert snapshot(c, lead) == before


@pytest.mark.parametrize("what", WRITES)
def test_a_superseded_token_writes_nothing(what: str) -> None:
    c = call_centre(ProjectRules(lock_window_minutes=10))
    lead = c.lead("lead").id
    old = _claimed(c, "dana")
    c.advance(minutes=11)
    new = _claimed(c, "omer")
    assert new.token > old.token
    # Even with the clock back inside the first window, the old token stays dead.
    c.advance(minutes=-5)
    before = snapshot(c, lead)
    with pytest.raises(LeaseLost, match="superseded"):
        _write(c.agent("dana"), what, lead, old.token)
    assert snapshot(c, lead) == before


@pytest.mark.parametrize("what", WRITES)
def test_another_agents_token_writes_nothing(what: str) -> None:
    c = call_centre()
    lead = c.lead("lead").id
    claim = _claimed(c, "dana")
    before = snapshot(c, lead)
    with pytest.raises(LeaseLost, match="belongs to another agent"):
        _write(c.agent("omer"), what, lead, claim.token)
    assert snapshot(c, lead) == before


@pytest.mark.parametrize("what", WRITES)
def test_a_released_token_writes_nothing(what: str) -> None:
    c = call_centre()
    lead = c.lead("lead").id
    claim = _claimed(c, "dana")
    c.agent("dana").dispatch.release(lead, claim.token)
    before = snapshot(c, lead)
    with pytest.raises(LeaseLost, match="released"):
        _write(c.agent("dana"), what, lead, claim.token)
    assert snapshot(c, lead) == before


@pytest.mark.parametrize("what", WRITES)
def test_a_token_never_issued_writes_nothing(what: str) -> None:
    c = call_centre()
    lead = c.lead("lead").id
    unclaimed = c.lead("unclaimed").id
    claim = _claimed(c, "dana")
    assert claim.lead_id == lead
    for target, token in ((lead, claim.token + 1), (unclaimed, 1)):
        before = snapshot(c, target)
        with pytest.raises(LeaseLost):
            _write(c.agent("dana"), what, target, token)
        assert snapshot(c, target) == before


def test_a_status_change_under_a_claim_follows_the_workflow_and_forced_notes() -> None:
    c = call_centre(ProjectRules(force_notes_on_status_change=True))
    lead = c.lead("lead").id
    claim = _claimed(c)
    dana = c.agent("dana").dispatch
    before = snapshot(c, lead)
    with pytest.raises(TransitionRefused):
        dana.change_status(lead, claim.token, "new")
    with pytest.raises(TransitionRefused):
        dana.change_status(lead, claim.token, "won", note="skipping ahead")
    assert snapshot(c, lead) == before
    moved = dana.change_status(lead, claim.token, "new", note="Introduced myself")
    assert moved.status_id == "new"
    (entry, *_) = c.manager.leads.history(lead).items
    assert (entry.kind, entry.to_status, entry.text) == (
        HistoryKind.STATUS_CHANGED,
        "new",
        "Introduced myself",
    )


@pytest.mark.parametrize("note", [None, "", "   "])
def test_with_forced_notes_a_call_without_a_note_is_refused_and_writes_nothing(
    note: str | None,
) -> None:
    c = call_centre(ProjectRules(force_notes_on_status_change=True))
    lead = c.lead("lead").id
    claim = _claimed(c)
    dana = c.agent("dana").dispatch
    before = snapshot(c, lead)
    with pytest.raises(ValidationError, match="force_notes_on_status_change") as refused:
        dana.log_call(lead, claim.token, outcome="no answer", note=note)
    assert refused.value.problems[0].startswith("note: project ")
    assert snapshot(c, lead) == before
    dana.log_call(lead, claim.token, outcome="no answer", note="Voicemail, try tomorrow")
    assert c.manager.leads.get(lead).attempts == 1
    assert [n.text for n in c.manager.leads.notes(lead)] == ["Voicemail, try tomorrow"]


def test_without_forced_notes_a_call_needs_no_note() -> None:
    c = call_centre()
    lead = c.lead("lead").id
    claim = _claimed(c)
    c.agent("dana").dispatch.log_call(lead, claim.token, outcome="no answer")
    assert c.manager.leads.get(lead).attempts == 1
    assert c.manager.leads.notes(lead) == []


def test_a_converted_lead_refuses_calls_under_an_old_claim() -> None:
    c = call_centre()
    lead = c.lead("lead").id
    claim = _claimed(c)
    c.manager.leads.convert(lead, account_name="Customer Ltd")
    before = snapshot(c, lead)
    with pytest.raises(LeadConverted):
        c.agent("dana").dispatch.log_call(lead, claim.token)
    assert snapshot(c, lead) == before


# -- events -----------------------------------------------------------------------------


def test_dispatch_records_its_events() -> None:
    c = call_centre(ProjectRules(lock_window_minutes=10))
    lead = c.lead("lead").id
    pools = c.events(PoolsChanged)
    assert [p.pool_ids for p in pools] == [("hot", "cold")]  # type: ignore[attr-defined]
    claim = _claimed(c)
    c.agent("dana").dispatch.log_call(lead, claim.token, outcome="busy")
    c.agent("dana").dispatch.release(lead, claim.token)
    again = _claimed(c, "omer")
    c.advance(minutes=10)
    third = _claimed(c, "ioana")
    (claimed, *_), called, released = (
        c.events(LeadClaimed),
        c.events(CallLogged),
        c.events(LeaseReleased),
    )
    assert isinstance(claimed, LeadClaimed)
    assert (claimed.lead_id, claimed.token, claimed.tier, claimed.pool_id) == (
        lead,
        claim.token,
        "pool",
        "hot",
    )
    assert [e.token for e in called] == [claim.token]  # type: ignore[attr-defined]
    assert [e.token for e in released] == [claim.token]  # type: ignore[attr-defined]
    # A released claim did not expire; the one omer let run out did.
    (expired,) = c.events(LeaseExpired)
    assert isinstance(expired, LeaseExpired)
    assert (expired.token, expired.agent_id, expired.expired_at) == (
        again.token,
        c.user_ids["omer"],
        again.expires_at,
    )
    assert third.token == again.token + 1
    for event in [*c.events(LeadClaimed), *called, *released, expired, *pools]:
        assert event_from_dict(event_to_dict(event)) == event  # type: ignore[arg-type]


# -- bad input -------------------------------------------------------------------------


def test_an_unknown_project_is_not_found() -> None:
    c = call_centre()
    dana = c.agent("dana").dispatch
    with pytest.raises(NotFound, match="nope"):
        dana.next("nope")
    with pytest.raises(NotFound, match="nope"):
        dana.explain("nope")
    with pytest.raises(NotFound, match="nope"):
        c.manager.dispatch.set_pools("nope", [HOT])
    with pytest.raises(NotFound, match="nope"):
        c.manager.dispatch.set_filter("nope", c.user_ids["dana"], None)
    with pytest.raises(NotFound, match="nope"):
        c.manager.dispatch.pools("nope")


def test_an_agent_outside_the_project_gets_nothing_and_is_told_why() -> None:
    c = call_centre()
    c.lead("lead")
    stranger = c.core.session(c.manager.users.create("Stranger", "qualifier").id)
    with pytest.raises(Forbidden, match="not an agent of project 'Spring campaign'"):
        stranger.dispatch.next(c.project.id)
    with pytest.raises(Forbidden, match="not an agent of project"):
        stranger.dispatch.explain(c.project.id)
    with pytest.raises(NotFound, match="agent of the project"):
        c.manager.dispatch.set_filter(c.project.id, stranger.user_id, AgentFilter())


def test_private_pools_and_agent_orders_must_name_agents_and_pools_of_the_project() -> None:
    c = call_centre()
    with pytest.raises(ValidationError) as info:
        c.manager.dispatch.set_pools(
            c.project.id,
            [HOT, Pool("x", PoolKind.PRIVATE, "X", owner_id="user-999")],
            agent_orders={"user-998": ["hot"]},
        )
    text = str(info.value)
    assert "pools[1].owner_id: 'user-999' is not an agent of the project" in text
    assert "agent_orders['user-998']: not an agent of the project" in text
    with pytest.raises(ValidationError, match="gone"):
        c.manager.dispatch.set_pools(c.project.id, [HOT], order=["gone"])
    assert c.manager.dispatch.pools(c.project.id).pools == (HOT, COLD)


def test_a_negative_lock_window_is_refused_with_what_is_accepted() -> None:
    with pytest.raises(ValidationError, match=r"lock_window_minutes: must be whole minutes from 0"):
        ProjectRules(lock_window_minutes=-1)
    with pytest.raises(ValidationError, match="lock_window_minutes"):
        ProjectRules.from_dict({"lock_window_minutes": -5})
    c = call_centre()
    with pytest.raises(ValidationError):
        c.set_rules(ProjectRules.from_dict({"lock_window_minutes": -1}))
    assert c.manager.leads.project(c.project.id).rules.lock_window_minutes == 10


def test_filters_naming_unknown_statuses_or_fields_are_refused_with_every_problem() -> None:
    c = call_centre()
    c.manager.leads.set_settings(
        LeadSettings(custom_fields=(FieldDefinition("city", FieldType.TEXT),))
    )
    bad = AgentFilter(statuses={"new", "nope"}, field_equals=[FieldEquals("budget", 3)])
    with pytest.raises(ValidationError) as info:
        c.manager.dispatch.set_filter(c.project.id, c.user_ids["dana"], bad)
    assert list(info.value.problems) == [
        "statuses: unknown status 'nope' (statuses of workflow 'sales': "
        "new, no_answer, callback, ...)",
        "field_equals[0].field: unknown custom field 'budget' (custom fields: city)",
    ]
    assert c.manager.dispatch.filter(c.project.id, c.user_ids["dana"]) is None


def test_a_malformed_filter_is_refused_when_built() -> None:
    with pytest.raises(ValidationError, match="categories: unknown category 'finished'"):
        AgentFilter(categories={"finished"})
    with pytest.raises(ValidationError, match="min_attempts, max_attempts: the range is empty"):
        AgentFilter(min_attempts=3, max_attempts=1)


def test_only_managers_configure_pools() -> None:
    c = call_centre()
    with pytest.raises(Forbidden):
        c.agent("dana").dispatch.set_pools(c.project.id, [HOT])
    with pytest.raises(Forbidden):
        c.agent("dana").dispatch.set_filter(c.project.id, c.user_ids["omer"], None)


def test_taking_leads_needs_the_dispatch_permission() -> None:
    c = call_centre()
    c.lead("lead")
    c.manager.users.revoke(c.user_ids["dana"], Permission.DISPATCH)
    with pytest.raises(Forbidden):
        c.agent("dana").dispatch.next(c.project.id)


# -- the index follows every change ---------------------------------------------------


def test_a_republished_workflow_that_makes_a_status_done_stops_its_leads() -> None:
    c = call_centre()
    lead = c.lead("lead").id
    c.manager.leads.change_status(lead, "new")
    definition = c.manager.workflow.current().to_dict()
    statuses = definition["status"]
    assert isinstance(statuses, list)
    for status in statuses:
        assert isinstance(status, dict)
        if status["id"] == "new":
            status["category"] = "done"
    definition.pop("version", None)
    c.manager.workflow.publish(definition)
    assert c.drain("dana") == []


def test_assigning_a_lead_moves_it_out_of_other_agents_reach() -> None:
    c = call_centre()
    lead = c.lead("lead").id
    c.manager.leads.assign(lead, [c.user_ids["omer"]])
    assert c.drain("dana") == []
    c.manager.leads.assign(lead, [])
    assert c.drain("dana") == [lead]


def test_changed_rules_apply_to_the_next_claim() -> None:
    c = call_centre(ProjectRules(no_status_first=False))
    worked, fresh = _worked_and_fresh(c)
    assert c.agent("dana").dispatch.explain(c.project.id).choice.lead_id == worked  # type: ignore[union-attr]
    c.set_rules(ProjectRules(no_status_first=True))
    assert c.next_id("dana") == fresh


def test_an_agent_taken_off_the_project_gets_no_more_leads() -> None:
    c = call_centre()
    c.lead("lead")
    c.manager.leads.update_project(
        c.project.id, member_ids=[c.user_ids["omer"], c.user_ids["ioana"]]
    )
    with pytest.raises(Forbidden):
        c.agent("dana").dispatch.next(c.project.id)


def test_a_lease_from_a_window_of_zero_is_superseded_by_an_exclusive_claim() -> None:
    c = call_centre(ProjectRules(lock_window_minutes=0))
    lead = c.lead("lead").id
    shared = _claimed(c, "dana")
    c.set_rules(ProjectRules(lock_window_minutes=10))
    exclusive = _claimed(c, "omer")
    assert exclusive.lead_id == lead
    assert exclusive.exclusive
    with pytest.raises(LeaseLost, match="superseded"):
        c.agent("dana").dispatch.log_call(lead, shared.token)
    assert c.next_id("ioana") is None


def test_organisations_never_see_each_others_leads() -> None:
    c = call_centre()
    ours = c.lead("ours").id
    _, other_admin = c.core.create_organization("Other", admin_name="Ion")
    other = c.core.session(other_admin.id)
    project = other.leads.create_project("Theirs", member_ids=[other_admin.id])
    other.dispatch.set_pools(project.id, [HOT])
    theirs = other.leads.create("theirs", project_id=project.id, pool_id="hot").id
    claim = other.dispatch.next(project.id)
    assert claim is not None
    assert claim.lead_id == theirs
    assert other.dispatch.next(project.id) is None
    with pytest.raises(NotFound):
        other.dispatch.next(c.project.id)
    with pytest.raises(NotFound):
        other.dispatch.lease(ours)
    assert c.drain("dana") == [ours]


# -- explain ------------------------------------------------------------------------


def test_explain_says_which_rule_and_tier_chose_the_lead() -> None:
    c = call_centre(ProjectRules(no_status_first=True))
    c.lead("cold", "cold")
    fresh = c.lead("fresh").id
    why = c.agent("dana").dispatch.explain(c.project.id)
    assert why.found
    assert why.choice is not None
    assert (why.choice.lead_id, why.choice.tier, why.choice.rule, why.choice.pool_rank) == (
        fresh,
        Tier.POOL,
        OrderRule.NO_STATUS_FIRST,
        0,
    )
    assert (why.candidates, why.eligible) == (2, 2)
    assert why.pool_tiers == (("hot",), ("cold",))
    # People read names; programs keep the ids.
    assert (why.agent_id, why.agent_name, why.lead_name) == (c.user_ids["dana"], "Dana", "fresh")
    assert why.text() == (
        "Dana gets fresh: from pool Hot, tier 1 of 2; "
        "no-status leads first, then oldest first.\n"
        "1 other lead is eligible."
    )
    # Explaining claims nothing: "next" hands out the lead explained.
    assert c.next_id("dana") == fresh


def test_explain_says_why_none_when_the_pools_are_empty() -> None:
    c = call_centre()
    why = c.agent("dana").dispatch.explain(c.project.id)
    assert not why.found
    assert why.empty_pools == ("hot", "cold")
    assert why.text() == ("No lead for Dana: none of 0 is eligible.\nEmpty pools: Hot, Cold.")


def test_explain_says_why_none_when_there_are_no_pools() -> None:
    c = call_centre(pools=(), order=())
    why = c.agent("dana").dispatch.explain(c.project.id)
    assert why.pool_tiers == ()
    assert "there is no pool to draw from" in why.text()


def test_explain_says_until_when_leads_are_leased() -> None:
    c = call_centre(ProjectRules(lock_window_minutes=10))
    c.lead("a")
    c.lead("b")
    first = _claimed(c, "dana")
    c.advance(minutes=3)
    _claimed(c, "omer")
    why = c.agent("ioana").dispatch.explain(c.project.id)
    assert [(e.reason, e.count, e.until) for e in why.excluded] == [
        (Exclusion.LEASED, 2, first.expires_at)
    ]
    assert (
        f"2 leads leased by other agents (the first frees up at {first.expires_at.isoformat()})"
        in why.text()
    )


def test_explain_counts_leads_outside_the_filter() -> None:
    c = call_centre()
    for name in ("a", "b", "c"):
        c.lead(name)
    c.manager.dispatch.set_filter(c.project.id, c.user_ids["dana"], AgentFilter(statuses={"new"}))
    why = c.agent("dana").dispatch.explain(c.project.id)
    assert [(e.reason, e.count) for e in why.excluded] == [(Exclusion.FILTERED, 3)]
    assert "3 leads outside the agent's filter" in why.text()


def test_caps_count_the_claims_of_their_own_project_only() -> None:
    c = call_centre(ProjectRules(max_claims_per_hour=1))
    lead = c.lead("lead").id
    other = c.manager.leads.create_project(
        "Other", rules=ProjectRules(max_claims_per_hour=1), member_ids=c.user_ids.values()
    )
    c.manager.dispatch.set_pools(other.id, [HOT])
    elsewhere = c.manager.leads.create("elsewhere", project_id=other.id, pool_id="hot").id
    got = c.agent("dana").dispatch.next(other.id)
    assert got is not None
    assert got.lead_id == elsewhere
    assert c.next_id("dana") == lead


def test_releasing_a_claim_of_a_window_of_zero_ends_only_that_agents_claim() -> None:
    c = call_centre(ProjectRules(lock_window_minutes=0))
    lead = c.lead("lead").id
    first = _claimed(c, "dana")
    second = _claimed(c, "omer")
    c.agent("dana").dispatch.release(lead, first.token)
    with pytest.raises(LeaseLost):
        c.agent("dana").dispatch.add_note(lead, first.token, "after release")
    c.agent("omer").dispatch.add_note(lead, second.token, "still mine")
    c.agent("omer").dispatch.release(lead, second.token)
    released = [e.token for e in c.events(LeaseReleased)]  # type: ignore[attr-defined]
    assert released == [first.token, second.token]


# -- the memory adapter: claims in progress are skipped, as with SKIP LOCKED ----------


def test_a_lead_chosen_for_a_claim_in_progress_is_skipped_by_other_claims() -> None:
    c = call_centre()
    first = c.lead("first").id
    second = c.lead("second").id
    storage = c.core.storage
    org = c.project.organization_id

    def choose(uow: object, agent: str, *, reserve: bool) -> str | None:
        project = c.manager.leads.project(c.project.id)
        pools = c.manager.dispatch.pools(c.project.id)
        choice = uow.dispatch.next_choice(  # type: ignore[attr-defined]
            org,
            project.id,
            Agent(c.user_ids[agent]),
            rules=project.rules,
            pools=pools,
            workflow=c.manager.workflow.current(),
            now=c.clock.now(),
            load=AgentLoad(),
            reserve=reserve,
        )
        return None if choice is None else str(choice.lead_id)

    with storage.unit_of_work() as dana_claiming, storage.unit_of_work() as omer_claiming:
        assert choose(dana_claiming, "dana", reserve=True) == first
        assert choose(omer_claiming, "omer", reserve=True) == second
        # A reservation is no lease: asking without reserving answers as the policy does.
        assert choose(omer_claiming, "ioana", reserve=False) == first
    # Once the unit of work holding it is gone, the lead is free for everyone again.
    del dana_claiming, omer_claiming
    assert c.next_id("ioana") == first


@pytest.mark.parametrize("change", ["done", "converted", "blocked"])
def test_a_lead_that_becomes_undispatchable_while_being_claimed_is_not_handed_out(
    change: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    c = call_centre()
    first = c.lead("first", phones=["+972525550123"]).id
    second = c.lead("second").id
    chosen = MemoryDispatch.next_choice
    raced: list[str] = []

    def racing(self: MemoryDispatch, *args: object, **kwargs: object) -> object:
        choice = chosen(self, *args, **kwargs)  # type: ignore[arg-type]
        if choice is not None and not raced:
            # Another user commits a change to the chosen lead before the claim commits.
            raced.append(choice.lead_id)
            if change == "done":
                c.manager.leads.change_status(choice.lead_id, "not_relevant")
            elif change == "converted":
                c.manager.leads.convert(choice.lead_id, account_name="Acme")
            else:
                c.manager.leads.add_blocked_number("+972525550123")
        return choice

    monkeypatch.setattr(MemoryDispatch, "next_choice", racing)
    claim = c.agent("dana").dispatch.next(c.project.id)
    assert raced == [first]
    assert claim is not None
    assert claim.lead_id == second
