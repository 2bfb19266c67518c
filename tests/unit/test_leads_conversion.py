"""Conversion to contact, account and opportunity; read-only converted leads; un-conversion."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from leadcore import Leadcore
from leadcore.clock import ManualClock
from leadcore.core import Session
from leadcore.dispatch import ProjectRules
from leadcore.errors import (
    ConflictError,
    Forbidden,
    LeadConverted,
    NotFound,
    TransitionRefused,
    ValidationError,
)
from leadcore.leads import FieldDefinition, HistoryKind, Lead, LeadSettings, TaskDraft
from leadcore.workflow import sample_workflow


@pytest.fixture
def lead(s: Session) -> Lead:
    s.leads.set_settings(LeadSettings(custom_fields=(FieldDefinition("budget", "integer"),)))
    lead = s.leads.create(
        "Yossi Cohen", phones=["050-555-1234"], emails=["y@example.com"], fields={"budget": 900}
    )
    s.leads.change_status(lead.id, "new")
    return s.leads.change_status(lead.id, "contacted", note="interested")


def test_conversion_creates_contact_account_and_opportunity(
    s: Session, lead: Lead, clock: ManualClock
) -> None:
    clock.advance(timedelta(hours=1))
    conversion = s.leads.convert(
        lead.id, account_name="Cohen Ltd", opportunity_name="Premium plan", amount=1200.0
    )
    assert conversion.account_created
    assert (conversion.from_status, conversion.to_status) == ("contacted", "won")
    assert (conversion.converted_by, conversion.converted_at) == (s.user_id, clock.now())
    assert conversion.snapshot == {
        "name": "Yossi Cohen",
        "phones": ("+972505551234",),
        "emails": ("y@example.com",),
        "budget": 900,
    }
    lineage = s.leads.lineage(lead.id)
    [contact] = lineage.contacts
    [account] = lineage.accounts
    [opportunity] = lineage.opportunities
    assert lineage.conversions == (conversion,)
    assert (contact.name, contact.phones, contact.emails) == (
        "Yossi Cohen",
        ("+972505551234",),
        ("y@example.com",),
    )
    assert contact.account_id == account.id == conversion.account_id
    assert account.name == "Cohen Ltd"
    assert (opportunity.name, opportunity.amount, opportunity.stage_id) == (
        "Premium plan",
        Decimal("1200.0"),
        "prospecting",
    )
    assert s.workflow.current("opportunities").status(opportunity.stage_id).name == "Prospecting"
    assert opportunity.contact_id == contact.id
    converted = lineage.lead
    assert converted.converted
    assert converted.conversion_id == conversion.id
    assert converted.status_id == "won"


def test_the_lead_reaches_its_done_status_through_a_recorded_status_change(
    s: Session, lead: Lead
) -> None:
    conversion = s.leads.convert(lead.id)
    assert conversion.opportunity_id is None
    history = s.leads.history(lead.id).items
    assert [e.kind for e in history[:2]] == [HistoryKind.CONVERTED, HistoryKind.STATUS_CHANGED]
    assert (history[1].from_status, history[1].to_status) == ("contacted", "won")


def test_conversion_may_target_another_done_status_but_not_a_live_one(
    s: Session, lead: Lead
) -> None:
    with pytest.raises(ValidationError, match="'qualified' is not a done status"):
        s.leads.convert(lead.id, status_id="qualified")
    with pytest.raises(TransitionRefused, match="note-required"):
        s.leads.convert(lead.id, status_id="lost")
    conversion = s.leads.convert(
        lead.id, status_id="lost", note="bought elsewhere, kept as contact"
    )
    assert conversion.to_status == "lost"


def test_conversion_goes_through_the_same_checks_as_any_status_change(
    core: Leadcore, s: Session
) -> None:
    seller = s.users.create("Sam", "salesperson")  # restricted to next stages
    forced = s.leads.create_project("Forced", rules=ProjectRules(force_notes_on_status_change=True))
    lead = s.leads.create("Yossi", project_id=forced.id, assignee_ids=[seller.id])
    s.leads.change_status(lead.id, "qualified", note="qualified")
    seller_session = core.session(seller.id)
    with pytest.raises(TransitionRefused) as err:
        seller_session.leads.convert(lead.id)
    assert set(err.value.codes) == {"not-next-stage", "note-forced"}
    assert s.leads.lineage(lead.id).conversions == ()
    assert s.leads.get(lead.id).status_id == "qualified"
    s.leads.change_status(lead.id, "negotiation", note="talking price")
    conversion = seller_session.leads.convert(lead.id, note="signed")
    assert conversion.to_status == "won"


def test_an_existing_account_with_the_same_name_is_a_conflict_until_chosen(
    s: Session, lead: Lead
) -> None:
    other = s.leads.create("Dana")
    first = s.leads.convert(other.id, account_name="Cohen Ltd")
    before = s.leads.get(lead.id)
    with pytest.raises(ConflictError, match="account_id") as err:
        s.leads.convert(lead.id, account_name="  cohen LTD ")
    assert first.account_id in str(err.value)
    assert s.leads.get(lead.id) == before  # nothing was written
    assert s.leads.lineage(lead.id).conversions == ()
    reused = s.leads.convert(lead.id, account_id=first.account_id)
    assert (reused.account_id, reused.account_created) == (first.account_id, False)
    assert {x.id for x in s.leads.account_leads(first.account_id)} == {other.id, lead.id}


def test_new_account_creates_another_account_of_the_same_name(s: Session, lead: Lead) -> None:
    first = s.leads.convert(s.leads.create("Dana").id, account_name="Cohen Ltd")
    second = s.leads.convert(lead.id, account_name="Cohen Ltd", new_account=True)
    assert second.account_created
    assert second.account_id != first.account_id


def test_an_unknown_account_is_not_found(s: Session, lead: Lead) -> None:
    with pytest.raises(NotFound, match="account"):
        s.leads.convert(lead.id, account_id="account-404")
    with pytest.raises(NotFound, match="account"):
        s.leads.account_leads("account-404")


def test_conversion_needs_the_convert_permission(core: Leadcore, s: Session, lead: Lead) -> None:
    manager = s.users.create("Cam", "campaign_manager")
    with pytest.raises(Forbidden, match="convert"):
        core.session(manager.id).leads.convert(lead.id)


def test_a_stale_version_refuses_the_conversion(s: Session, lead: Lead) -> None:
    with pytest.raises(ConflictError):
        s.leads.convert(lead.id, expected_version=lead.version - 1)
    assert not s.leads.get(lead.id).converted


# -- read-only by policy ---------------------------------------------------------------


def test_a_converted_lead_refuses_every_mutation(core: Leadcore, s: Session, lead: Lead) -> None:
    s.leads.convert(lead.id)
    before = s.leads.get(lead.id)
    avi = s.users.create("Avi", "salesperson")
    attempts: list[Callable[[], object]] = [
        lambda: s.leads.change_status(lead.id, "lost", note="x"),
        lambda: s.leads.add_note(lead.id, "x"),
        lambda: s.leads.add_task(lead.id, TaskDraft("x")),
        lambda: s.leads.assign(lead.id, [avi.id]),
        lambda: s.leads.update(lead.id, name="x"),
        lambda: s.leads.update(lead.id, phones=["052-345-6789"]),
        lambda: s.leads.update(lead.id, fields={"budget": 1}),
        lambda: s.leads.convert(lead.id, new_account=True),
    ]
    for attempt in attempts:
        with pytest.raises(LeadConverted):
            attempt()
    assert s.leads.update(lead.id) == before  # nothing to change writes nothing
    assert s.leads.get(lead.id) == before
    assert s.leads.change_status_many([lead.id], "lost", note="x")[lead.id].__class__ is (
        LeadConverted
    )


def test_open_tasks_of_a_converted_lead_can_still_be_completed(s: Session, lead: Lead) -> None:
    task = s.leads.add_task(lead.id, TaskDraft("Send the contract"))
    s.leads.convert(lead.id)
    before = s.leads.get(lead.id)
    assert s.leads.complete_task(task.id).done
    assert s.leads.get(lead.id) == before
    assert s.leads.due_reminders() == []


def test_the_organisation_may_keep_some_fields_editable_after_conversion(
    s: Session, lead: Lead
) -> None:
    s.leads.set_settings(
        LeadSettings(
            custom_fields=(FieldDefinition("budget", "integer"),),
            editable_when_converted={"phones", "budget"},
        )
    )
    s.leads.convert(lead.id)
    changed = s.leads.update(lead.id, phones=["052-345-6789"], fields={"budget": 1500})
    assert (changed.phones, changed.fields["budget"]) == (("+972523456789",), 1500)
    assert (changed.name, changed.status_id) == ("Yossi Cohen", "won")
    with pytest.raises(LeadConverted, match="name"):
        s.leads.update(lead.id, name="Other", phones=["052-345-6789"])
    assert s.leads.get(lead.id) == changed


def test_a_returned_lead_cannot_be_changed_behind_the_services_back(s: Session, lead: Lead) -> None:
    conversion = s.leads.convert(lead.id)
    fetched = s.leads.get(lead.id)
    with pytest.raises(TypeError):
        fetched.fields["budget"] = 1  # type: ignore[index]
    with pytest.raises(TypeError):
        conversion.snapshot["name"] = "Other"  # type: ignore[index]
    assert s.leads.get(lead.id).fields == {"budget": 900}


# -- un-conversion and lineage ---------------------------------------------------------


def test_unconversion_restores_the_lead_and_keeps_the_audit_trail(
    core: Leadcore, s: Session, lead: Lead, clock: ManualClock
) -> None:
    manager = core.session(s.users.create("Maya", "sales_manager").id)
    conversion = s.leads.convert(lead.id, opportunity_name="Deal")
    clock.advance(timedelta(days=1))
    restored = manager.leads.unconvert(lead.id, reason="converted by mistake")
    assert not restored.converted
    assert restored.status_id == "contacted"
    entry = s.leads.history(lead.id).items[0]
    assert entry.kind is HistoryKind.UNCONVERTED
    assert (entry.from_status, entry.to_status) == ("won", "contacted")
    assert (entry.actor_id, entry.text) == (manager.user_id, "converted by mistake")
    lineage = s.leads.lineage(lead.id)
    [record] = lineage.conversions
    assert record.id == conversion.id
    assert (record.undone_at, record.undone_by, record.undo_reason) == (
        clock.now(),
        manager.user_id,
        "converted by mistake",
    )
    assert len(lineage.opportunities) == 1  # what it created stays
    assert s.leads.add_note(lead.id, "writable again").text == "writable again"
    assert s.leads.account_leads(conversion.account_id) == []  # the undone one does not count
    again = s.leads.convert(lead.id, account_id=conversion.account_id)
    assert [c.id for c in s.leads.lineage(lead.id).conversions] == [conversion.id, again.id]
    assert [x.id for x in s.leads.account_leads(conversion.account_id)] == [lead.id]


def test_unconversion_needs_a_permitted_user_and_a_reason(
    core: Leadcore, s: Session, lead: Lead
) -> None:
    seller = s.users.create("Sam", "salesperson")
    s.leads.assign(lead.id, [seller.id])
    s.leads.convert(lead.id)
    with pytest.raises(Forbidden, match="unconvert"):
        core.session(seller.id).leads.unconvert(lead.id, reason="oops")
    with pytest.raises(ValidationError, match="reason"):
        s.leads.unconvert(lead.id, reason="  ")
    assert s.leads.get(lead.id).converted


def test_unconverting_a_lead_that_is_not_converted_is_refused(s: Session, lead: Lead) -> None:
    with pytest.raises(ValidationError, match="not converted"):
        s.leads.unconvert(lead.id, reason="why not")


def test_unconversion_keeps_the_done_status_when_the_old_one_was_removed(
    s: Session, lead: Lead
) -> None:
    s.leads.convert(lead.id)
    data: dict[str, Any] = sample_workflow().to_dict()
    data["status"] = [st for st in data["status"] if st["id"] != "contacted"]
    for st in data["status"]:
        st["next"] = [n for n in st["next"] if n != "contacted"]
    s.workflow.publish(data, migration={"contacted": "qualified"})
    restored = s.leads.unconvert(lead.id, reason="undo")
    assert restored.status_id == "won"
    assert s.leads.change_status(restored.id, "lost", note="really lost").status_id == "lost"


def test_lineage_goes_from_lead_to_account_and_back(s: Session, lead: Lead) -> None:
    conversion = s.leads.convert(lead.id, opportunity_name="Deal")
    lineage = s.leads.lineage(lead.id)
    assert [a.id for a in lineage.accounts] == [conversion.account_id]
    assert [x.id for x in s.leads.account_leads(conversion.account_id)] == [lead.id]
    fresh = s.leads.create("Not converted")
    empty = s.leads.lineage(fresh.id)
    assert (empty.conversions, empty.contacts, empty.accounts, empty.opportunities) == (
        (),
        (),
        (),
        (),
    )


def test_account_leads_lists_only_leads_the_user_may_see(
    core: Leadcore, s: Session, lead: Lead
) -> None:
    seller = s.users.create("Sam", "salesperson")
    routed = s.leads.create("Routed", assignee_ids=[seller.id])
    conversion = s.leads.convert(lead.id, account_name="Cohen Ltd")
    s.leads.convert(routed.id, account_id=conversion.account_id)
    visible = core.session(seller.id).leads.account_leads(conversion.account_id)
    assert [x.id for x in visible] == [routed.id]
