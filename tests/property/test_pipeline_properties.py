"""Invariants of the pipeline after conversion, under random sequences of calls.

- a move of an opportunity happens exactly when the workflow's decision
  allows it (restriction, note, task), with one history entry, or changes
  nothing at all; a closed opportunity never moves again;
- the pipeline report's amounts are the sums of the open opportunities;
- the whole pipeline report (rows, weights, won and lost, win rate, cycle,
  won revenue) equals a brute-force recount of a model kept beside a random
  sequence of creations, changes, moves and closes;
- a merge loses nothing: every contact, opportunity and conversion of the
  merged account is on the kept one afterwards, and nothing else changed.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from leadcore import Leadcore
from leadcore.clock import ManualClock
from leadcore.core import Session
from leadcore.errors import LeadcoreError, TransitionRefused, ValidationError
from leadcore.ids import SequentialIds
from leadcore.leads import TaskDraft
from leadcore.storage.memory import MemoryStorage

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
STAGES = ("prospecting", "qualification", "proposal", "negotiation", "closed_won", "closed_lost")


def world() -> tuple[Session, Session, ManualClock]:
    clock = ManualClock(START)
    core = Leadcore(storage=MemoryStorage(), clock=clock, ids=SequentialIds())
    _, admin = core.create_organization("Agency", admin_name="Dana")
    s = core.session(admin.id)
    avi = s.users.create("Avi", "qualifier")
    return s, core.session(avi.id), clock


moves = st.lists(
    st.tuples(
        st.integers(0, 2),
        st.sampled_from(STAGES),
        st.booleans(),  # restricted user
        st.one_of(st.none(), st.text(st.characters(codec="utf-8"), max_size=8)),
        st.booleans(),  # a task
        st.sampled_from([None, "price", "weather"]),
    ),
    max_size=12,
)


@settings(max_examples=60, deadline=None)
@given(moves)
def test_moves_keep_the_lead_rules(
    plan: list[tuple[int, str, bool, str | None, bool, str | None]],
) -> None:
    s, restricted, clock = world()
    account = s.accounts.create("Acme")
    ids = [s.opportunities.create(account.id, f"D{i}", amount=i).id for i in range(3)]
    wf = s.workflow.current("opportunities")
    for index, target, is_restricted, note, with_task, reason in plan:
        clock.advance(timedelta(minutes=1))
        who = restricted if is_restricted else s
        before = s.opportunities.get(ids[index])
        history = s.opportunities.history(before.id)
        task = TaskDraft("Call") if with_task else None
        decision = wf.decide(
            before.stage_id, target, restricted=is_restricted, note=note, task=task
        )
        try:
            after = who.opportunities.move(
                before.id, target, note=note, task=task, lost_reason=reason
            )
        except TransitionRefused:
            assert not decision.allowed
            after = None
        except LeadcoreError:
            after = None
        if after is None:
            assert s.opportunities.get(before.id) == before
            assert s.opportunities.history(before.id) == history
            continue
        assert decision.allowed
        assert not before.closed
        assert (after.stage_id, after.version) == (target, before.version + 1)
        assert after.closed == wf.is_done(target)
        if after.closed and not after.won:
            assert after.lost_reason in s.opportunities.settings().lost_reasons
        [entry] = s.opportunities.history(before.id)[len(history) :]
        assert (entry.from_stage, entry.to_stage) == (before.stage_id, target)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.one_of(st.none(), st.decimals(0, 10**9, places=2, allow_nan=False)),
            st.sampled_from([None, "EUR", "ILS"]),
            st.sampled_from(["prospecting", "qualification", "closed_won"]),
            st.sampled_from([None, "user"]),
        ),
        max_size=10,
    ),
    st.sampled_from(["stage", "owner", "close_month"]),
)
def test_pipeline_amounts_are_the_sums_of_the_open_opportunities(
    plan: list[tuple[Decimal | None, str | None, str, str | None]], by: str
) -> None:
    s, _, _ = world()
    account = s.accounts.create("Acme")
    for i, (amount, currency, stage, owner) in enumerate(plan):
        o = s.opportunities.create(
            account.id,
            f"D{i}",
            amount=amount,
            currency=currency,
            owner_id=s.user_id if owner else None,
        )
        if stage == "qualification" or stage == "closed_won":
            s.opportunities.move(o.id, stage)
    report = s.reports.pipeline(by=by)  # type: ignore[arg-type]
    open_ = list(s.opportunities.list(limit=1000).items)
    assert sum(r.count for r in report.rows) == len(open_)
    total: dict[str | None, Decimal] = {}
    for o in open_:
        total[o.currency] = total.get(o.currency, Decimal(0)) + (o.amount or Decimal(0))
    by_currency: dict[str | None, Decimal] = {}
    for r in report.rows:
        by_currency[r.currency] = by_currency.get(r.currency, Decimal(0)) + r.amount
        assert Decimal(0) <= r.weighted <= r.amount
    assert by_currency == total
    assert report.won == sum(1 for _, _, stage, _ in plan if stage == "closed_won")


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.integers(0, 2), max_size=6),
    st.lists(st.integers(0, 2), max_size=6),
    st.integers(0, 2),
    st.integers(0, 2),
)
def test_a_merge_loses_nothing(
    contacts: list[int], opportunities: list[int], keep: int, other: int
) -> None:
    s, _, _ = world()
    accounts = [s.accounts.create(f"A{i}").id for i in range(3)]
    for n, a in enumerate(contacts):
        s.accounts.add_contact(accounts[a], f"C{n}")
    for n, a in enumerate(opportunities):
        s.opportunities.create(accounts[a], f"O{n}")

    def holdings() -> dict[str, tuple[set[str], set[str]]]:
        return {
            a: (
                {c.id for c in s.accounts.contacts(a)},
                {o.id for o in s.opportunities.list(account_id=a).items},
            )
            for a in accounts
        }

    before = holdings()
    try:
        s.accounts.merge(accounts[keep], accounts[other])
    except LeadcoreError:
        assert keep == other
        assert holdings() == before
        return
    after = holdings()
    k, o = accounts[keep], accounts[other]
    assert after[k] == (before[k][0] | before[o][0], before[k][1] | before[o][1])
    assert after[o] == (set(), set())
    for account_id in accounts:
        if account_id not in (k, o):
            assert after[account_id] == before[account_id]
    assert s.accounts.get(o).merged_into == k


#: The bundled settings' win probabilities (percent) of the open stages, restated.
PERCENT = {"prospecting": 10, "qualification": 25, "proposal": 50, "negotiation": 75}

steps = st.lists(
    st.one_of(
        st.tuples(
            st.just("create"),
            st.one_of(st.none(), st.decimals(0, 10**6, places=2, allow_nan=False)),
            st.sampled_from([None, "EUR", "ILS"]),
            st.booleans(),  # owned by the admin
            st.sampled_from([None, date(2026, 4, 30), date(2026, 5, 1)]),
        ),
        st.tuples(st.just("move"), st.integers(0, 7), st.sampled_from(STAGES)),
        st.tuples(
            st.just("amount"),
            st.integers(0, 7),
            st.one_of(st.none(), st.decimals(0, 10**6, places=2, allow_nan=False)),
        ),
        st.tuples(st.just("wait"), st.integers(1, 3 * 24 * 60)),
    ),
    max_size=20,
)


@settings(max_examples=60, deadline=None)
@given(steps, st.sampled_from(["stage", "owner", "close_month"]))
def test_the_pipeline_report_is_a_brute_force_recount(plan: list[tuple[Any, ...]], by: str) -> None:
    s, _, clock = world()
    account = s.accounts.create("Acme")
    model: list[dict[str, object]] = []  # what each opportunity should be, kept by hand
    ids: list[str] = []
    for step in plan:
        clock.advance(timedelta(minutes=1))
        if step[0] == "create":
            _, amount, currency, owned, close = step
            owner = s.user_id if owned else None
            o = s.opportunities.create(
                account.id, "D", amount=amount, currency=currency, owner_id=owner, close_date=close
            )
            ids.append(o.id)
            model.append(
                {"stage": "prospecting", "amount": amount, "currency": currency, "owner": owner,
                 "close": close, "created": clock.now(), "closed": None, "won": None}
            )  # fmt: skip
        elif step[0] == "wait":
            clock.advance(timedelta(minutes=step[1]))
        elif ids:
            m = model[step[1] % len(ids)]
            oid = ids[step[1] % len(ids)]
            if step[0] == "amount":
                s.opportunities.update(oid, amount=step[2])
                m["amount"] = step[2]
                continue
            target = step[2]
            allowed = m["closed"] is None and m["stage"] != target
            try:
                s.opportunities.move(oid, target, note="n", lost_reason=(
                    "price" if target == "closed_lost" else None
                ))  # fmt: skip
            except (TransitionRefused, ValidationError):
                assert not allowed
                continue
            assert allowed
            m["stage"] = target
            if target.startswith("closed_"):
                m["closed"], m["won"] = clock.now(), target == "closed_won"

    rows: dict[tuple[object, object], tuple[int, Decimal, Decimal]] = {}
    for m in model:
        if m["closed"] is not None:
            continue
        close = m["close"]
        key = {
            "stage": m["stage"],
            "owner": m["owner"],
            "close_month": f"{close:%Y-%m}" if isinstance(close, date) else None,
        }[by]
        amount = m["amount"] if isinstance(m["amount"], Decimal) else Decimal(0)
        count, total, weighted = rows.get((key, m["currency"]), (0, Decimal(0), Decimal(0)))
        share = Decimal(PERCENT[str(m["stage"])]) / 100
        rows[(key, m["currency"])] = (count + 1, total + amount, weighted + amount * share)
    closed = [m for m in model if m["closed"] is not None]
    won = [m for m in closed if m["won"]]
    won_amounts: dict[object, Decimal] = {}
    for m in won:
        amount = m["amount"] if isinstance(m["amount"], Decimal) else Decimal(0)
        won_amounts[m["currency"]] = won_amounts.get(m["currency"], Decimal(0)) + amount
    cycles = [m["closed"] - m["created"] for m in closed]  # type: ignore[operator]

    report = s.reports.pipeline(by=by)  # type: ignore[arg-type]
    assert {(r.key, r.currency): (r.count, r.amount, r.weighted) for r in report.rows} == rows
    assert len(report.rows) == len(rows)
    assert (report.won, report.lost) == (len(won), len(closed) - len(won))
    assert report.win_rate == (len(won) / len(closed) if closed else None)
    assert report.average_cycle == (sum(cycles, timedelta(0)) / len(cycles) if cycles else None)
    assert dict(report.won_amounts) == won_amounts
    if by == "stage":
        order = [k for k in STAGES if k in {r.key for r in report.rows}]
        assert list(dict.fromkeys(r.key for r in report.rows)) == order
