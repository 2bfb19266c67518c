"""Changing a lead's details: the same checks as intake, a history entry, optimistic versions."""

from __future__ import annotations

import pytest

from leadcore import Leadcore
from leadcore.core import Session
from leadcore.errors import ConflictError, Forbidden, ValidationError
from leadcore.leads import FieldDefinition, HistoryKind, Lead, LeadSettings


@pytest.fixture
def lead(s: Session) -> Lead:
    s.leads.set_settings(
        LeadSettings(
            custom_fields=(FieldDefinition("budget", "integer"), FieldDefinition("city", "text"))
        )
    )
    return s.leads.create("Yossi", phones=["050-555-1234"], fields={"budget": 100})


def test_an_update_normalises_like_intake_and_is_recorded(s: Session, lead: Lead) -> None:
    changed = s.leads.update(
        lead.id,
        name=" Yossi Cohen ",
        emails=["Y@Example.com"],
        fields={"city": "Haifa"},
        expected_version=lead.version,
    )
    assert changed.name == "Yossi Cohen"
    assert changed.emails == ("y@example.com",)
    assert changed.phones == lead.phones
    assert changed.fields == {"budget": 100, "city": "Haifa"}
    assert changed.version == lead.version + 1
    entry = s.leads.history(lead.id).items[0]
    assert (entry.kind, entry.text) == (HistoryKind.UPDATED, "city, emails, name")


def test_an_updated_phone_is_searchable_and_checked_against_do_not_call(
    s: Session, lead: Lead
) -> None:
    s.leads.add_blocked_number("052-345-6789")
    changed = s.leads.update(lead.id, phones=["052-345-6789"])
    assert changed.do_not_call
    assert [x.id for x in s.leads.list(text="052-345-6789").items] == [lead.id]
    assert s.leads.list(text="050-555-1234").items == ()
    assert not s.leads.update(lead.id, phones=["050-555-1234"]).do_not_call


def test_a_single_phone_or_email_may_be_given_as_text(s: Session, lead: Lead) -> None:
    changed = s.leads.update(lead.id, phones="052-345-6789", emails="Y@Example.com")
    assert (changed.phones, changed.emails) == (("+972523456789",), ("y@example.com",))


def test_a_bad_update_names_every_problem_and_writes_nothing(s: Session, lead: Lead) -> None:
    with pytest.raises(ValidationError) as err:
        s.leads.update(lead.id, name="", phones=["12"], fields={"budget": "lots", "x": 1})
    assert len(err.value.problems) == 4
    assert s.leads.get(lead.id) == lead
    assert len(s.leads.history(lead.id).items) == 1


def test_an_update_with_a_stale_version_is_a_conflict(s: Session, lead: Lead) -> None:
    s.leads.update(lead.id, name="First")
    with pytest.raises(ConflictError):
        s.leads.update(lead.id, name="Second", expected_version=lead.version)
    assert s.leads.get(lead.id).name == "First"


def test_updating_needs_edit_leads(core: Leadcore, s: Session, lead: Lead) -> None:
    viewer = s.users.create("Vera", "sales_manager")
    s.users.revoke(viewer.id, "edit_leads")
    with pytest.raises(Forbidden, match="edit_leads"):
        core.session(viewer.id).leads.update(lead.id, name="x")
