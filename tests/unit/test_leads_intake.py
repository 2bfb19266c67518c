"""Creating leads: normalised phones and e-mails, typed custom fields, duplicates, do-not-call."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from tests.unit.conftest import START

from leadcore import Leadcore
from leadcore.clock import ManualClock
from leadcore.core import Session
from leadcore.errors import Forbidden, ValidationError
from leadcore.leads import (
    DuplicateMatch,
    FieldDefinition,
    FieldType,
    HistoryKind,
    LeadSettings,
    normalize_email,
    normalize_phone,
)


def every_lead(s: Session) -> list[str]:
    return [lead.id for lead in s.leads.list(include_done=True, limit=1000).items]


# -- normalisation ---------------------------------------------------------------------


def test_phones_are_stored_in_e164_read_in_the_organisations_region(s: Session) -> None:
    lead = s.leads.create("Yossi", phones=["050-555-1234", "+44 20 7946 0958"])
    assert lead.phones == ("+972505551234", "+442079460958")


def test_the_same_number_written_twice_is_stored_once(s: Session) -> None:
    lead = s.leads.create("Yossi", phones=["050-5551234", "+972 50 555 1234"])
    assert lead.phones == ("+972505551234",)


def test_a_lead_takes_at_most_50_phones_and_50_emails_however_it_comes_in(s: Session) -> None:
    phones = [f"050-555-{i:04d}" for i in range(51)]
    emails = [f"lead{i}@example.com" for i in range(51)]
    with pytest.raises(ValidationError) as caught:
        s.leads.create("Many", phones=phones, emails=emails)
    assert list(caught.value.problems) == [
        "lead.phones: has 51 values; at most 50 are allowed",
        "lead.emails: has 51 values; at most 50 are allowed",
    ]
    # The same number 51 times is 51 values given (each read before the repeats go).
    with pytest.raises(ValidationError, match="phones: has 51 values"):
        s.leads.create("Many", phones=["050-555-0001"] * 51)
    lead = s.leads.create("Fifty", phones=phones[:50], emails=emails[:50])
    assert (len(lead.phones), len(lead.emails)) == (50, 50)
    with pytest.raises(ValidationError, match="phones: has 51 values"):
        s.leads.update(lead.id, phones=phones, expected_version=lead.version)
    report = s.leads.import_many([{"name": "Row", "phones": phones}])
    assert report.rows[0].problems == ("rows[0].phones: has 51 values; at most 50 are allowed",)
    assert every_lead(s) == [lead.id]


def test_a_single_phone_or_email_may_be_given_as_text(s: Session) -> None:
    lead = s.leads.create("Yossi", phones="0505551234", emails="Y@Example.com")
    assert lead.phones == ("+972505551234",)
    assert lead.emails == ("y@example.com",)


def test_without_a_default_region_a_local_number_is_refused_with_a_hint(core: Leadcore) -> None:
    _, admin = core.create_organization("Abroad", admin_name="Ann")
    s = core.session(admin.id)
    with pytest.raises(ValidationError) as err:
        s.leads.create("Yossi", phones=["050-555-1234"])
    assert "add a +country code" in str(err.value)
    assert s.leads.create("Yossi", phones=["+972505551234"]).phones == ("+972505551234",)


def test_emails_are_trimmed_and_lower_cased(s: Session) -> None:
    lead = s.leads.create("Dana", emails=["  Dana@Example.COM ", "dana@example.com"])
    assert lead.emails == ("dana@example.com",)


def test_the_normalisers_say_what_is_wrong() -> None:
    assert normalize_phone("+1 212 555 0100", None).startswith("+1")
    with pytest.raises(ValueError, match="not a valid phone number"):
        normalize_phone("+972 50 12", "IL")
    with pytest.raises(ValueError, match="not an e-mail address"):
        normalize_email("dana at example")


def test_bad_input_is_refused_with_every_problem_and_writes_nothing(s: Session) -> None:
    with pytest.raises(ValidationError) as err:
        s.leads.create("  ", phones=["12", "not a phone"], emails=["nope"])
    problems = err.value.problems
    assert any(p.startswith("lead.name:") for p in problems)
    assert any(p.startswith("lead.phones[0]:") for p in problems)
    assert any(p.startswith("lead.phones[1]:") for p in problems)
    assert any(p.startswith("lead.emails[0]:") for p in problems)
    assert every_lead(s) == []


def test_a_name_longer_than_200_characters_is_refused(s: Session) -> None:
    with pytest.raises(ValidationError, match="at most 200"):
        s.leads.create("x" * 201)


def test_the_lead_starts_with_no_status_and_a_created_entry(s: Session, clock: ManualClock) -> None:
    lead = s.leads.create("Yossi", phones=["050-555-1234"], channel="facebook")
    assert lead.status_id is None
    assert lead.version == 1
    assert lead.created_at == lead.updated_at == START
    assert lead.source.channel == "facebook"
    [entry] = s.leads.history(lead.id).items
    assert (entry.kind, entry.actor_id, entry.at) == (HistoryKind.CREATED, s.user_id, START)


def test_creating_leads_needs_the_create_leads_permission(core: Leadcore, s: Session) -> None:
    viewer = s.users.create("Vera", "qualifier")
    s.users.revoke(viewer.id, "create_leads")
    with pytest.raises(Forbidden, match="create_leads"):
        core.session(viewer.id).leads.create("Yossi")


# -- references ----------------------------------------------------------------------


def test_a_supplier_must_be_a_partner_and_a_project_must_exist(s: Session) -> None:
    supplier, _ = s.partners.add_supplier("Leads Ltd", admin_name="Avi")
    lead = s.leads.create("Yossi", supplier_id=supplier.id)
    assert lead.source.supplier_id == supplier.id
    with pytest.raises(ValidationError) as err:
        s.leads.create("Yossi", supplier_id="org-999", project_id="project-999")
    assert "lead.supplier_id: 'org-999' is not a partner" in err.value.problems
    assert "lead.project_id: no project 'project-999'" in err.value.problems


def test_assignees_must_be_active_users(s: Session) -> None:
    agent = s.users.create("Avi", "qualifier")
    s.users.deactivate(agent.id)
    with pytest.raises(ValidationError, match="no active user"):
        s.leads.create("Yossi", assignee_ids=[agent.id])


# -- custom fields ---------------------------------------------------------------------

FIELDS = (
    FieldDefinition("budget", FieldType.INTEGER),
    FieldDefinition("score", "number"),
    FieldDefinition("vip", "boolean"),
    FieldDefinition("birthday", "date"),
    FieldDefinition("city", "choice", choices=("Haifa", "Tel Aviv")),
    FieldDefinition("comment", "text"),
)


def test_custom_fields_are_typed_by_their_definitions(s: Session) -> None:
    s.leads.set_settings(LeadSettings(custom_fields=FIELDS))
    lead = s.leads.create(
        "Yossi",
        fields={
            "budget": "12000",
            "score": 3,
            "vip": True,
            "birthday": "1990-05-17",
            "city": "Haifa",
            "comment": "met at the fair",
        },
    )
    assert lead.fields == {
        "budget": 12000,
        "score": 3.0,
        "vip": True,
        "birthday": date(1990, 5, 17),
        "city": "Haifa",
        "comment": "met at the fair",
    }


def test_every_wrongly_typed_or_unknown_field_is_reported(s: Session) -> None:
    s.leads.set_settings(LeadSettings(custom_fields=FIELDS))
    with pytest.raises(ValidationError) as err:
        s.leads.create(
            "Yossi",
            fields={
                "budget": "a lot",
                "score": "high",
                "vip": "yes",
                "birthday": "17/05/1990",
                "city": "Eilat",
                "colour": "red",
            },
        )
    keys = sorted(p.split(":")[0] for p in err.value.problems)
    assert keys == [
        "lead.fields.birthday",
        "lead.fields.budget",
        "lead.fields.city",
        "lead.fields.colour",
        "lead.fields.score",
        "lead.fields.vip",
    ]
    assert any("is not one of: Haifa, Tel Aviv" in p for p in err.value.problems)


def test_a_required_field_must_be_given(s: Session) -> None:
    s.leads.set_settings(
        LeadSettings(custom_fields=(FieldDefinition("budget", "integer", required=True),))
    )
    with pytest.raises(ValidationError, match=r"lead\.fields\.budget: required"):
        s.leads.create("Yossi")


def test_settings_are_checked_before_they_are_stored(s: Session) -> None:
    bad = LeadSettings(
        duplicate_fields={"phone", "address"},
        duplicate_window=timedelta(0),
        custom_fields=(
            FieldDefinition("Budget", "integer"),
            FieldDefinition("city", "choice"),
            FieldDefinition("city", "text"),
        ),
    )
    with pytest.raises(ValidationError) as err:
        s.leads.set_settings(bad)
    assert len(err.value.problems) == 5
    assert s.leads.settings() == LeadSettings()


def test_changing_settings_needs_manage_workflow(core: Leadcore, s: Session) -> None:
    agent = s.users.create("Avi", "qualifier")
    with pytest.raises(Forbidden):
        core.session(agent.id).leads.set_settings(LeadSettings())


# -- duplicates ------------------------------------------------------------------------


def test_a_duplicate_is_created_flagged_and_linked_to_the_original(s: Session) -> None:
    first = s.leads.create("Yossi", phones=["050-555-1234"])
    second = s.leads.create("Yossi Cohen", phones=["+972505551234"])
    third = s.leads.create("Y. Cohen", emails=["y@example.com"], phones=["0505551234"])
    assert first.duplicate_of is None
    assert second.duplicate_of == first.id
    assert third.duplicate_of == first.id  # the original, not the previous duplicate
    assert sorted(every_lead(s)) == sorted([first.id, second.id, third.id])
    assert s.leads.history(second.id).items[0].text == f"duplicate of {first.id}"


def test_only_leads_inside_the_look_back_window_are_duplicates(
    s: Session, clock: ManualClock
) -> None:
    s.leads.set_settings(LeadSettings(duplicate_window=timedelta(days=7)))
    first = s.leads.create("Yossi", phones=["050-555-1234"])
    clock.advance(timedelta(days=7))
    assert s.leads.create("Yossi", phones=["050-555-1234"]).duplicate_of == first.id
    clock.advance(timedelta(seconds=1))
    # Now only the second lead is inside the window; it duplicates the first, so it links there.
    assert s.leads.create("Yossi", phones=["050-555-1234"]).duplicate_of == first.id
    clock.advance(timedelta(days=8))
    assert s.leads.create("Yossi", phones=["050-555-1234"]).duplicate_of is None


def test_without_a_window_every_earlier_lead_counts(s: Session, clock: ManualClock) -> None:
    s.leads.set_settings(LeadSettings(duplicate_window=None))
    first = s.leads.create("Yossi", emails=["y@example.com"])
    clock.advance(timedelta(days=3650))
    assert s.leads.create("Other", emails=["Y@EXAMPLE.com"]).duplicate_of == first.id


def test_only_the_configured_fields_are_compared(s: Session) -> None:
    s.leads.set_settings(LeadSettings(duplicate_fields={"email"}))
    s.leads.create("Yossi", phones=["050-555-1234"], emails=["a@example.com"])
    assert s.leads.create("Yossi", phones=["050-555-1234"]).duplicate_of is None
    s.leads.set_settings(LeadSettings(duplicate_fields={"name"}))
    assert s.leads.create("  YOSSI ").duplicate_of is not None


def test_match_all_needs_every_given_field_to_match(s: Session) -> None:
    s.leads.set_settings(
        LeadSettings(duplicate_fields={"phone", "email"}, duplicate_match=DuplicateMatch.ALL)
    )
    first = s.leads.create("Yossi", phones=["050-555-1234"], emails=["y@example.com"])
    assert (
        s.leads.create("Yossi", phones=["050-555-1234"], emails=["other@example.com"]).duplicate_of
        is None
    )
    both = s.leads.create("Yossi", phones=["050-555-1234"], emails=["y@example.com"])
    assert both.duplicate_of == first.id
    # A lead giving only a phone is compared on the phone alone.
    assert s.leads.create("Yossi", phones=["050-555-1234"]).duplicate_of == first.id


def test_match_any_needs_one_shared_value(s: Session) -> None:
    s.leads.set_settings(LeadSettings(duplicate_match="any"))
    first = s.leads.create("Yossi", phones=["050-555-1234"], emails=["y@example.com"])
    assert (
        s.leads.create("Dana", phones=["052-000-0000"], emails=["y@example.com"]).duplicate_of
        == first.id
    )


def test_a_lead_without_contact_details_duplicates_nothing(s: Session) -> None:
    s.leads.create("Yossi")
    assert s.leads.create("Yossi").duplicate_of is None


# -- do not call -----------------------------------------------------------------------


def test_a_number_on_the_do_not_call_list_flags_the_lead(s: Session) -> None:
    assert s.leads.add_blocked_number("050-555-1234") == "+972505551234"
    assert s.leads.blocked_numbers() == ["+972505551234"]
    flagged = s.leads.create("Yossi", phones=["052-345-6789", "+972 50 555 1234"])
    assert flagged.do_not_call
    assert not s.leads.create("Dana", phones=["052-345-6789"]).do_not_call
    s.leads.remove_blocked_number("+972505551234")
    assert s.leads.blocked_numbers() == []
    assert not s.leads.create("Yossi", phones=["050-555-1234"]).do_not_call


def test_blocking_a_bad_number_is_refused(s: Session) -> None:
    with pytest.raises(ValidationError, match="number:"):
        s.leads.add_blocked_number("12")


def test_the_do_not_call_list_needs_manage_workflow(core: Leadcore, s: Session) -> None:
    agent = s.users.create("Avi", "qualifier")
    with pytest.raises(Forbidden):
        core.session(agent.id).leads.add_blocked_number("050-555-1234")
