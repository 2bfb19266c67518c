"""Accounts, contacts and opportunities on their own: creation, moves, closing, merge, reports."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import attrs
import pytest

from leadcore import Leadcore
from leadcore.clock import ManualClock
from leadcore.core import Session
from leadcore.errors import ConflictError, NotFound, TransitionRefused, ValidationError
from leadcore.events import (
    AccountCreated,
    AccountsMerged,
    AccountUpdated,
    ContactAdded,
    OpportunityCreated,
    OpportunityStageChanged,
    OpportunityUpdated,
)
from leadcore.leads import PipelineEntryKind, PipelineSettings, TaskDraft
from leadcore.workflow import sample_workflow


def test_an_account_exists_without_a_lead_and_pages_by_name(s: Session) -> None:
    for name in ("Gamma", "Alpha", "Beta"):
        s.accounts.create(name)
    first = s.accounts.list(limit=2)
    assert [a.name for a in first.items] == ["Alpha", "Beta"]
    assert first.next is not None
    second = s.accounts.list(limit=2, after=first.next)
    assert [a.name for a in second.items] == ["Gamma"]
    assert second.next is None
    assert [a.name for a in s.accounts.list(search="alp").items] == ["Alpha"]


def test_duplicates_are_flagged_as_at_intake(s: Session) -> None:
    first = s.accounts.create("Cohen Ltd", phones=["+972505551234"])
    by_name = s.accounts.create(" cohen LTD")
    by_phone = s.accounts.create("Other", phones=["+972 50-555-1234"])
    assert first.duplicate_of is None
    assert by_name.duplicate_of == first.id
    assert by_phone.duplicate_of == first.id
    dana = s.accounts.add_contact(first.id, "Dana", emails=["Dana@Example.com"])
    again = s.accounts.add_contact(by_name.id, "Dana L", emails=["dana@example.com"])
    assert dana.emails == ("dana@example.com",)
    assert (dana.duplicate_of, again.duplicate_of) == (None, dana.id)
    assert [c.name for c in s.accounts.contacts(first.id)] == ["Dana"]


def test_bad_account_input_is_a_typed_error_naming_the_field(s: Session) -> None:
    with pytest.raises(ValidationError, match="name: must not be blank"):
        s.accounts.create("  ")
    with pytest.raises(ValidationError, match=r"phones\[0\]"):
        s.accounts.create("X", phones=["not a phone"])
    with pytest.raises(ValidationError, match="owner_id"):
        s.accounts.create("X", owner_id="nobody")
    with pytest.raises(NotFound):
        s.accounts.add_contact("account-404", "Dana")
    assert s.accounts.list().items == ()


def test_an_account_or_contact_takes_at_most_50_phones_and_50_emails(s: Session) -> None:
    phones = [f"+97250555{i:04d}" for i in range(51)]
    with pytest.raises(ValidationError, match="phones: has 51 values; at most 50 are allowed"):
        s.accounts.create("X", phones=phones)
    account = s.accounts.create("X", phones=phones[:50])
    emails = [f"c{i}@example.com" for i in range(51)]
    with pytest.raises(ValidationError, match="emails: has 51 values; at most 50 are allowed"):
        s.accounts.add_contact(account.id, "Dana", emails=emails)
    assert s.accounts.contacts(account.id) == []


def test_account_update_bumps_the_version_and_checks_it(s: Session) -> None:
    account = s.accounts.create("Acme")
    renamed = s.accounts.update(account.id, name="Acme Inc", expected_version=1)
    assert (renamed.name, renamed.version) == ("Acme Inc", 2)
    with pytest.raises(ConflictError):
        s.accounts.update(account.id, name="Acme 2", expected_version=1)
    kinds = [e.kind for e in s.accounts.history(account.id)]
    assert kinds == [PipelineEntryKind.CREATED, PipelineEntryKind.UPDATED]


def test_an_opportunity_starts_in_the_workflow_entry_not_the_first_listed_stage(
    s: Session,
) -> None:
    data: dict[str, Any] = sample_workflow("opportunities").to_dict()
    data["status"] = data["status"][1:] + data["status"][:1]  # prospecting listed last
    s.workflow.publish(data, kind="opportunities")
    account = s.accounts.create("Acme")
    o = s.opportunities.create(account.id, "Deal", amount=Decimal("100.50"), currency="EUR")
    assert o.stage_id == "prospecting" == s.workflow.current("opportunities").entry[0]
    assert (o.amount, o.currency, o.version) == (Decimal("100.50"), "EUR", 1)


def test_opportunity_input_is_validated(s: Session) -> None:
    account = s.accounts.create("Acme")
    cases: list[tuple[dict[str, Any], str]] = [
        ({"currency": "eur"}, "currency"),
        ({"currency": "XYZ"}, "currency"),
        ({"amount": -1}, "amount"),
        ({"amount": "NaN"}, "amount"),
        ({"owner_id": "user-404"}, "owner_id"),
    ]
    for kwargs, where in cases:
        with pytest.raises(ValidationError, match=where):
            s.opportunities.create(account.id, "Deal", **kwargs)
    with pytest.raises(NotFound):
        s.opportunities.create("account-404", "Deal")
    assert s.opportunities.list(include_closed=True).items == ()


def test_moves_follow_the_lead_rules(s: Session, core: Leadcore) -> None:
    account = s.accounts.create("Acme")
    o = s.opportunities.create(account.id, "Deal", amount=1000, currency="USD")
    avi = s.users.create("Avi", "qualifier")
    restricted = core.session(avi.id)
    with pytest.raises(TransitionRefused) as refused:
        restricted.opportunities.move(o.id, "negotiation")  # not a next stage
    assert str(refused.value).startswith("opportunity 'Deal'")
    assert refused.value.codes == ("not-next-stage",)
    assert refused.value.ids == {"opportunity_id": o.id}
    assert s.opportunities.get(o.id) == o
    o = s.opportunities.move(o.id, "qualification", note="Budget confirmed")
    assert (o.stage_id, o.version) == ("qualification", 2)
    with pytest.raises(ConflictError):
        s.opportunities.move(o.id, "proposal", expected_version=1)
    o = s.opportunities.move(o.id, "proposal", task=TaskDraft("Send the quote"), expected_version=2)
    history = s.opportunities.history(o.id)
    assert [(e.from_stage, e.to_stage) for e in history] == [
        (None, "prospecting"),
        ("prospecting", "qualification"),
        ("qualification", "proposal"),
    ]
    assert (history[1].text, history[2].task_title) == ("Budget confirmed", "Send the quote")


def test_won_closes_it_and_lost_needs_a_reason_from_the_list(s: Session) -> None:
    account = s.accounts.create("Acme")
    a = s.opportunities.create(account.id, "A", amount=10)
    b = s.opportunities.create(account.id, "B", amount=20)
    a = s.opportunities.move(a.id, "qualification")
    a = s.opportunities.move(a.id, "proposal")
    a = s.opportunities.move(a.id, "closed_won")
    assert (a.won, a.closed, a.lost_reason) == (True, True, None)
    with pytest.raises(ValidationError, match="lost_reason"):
        s.opportunities.move(b.id, "closed_lost", note="gone")
    with pytest.raises(ValidationError, match="lost_reason"):
        s.opportunities.move(b.id, "closed_lost", note="gone", lost_reason="weather")
    with pytest.raises(TransitionRefused):
        s.opportunities.move(b.id, "closed_lost", lost_reason="price")  # the stage needs a note
    s.opportunities.set_settings(
        attrs.evolve(s.opportunities.settings(), lost_reasons=("price", "weather"))
    )
    b = s.opportunities.move(b.id, "closed_lost", note="gone", lost_reason="weather")
    assert (b.won, b.lost_reason) == (False, "weather")
    with pytest.raises(ValidationError, match="closed"):
        s.opportunities.move(b.id, "prospecting")
    assert s.opportunities.list().items == ()
    assert len(s.opportunities.list(include_closed=True).items) == 2


def test_settings_are_validated(s: Session) -> None:
    with pytest.raises(ValidationError, match="lost_reasons"):
        s.opportunities.set_settings(PipelineSettings(lost_reasons=("a", "a")))
    with pytest.raises(ValidationError, match="probabilities"):
        s.opportunities.set_settings(PipelineSettings(probabilities={"proposal": 101}))


def test_merge_moves_contacts_opportunities_and_conversions(s: Session) -> None:
    lead = s.leads.create("Yossi", phones=["+972505551234"])
    conversion = s.leads.convert(lead.id, account_name="Cohen", opportunity_name="Plan")
    keep = s.accounts.create("Cohen Ltd", emails=["info@cohen.example"])
    other = s.accounts.get(conversion.account_id)
    s.accounts.add_contact(other.id, "Rina")
    kept = s.accounts.merge(keep.id, other.id)
    assert kept.emails == ("info@cohen.example",)
    assert {c.name for c in s.accounts.contacts(keep.id)} == {"Yossi", "Rina"}
    assert s.accounts.contacts(other.id) == []
    assert [o.name for o in s.opportunities.list(account_id=keep.id).items] == ["Plan"]
    assert s.leads.account_leads(keep.id)[0].id == lead.id
    assert s.accounts.get(other.id).merged_into == keep.id
    assert [a.id for a in s.accounts.list().items] == [keep.id]
    assert s.accounts.history(keep.id)[-1].kind == PipelineEntryKind.MERGED
    with pytest.raises(ValidationError, match="merged"):
        s.accounts.merge(keep.id, other.id)
    with pytest.raises(ValidationError):
        s.accounts.merge(keep.id, keep.id)


def test_each_pipeline_change_records_its_event(s: Session, core: Leadcore) -> None:
    account = s.accounts.create("Acme")
    s.accounts.update(account.id, name="Acme Inc")
    contact = s.accounts.add_contact(account.id, "Dana")
    o = s.opportunities.create(account.id, "Deal", contact_id=contact.id)
    s.opportunities.update(o.id, amount=5, currency="ILS", close_date=date(2026, 6, 1))
    s.opportunities.move(o.id, "qualification")
    other = s.accounts.create("Acme 2")
    s.accounts.merge(account.id, other.id)
    seen = [e.event for e in core.events.read(s.organization_id)]
    kinds = [type(e) for e in seen if type(e).type.startswith(("account.", "opportunity."))]
    assert kinds == [
        AccountCreated,
        AccountUpdated,
        ContactAdded,
        OpportunityCreated,
        OpportunityUpdated,
        OpportunityStageChanged,
        AccountCreated,
        AccountsMerged,
    ]


def test_the_pipeline_report_sums_open_amounts_and_weights_them(
    s: Session, clock: ManualClock
) -> None:
    account = s.accounts.create("Acme")
    start = clock.now()
    a = s.opportunities.create(
        account.id, "A", amount=Decimal("1000"), currency="EUR", close_date=date(2026, 5, 1)
    )
    s.opportunities.create(account.id, "B", amount=Decimal("500"), currency="EUR")
    c = s.opportunities.create(account.id, "C", amount=Decimal("300"), currency="EUR")
    s.opportunities.move(a.id, "qualification")
    clock.advance(timedelta(days=10))
    s.opportunities.move(c.id, "qualification")
    s.opportunities.move(c.id, "proposal")
    s.opportunities.move(c.id, "closed_won")
    report = s.reports.pipeline(by="stage")
    rows = {(r.key, r.currency): r for r in report.rows}
    assert rows[("prospecting", "EUR")].amount == Decimal("500")
    assert rows[("prospecting", "EUR")].weighted == Decimal("50.0")
    assert rows[("qualification", "EUR")].weighted == Decimal("250.00")
    assert (report.won, report.lost, report.win_rate) == (1, 0, 1.0)
    assert report.average_cycle == clock.now() - start
    assert report.won_amounts == {"EUR": Decimal("300")}
    months = {r.key: r.amount for r in s.reports.pipeline(by="close_month").rows}
    assert months == {"2026-05": Decimal("1000"), None: Decimal("500")}
    with pytest.raises(ValidationError, match="by"):
        s.reports.pipeline(by="colour")  # type: ignore[arg-type]


def test_the_funnel_counts_won_revenue(s: Session) -> None:
    lead = s.leads.create("Yossi", phones=["+972505551234"])
    conversion = s.leads.convert(lead.id, opportunity_name="Plan", amount=Decimal("99.90"))
    assert conversion.opportunity_id is not None
    opportunity_id = conversion.opportunity_id
    s.opportunities.update(opportunity_id, currency="ILS")
    for stage in ("qualification", "proposal", "closed_won"):
        s.opportunities.move(opportunity_id, stage)
    [row] = s.reports.funnel(by="all")
    assert (row.won, row.won_revenue) == (1, {"ILS": Decimal("99.90")})


def test_forced_notes_of_the_pipeline_settings_apply_to_every_stage_move(s: Session) -> None:
    account = s.accounts.create("Acme")
    o = s.opportunities.create(account.id, "Deal")
    o = s.opportunities.move(o.id, "qualification")  # off by default: no note needed
    forced = attrs.evolve(s.opportunities.settings(), force_notes_on_stage_change=True)
    assert s.opportunities.set_settings(forced).force_notes_on_stage_change is True
    with pytest.raises(TransitionRefused) as refused:
        s.opportunities.move(o.id, "proposal", note="   ")
    assert refused.value.codes == ("note-forced",)
    assert refused.value.decision.reasons[0].message == (
        "the organisation requires a note on every opportunity stage change"
    )
    assert refused.value.ids == {"opportunity_id": o.id}
    assert s.opportunities.get(o.id) == o
    assert len(s.opportunities.history(o.id)) == 2
    moved = s.opportunities.move(o.id, "proposal", note="Quote sent")
    assert (moved.stage_id, s.opportunities.history(o.id)[-1].text) == ("proposal", "Quote sent")
    with pytest.raises(TransitionRefused) as both:
        s.opportunities.move(moved.id, "closed_lost", lost_reason="price")
    assert both.value.codes == ("note-required",)  # the stage's own rule comes first, as for leads


def test_forced_notes_setting_must_be_a_bool(s: Session) -> None:
    bad = PipelineSettings(force_notes_on_stage_change="yes")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="force_notes_on_stage_change"):
        s.opportunities.set_settings(bad)


def test_a_merged_account_takes_no_conversion_contact_or_opportunity(s: Session) -> None:
    keep = s.accounts.create("Cohen Ltd")
    gone = s.accounts.create("Cohen")
    s.accounts.merge(keep.id, gone.id)
    lead = s.leads.create("Yossi", phones=["+972505551234"])
    with pytest.raises(ValidationError, match=f"was merged into '{keep.id}'") as refused:
        s.leads.convert(lead.id, account_id=gone.id)
    assert refused.value.ids == {"lead_id": lead.id, "account_id": gone.id}
    assert s.leads.get(lead.id) == lead  # nothing was written
    assert s.accounts.contacts(gone.id) == s.accounts.contacts(keep.id) == []
    with pytest.raises(ValidationError, match="merged into"):
        s.accounts.add_contact(gone.id, "Rina")
    with pytest.raises(ValidationError, match="merged into"):
        s.opportunities.create(gone.id, "Deal")
    # a merged account of the same name does not stand in the way of a new one
    conversion = s.leads.convert(lead.id, account_name="cohen")
    assert conversion.account_created
    assert s.accounts.get(conversion.account_id).duplicate_of is None


def test_an_owner_that_is_not_text_is_named_by_its_type(s: Session) -> None:
    account = s.accounts.create("Acme")
    o = s.opportunities.create(account.id, "Deal")
    with pytest.raises(ValidationError, match="owner_id: expected text, got int"):
        s.accounts.update(account.id, owner_id=7)
    with pytest.raises(ValidationError, match="owner_id: expected text, got int"):
        s.opportunities.update(o.id, owner_id=7)
    with pytest.raises(ValidationError, match="owner_id: 'user-404' is not an active user"):
        s.accounts.update(account.id, owner_id="user-404")
    assert s.accounts.update(account.id, owner_id=s.user_id).owner_id == s.user_id
    assert s.accounts.update(account.id, owner_id=None).owner_id is None
