"""The pipeline after conversion on SQL: the same answers as memory, round trips, amounts."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import event
from tests.integration.conftest import BACKENDS
from tests.integration.scripted import Answer, Asker, same_answers

from leadcore import Leadcore
from leadcore.clock import ManualClock
from leadcore.ids import SequentialIds
from leadcore.storage.memory import MemoryStorage
from leadcore.storage.sql import SqlStorage

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def script(core: Leadcore, clock: ManualClock) -> list[Answer]:
    _, admin = core.create_organization("Agency", admin_name="Dana")
    s = core.session(admin.id)
    ask = Asker(clock, tick=timedelta(minutes=1))

    acme = ask("create", lambda: s.accounts.create("Acme", phones=["+972505551234"]))
    ask("duplicate", lambda: s.accounts.create("acme"))
    other = ask("another", lambda: s.accounts.create("Beta", emails=["b@beta.example"]))
    ask("contact", lambda: s.accounts.add_contact(acme.id, "Rina", emails=["r@acme.example"]))
    ask("rename", lambda: s.accounts.update(acme.id, name="Acme Inc", expected_version=1))
    ask("stale rename", lambda: s.accounts.update(acme.id, name="X", expected_version=1))
    deal = ask(
        "deal",
        lambda: s.opportunities.create(
            acme.id, "Deal", amount=Decimal("1200.50"), currency="EUR", close_date=date(2026, 4, 1)
        ),
    )
    small = ask("small", lambda: s.opportunities.create(other.id, "Small", amount=300))
    ask("bad currency", lambda: s.opportunities.create(other.id, "X", currency="EURO"))
    ask("move", lambda: s.opportunities.move(deal.id, "qualification", note="budget ok"))
    ask("stale move", lambda: s.opportunities.move(deal.id, "proposal", expected_version=1))
    ask("lost without reason", lambda: s.opportunities.move(small.id, "closed_lost", note="no"))
    ask(
        "lost",
        lambda: s.opportunities.move(small.id, "closed_lost", note="no", lost_reason="price"),
    )
    ask("merge", lambda: s.accounts.merge(acme.id, other.id))
    ask("contacts", lambda: s.accounts.contacts(acme.id))
    ask("opportunities", lambda: s.opportunities.list(include_closed=True))
    ask("page", lambda: s.accounts.list(limit=1, include_merged=True))
    ask("history", lambda: s.opportunities.history(deal.id))
    ask("account history", lambda: s.accounts.history(acme.id))
    ask("pipeline by stage", lambda: s.reports.pipeline(by="stage"))
    ask("pipeline by owner", lambda: s.reports.pipeline(by="owner"))
    ask("pipeline by month", lambda: s.reports.pipeline(by="close_month"))
    lead = ask("lead", lambda: s.leads.create("Yossi", phones=["+972505550000"]))
    ask("convert", lambda: s.leads.convert(lead.id, opportunity_name="Plan", amount=99.9))
    ask("funnel", lambda: s.reports.funnel(by="all"))
    return ask.answers


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_pipeline_answers_on_sql_as_on_memory(
    backend: str, make_storage: Callable[[str], SqlStorage]
) -> None:
    expected = same_answers(script, make_storage(backend), START)
    errors = {a.step for a in expected if a.error is not None}
    assert errors == {"stale rename", "bad currency", "stale move", "lost without reason"}


@contextmanager
def counted(storage: SqlStorage) -> Iterator[list[str]]:
    statements: list[str] = []

    def keep(*args: Any) -> None:
        statements.append(args[2])

    event.listen(storage.engine, "before_cursor_execute", keep)
    try:
        yield statements
    finally:
        event.remove(storage.engine, "before_cursor_execute", keep)


def test_the_pipeline_report_takes_as_many_round_trips_for_3_as_for_30_opportunities(
    make_storage: Callable[[str], SqlStorage],
) -> None:
    trips = []
    for n in (3, 30):
        storage = make_storage("sqlite-memory")
        core = Leadcore(storage=storage, clock=ManualClock(START), ids=SequentialIds())
        _, admin = core.create_organization("Agency", admin_name="Dana")
        s = core.session(admin.id)
        account = s.accounts.create("Acme")
        for i in range(n):
            s.opportunities.create(account.id, f"Deal {i}", amount=i, currency="EUR")
        with counted(storage) as statements:
            report = s.reports.pipeline()
        assert report.rows[0].count == n
        trips.append(len(statements))
    assert trips[0] == trips[1]
    print(f"pipeline report round trips: {trips[1]}")


amounts = st.one_of(st.none(), st.decimals(min_value=0, max_value=10**6, places=2, allow_nan=False))
plans = st.lists(
    st.tuples(
        amounts,
        st.sampled_from([None, "EUR", "USD"]),
        st.sampled_from(["prospecting", "qualification", "proposal", "won", "lost"]),
    ),
    max_size=8,
)


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(plan=plans)
def test_pipeline_amounts_are_the_sums_of_the_open_opportunities_on_sqlite(
    plan: list[tuple[Decimal | None, str | None, str]],
) -> None:
    for storage in (MemoryStorage(), SqlStorage("sqlite://", create=True)):
        core = Leadcore(storage=storage, clock=ManualClock(START), ids=SequentialIds())
        try:
            _, admin = core.create_organization("Agency", admin_name="Dana")
            s = core.session(admin.id)
            account = s.accounts.create("Acme")
            for i, (amount, currency, where) in enumerate(plan):
                o = s.opportunities.create(account.id, f"D{i}", amount=amount, currency=currency)
                if where in ("qualification", "proposal"):
                    s.opportunities.move(o.id, where)
                elif where == "won":
                    s.opportunities.move(o.id, "closed_won")
                elif where == "lost":
                    s.opportunities.move(o.id, "closed_lost", note="x", lost_reason="price")
            report = s.reports.pipeline(by="stage")
            open_ = list(s.opportunities.list(limit=100).items)
            for row in report.rows:
                members = [o for o in open_ if (o.stage_id, o.currency) == (row.key, row.currency)]
                assert row.count == len(members)
                assert row.amount == sum((o.amount or Decimal(0) for o in members), Decimal(0))
            assert sum(r.count for r in report.rows) == len(open_)
            closed = sum(1 for _, _, w in plan if w in ("won", "lost"))
            assert report.won + report.lost == closed
        finally:
            core.close()


def rules_script(core: Leadcore, clock: ManualClock) -> list[Answer]:
    """Forced notes on stage moves and merged accounts: the same refusals on every adapter."""
    _, admin = core.create_organization("Agency", admin_name="Dana")
    s = core.session(admin.id)
    ask = Asker(clock, tick=timedelta(minutes=1))

    keep = ask("keep", lambda: s.accounts.create("Cohen Ltd"))
    gone = ask("gone", lambda: s.accounts.create("Cohen"))
    deal = ask("deal", lambda: s.opportunities.create(gone.id, "Deal"))
    settings = s.opportunities.settings()
    forced = attrs.evolve(settings, force_notes_on_stage_change=True)
    ask("force notes", lambda: s.opportunities.set_settings(forced))
    ask("settings", s.opportunities.settings)
    ask("move without note", lambda: s.opportunities.move(deal.id, "qualification"))
    ask("move with note", lambda: s.opportunities.move(deal.id, "qualification", note="ok"))
    ask("merge", lambda: s.accounts.merge(keep.id, gone.id))
    lead = ask("lead", lambda: s.leads.create("Yossi", phones=["+972505550000"]))
    ask("convert into merged", lambda: s.leads.convert(lead.id, account_id=gone.id))
    ask("contact on merged", lambda: s.accounts.add_contact(gone.id, "Rina"))
    ask("deal on merged", lambda: s.opportunities.create(gone.id, "Other"))
    ask("convert by name", lambda: s.leads.convert(lead.id, account_name="cohen"))
    return ask.answers


@pytest.mark.parametrize("backend", BACKENDS)
def test_forced_notes_and_merged_accounts_answer_on_sql_as_on_memory(
    backend: str, make_storage: Callable[[str], SqlStorage]
) -> None:
    expected = same_answers(rules_script, make_storage(backend), START)
    errors = {a.step for a in expected if a.error is not None}
    assert errors == {
        "move without note",
        "convert into merged",
        "contact on merged",
        "deal on merged",
    }
