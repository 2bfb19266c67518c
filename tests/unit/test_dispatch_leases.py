"""Leases: claims that expire by themselves, and fencing tokens that refuse stale writers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from leadcore.dispatch import (
    Choice,
    Lease,
    OrderRule,
    ProjectRules,
    Tier,
    check_token,
    claim_lead,
    extend_after_call,
    release_lease,
    renew_lease,
)
from leadcore.errors import ConflictError, LeaseLost, ValidationError

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
RULES = ProjectRules(lock_window_minutes=10, wait_before_alert_seconds=60, auto_dial=True)
NO_LOCK = ProjectRules(lock_window_minutes=0)
CHOICE = Choice("lead-1", Tier.POOL, OrderRule.SECONDARY_ORDER, "hot", 0, (2, 0, "lead-1"))


def minutes(n: float) -> datetime:
    return T0 + timedelta(minutes=n)


def test_a_claim_carries_token_window_and_dialer_rules() -> None:
    lease, claim = claim_lead(CHOICE, "dana", rules=RULES, now=T0, previous=None)
    assert (claim.lead_id, claim.agent_id, claim.token) == ("lead-1", "dana", 1)
    assert claim.expires_at == minutes(10) == lease.expires_at
    assert claim.alert_at == T0 + timedelta(seconds=60)
    assert claim.auto_dial
    assert claim.exclusive
    assert (claim.tier, claim.rule, claim.pool_id) == (
        Tier.POOL,
        OrderRule.SECONDARY_ORDER,
        "hot",
    )
    assert lease.is_live(minutes(9.99))
    assert not lease.is_live(minutes(10))


def test_a_live_lease_cannot_be_claimed_again() -> None:
    lease, _ = claim_lead(CHOICE, "dana", rules=RULES, now=T0, previous=None)
    with pytest.raises(ConflictError, match="locked by agent 'dana' until"):
        claim_lead(CHOICE, "omer", rules=RULES, now=minutes(5), previous=lease)
    second, claim = claim_lead(CHOICE, "omer", rules=RULES, now=minutes(10), previous=lease)
    assert claim.token == second.token == 2


def test_tokens_from_a_global_counter_must_grow() -> None:
    lease, _ = claim_lead(CHOICE, "dana", rules=RULES, now=T0, previous=None, token=41)
    with pytest.raises(ValidationError, match="above 41"):
        claim_lead(CHOICE, "omer", rules=RULES, now=minutes(11), previous=lease, token=41)
    later, _ = claim_lead(CHOICE, "omer", rules=RULES, now=minutes(11), previous=lease, token=97)
    assert later.token == 97


def test_an_expired_token_is_refused() -> None:
    lease, _ = claim_lead(CHOICE, "dana", rules=RULES, now=T0, previous=None)
    check_token(lease, lead_id="lead-1", agent_id="dana", token=1, now=minutes(9))
    with pytest.raises(LeaseLost, match="expired at 2026-03-02T09:10:00"):
        check_token(lease, lead_id="lead-1", agent_id="dana", token=1, now=minutes(10))


def test_a_superseded_token_is_refused() -> None:
    first, _ = claim_lead(CHOICE, "dana", rules=RULES, now=T0, previous=None)
    second, _ = claim_lead(CHOICE, "omer", rules=RULES, now=minutes(12), previous=first)
    with pytest.raises(LeaseLost, match="superseded by token 2"):
        check_token(second, lead_id="lead-1", agent_id="dana", token=1, now=minutes(13))


def test_unknown_tokens_other_agents_and_missing_claims_are_refused() -> None:
    lease, _ = claim_lead(CHOICE, "dana", rules=RULES, now=T0, previous=None)
    with pytest.raises(LeaseLost, match="never issued"):
        check_token(lease, lead_id="lead-1", agent_id="dana", token=2, now=T0)
    with pytest.raises(LeaseLost, match="belongs to another agent, not 'omer'"):
        check_token(lease, lead_id="lead-1", agent_id="omer", token=1, now=T0)
    with pytest.raises(LeaseLost, match="has no claim"):
        check_token(None, lead_id="lead-1", agent_id="dana", token=1, now=T0)


def test_renewal_and_a_logged_call_extend_the_window_from_now() -> None:
    lease, _ = claim_lead(CHOICE, "dana", rules=RULES, now=T0, previous=None)
    renewed = renew_lease(
        lease, lead_id="lead-1", agent_id="dana", token=1, rules=RULES, now=minutes(8)
    )
    assert renewed.expires_at == minutes(18)
    called = extend_after_call(
        renewed, lead_id="lead-1", agent_id="dana", token=1, rules=RULES, now=minutes(15)
    )
    assert called.expires_at == minutes(25)
    assert called.token == 1


def test_a_renewal_never_shortens_a_lease_when_the_clock_stepped_back() -> None:
    lease, _ = claim_lead(CHOICE, "dana", rules=RULES, now=T0, previous=None)
    renewed = renew_lease(
        lease, lead_id="lead-1", agent_id="dana", token=1, rules=RULES, now=minutes(-3)
    )
    assert renewed.expires_at == minutes(10)


def test_a_stale_token_cannot_renew_or_log_a_call() -> None:
    lease, _ = claim_lead(CHOICE, "dana", rules=RULES, now=T0, previous=None)
    with pytest.raises(LeaseLost):
        renew_lease(lease, lead_id="lead-1", agent_id="dana", token=1, rules=RULES, now=minutes(10))
    with pytest.raises(LeaseLost):
        extend_after_call(
            lease, lead_id="lead-1", agent_id="dana", token=1, rules=RULES, now=minutes(11)
        )


def test_a_released_claim_frees_the_lead_and_its_token_writes_no_more() -> None:
    lease, _ = claim_lead(CHOICE, "dana", rules=RULES, now=T0, previous=None)
    released = release_lease(lease, lead_id="lead-1", agent_id="dana", token=1, now=minutes(2))
    assert not released.is_live(minutes(3))
    with pytest.raises(LeaseLost, match="was released"):
        check_token(released, lead_id="lead-1", agent_id="dana", token=1, now=minutes(3))
    with pytest.raises(LeaseLost):
        release_lease(released, lead_id="lead-1", agent_id="dana", token=1, now=minutes(3))
    _, claim = claim_lead(CHOICE, "omer", rules=RULES, now=minutes(3), previous=released)
    assert claim.token == 2


def test_with_window_zero_claims_are_recorded_but_lock_nobody() -> None:
    first, claim = claim_lead(CHOICE, "dana", rules=NO_LOCK, now=T0, previous=None)
    assert not claim.exclusive
    assert claim.expires_at == T0
    assert not first.is_live(T0)
    second, _ = claim_lead(CHOICE, "omer", rules=NO_LOCK, now=minutes(1), previous=first)
    # Both agents may work the lead: nothing expires and nobody is superseded.
    check_token(second, lead_id="lead-1", agent_id="dana", token=1, now=minutes(30))
    check_token(second, lead_id="lead-1", agent_id="omer", token=2, now=minutes(30))


def test_an_exclusive_claim_supersedes_claims_made_without_a_lock() -> None:
    first, _ = claim_lead(CHOICE, "dana", rules=NO_LOCK, now=T0, previous=None)
    locked, _ = claim_lead(CHOICE, "omer", rules=RULES, now=minutes(1), previous=first)
    with pytest.raises(LeaseLost, match="superseded"):
        check_token(locked, lead_id="lead-1", agent_id="dana", token=1, now=minutes(2))


def test_a_lease_of_another_lead_is_a_programming_error() -> None:
    other = Lease("lead-2", "dana", 1, T0, minutes(10))
    with pytest.raises(ValidationError):
        check_token(other, lead_id="lead-1", agent_id="dana", token=1, now=T0)
    with pytest.raises(ValidationError):
        claim_lead(CHOICE, "dana", rules=RULES, now=minutes(20), previous=other)
