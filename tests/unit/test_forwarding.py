"""Forwarding leads between organisations, feedback, returns and reports, through the facade."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import attrs
import pytest

from leadcore import (
    ConflictError,
    Forbidden,
    Leadcore,
    ManualClock,
    NotFound,
    Permission,
    Session,
    ValidationError,
)
from leadcore.events import (
    DeliveryAccepted,
    DeliveryRejected,
    DeliveryReturned,
    Event,
    LeadCreated,
    LeadForwarded,
)
from leadcore.forwarding import (
    Delivery,
    DeliveryState,
    Direction,
    DuplicateDisclosure,
    DuplicateHandling,
    FeedbackReason,
    FieldMapping,
    PartnerTerms,
    ReceivingPolicy,
)
from leadcore.ids import SequentialIds
from leadcore.leads import FieldDefinition, LeadSettings
from leadcore.tenancy import Organization

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
PHONE = "052-345-6701"
E164 = "+972523456701"


@attrs.define
class World:
    """A supplier -> agency -> advertiser chain, each organisation with its admin's session."""

    core: Leadcore
    clock: ManualClock
    agency: Organization
    supplier: Organization
    advertiser: Organization
    a: Session
    s: Session
    v: Session

    def events(self, org: str, after: int = 0) -> list[Event]:
        return [e.event for e in self.core.events.read(org, after=after)]

    def head(self, org: str) -> int:
        stored = self.core.events.read(org)
        return stored[-1].position if stored else 0

    def supplier_to_agency(self, name: str = "Noa", phone: str = PHONE) -> tuple[str, Delivery]:
        lead = self.s.leads.create(name, phones=[phone])
        return lead.id, self.s.leads.forward(lead.id, self.agency.id)


@pytest.fixture
def w() -> World:
    clock = ManualClock(START)
    core = Leadcore.open(clock=clock, ids=SequentialIds())
    agency, dana = core.create_organization(
        "Star Media", admin_name="Dana", default_region="IL", timezone="Asia/Jerusalem"
    )
    a = core.session(dana.id)
    supplier, sue = a.partners.add_supplier("Leads Ltd", admin_name="Sue", timezone="UTC")
    advertiser, avi = a.partners.add_advertiser("Insure Co", admin_name="Avi", timezone="UTC")
    return World(
        core, clock, agency, supplier, advertiser, a, core.session(sue.id), core.session(avi.id)
    )


def _incoming(s: Session) -> Delivery:
    (found,) = s.deliveries.list(direction="incoming", state="delivered")
    return found


# -- forwarding --------------------------------------------------------------------------------


def test_the_receiver_gets_its_own_lead_with_no_status_linked_by_a_delivery(w: World) -> None:
    lead = w.s.leads.create("Noa", phones=[PHONE], emails=["noa@example.com"], channel="fb")
    w.s.leads.change_status(lead.id, "contacted", note="called")
    sent = w.s.leads.forward(lead.id, w.agency.id)

    assert sent.direction is Direction.OUTGOING
    assert (sent.organization_id, sent.lead_id, sent.partner_id) == (
        w.supplier.id,
        lead.id,
        w.agency.id,
    )
    assert sent.state is DeliveryState.DELIVERED
    received = w.a.deliveries.list()[0]
    assert received.direction is Direction.INCOMING
    assert received.link_id == sent.link_id
    assert received.partner_id == w.supplier.id
    copy = w.a.leads.get(received.lead_id or "")
    assert copy.id != lead.id
    assert copy.organization_id == w.agency.id
    assert copy.status_id is None
    assert copy.phones == (E164,)
    assert copy.emails == ("noa@example.com",)
    assert copy.source.supplier_id == w.supplier.id
    assert copy.source.channel == "fb"
    assert copy.assignee_ids == ()
    # The sender's lead is untouched.
    assert w.s.leads.get(lead.id).status_id == "contacted"


def test_the_field_mapping_decides_what_the_partner_receives_and_notes_never_go(
    w: World,
) -> None:
    w.s.leads.set_settings(LeadSettings(custom_fields=(FieldDefinition("budget", "integer"),)))
    w.a.leads.set_settings(LeadSettings(custom_fields=(FieldDefinition("price", "integer"),)))
    (link,) = w.s.partners.list()
    w.s.deliveries.set_terms(
        link.id,
        PartnerTerms(FieldMapping(standard={"name", "phones"}, custom={"budget": "price"})),
    )
    lead = w.s.leads.create(
        "Noa", phones=[PHONE], emails=["noa@example.com"], channel="fb", fields={"budget": 900}
    )
    w.s.leads.add_note(lead.id, "internal: pays late")
    w.s.leads.forward(lead.id, w.agency.id)

    copy = w.a.leads.get(w.a.deliveries.list()[0].lead_id or "")
    assert copy.emails == ()
    assert copy.source.channel is None
    assert dict(copy.fields) == {"price": 900}
    assert w.a.leads.notes(copy.id) == []
    assert all("pays late" not in (h.text or "") for h in w.a.leads.history(copy.id).items)
    assert w.s.deliveries.terms(link.id).mapping.custom == {"budget": "price"}


def test_a_chain_keeps_its_lineage_hop_by_hop(w: World) -> None:
    lead_id, first = w.supplier_to_agency()
    at_agency = _incoming(w.a)
    second = w.a.leads.forward(at_agency.lead_id or "", w.advertiser.id)
    at_advertiser = _incoming(w.v)

    trail = w.a.deliveries.trail(at_agency.lead_id or "")
    assert trail.received == w.a.deliveries.get(at_agency.id)
    assert trail.sent == (second,)
    assert w.s.deliveries.trail(lead_id).sent == (first,)
    assert w.s.deliveries.trail(lead_id).received is None
    assert w.v.deliveries.trail(at_advertiser.lead_id or "").received == at_advertiser
    assert at_advertiser.link_id == second.link_id != first.link_id
    # Each organisation sees only its neighbour: the advertiser's lead came from the agency.
    assert w.v.leads.get(at_advertiser.lead_id or "").source.supplier_id == w.agency.id


def test_the_sender_never_sees_the_receivers_statuses_notes_or_users(w: World) -> None:
    _, sent = w.supplier_to_agency()
    received = _incoming(w.a)
    w.a.leads.change_status(received.lead_id or "", "contacted", note="agency secret")
    w.a.leads.add_note(received.lead_id or "", "agency secret 2")
    after = w.s.deliveries.get(sent.id)
    assert after == sent  # work inside the receiver changes nothing the sender sees
    assert "status" not in {f.name for f in attrs.fields(Delivery)}
    assert "agency secret" not in repr(w.s.deliveries.list())
    assert "agency secret" not in repr(w.events(w.supplier.id))
    with pytest.raises(NotFound) as err:
        w.s.leads.get(received.lead_id or "")
    assert str(err.value) == f"lead {received.lead_id!r} not found"


def test_forwarding_needs_an_active_advertiser_partnership(w: World) -> None:
    lead = w.a.leads.create("Noa", phones=[PHONE])
    stranger, _ = w.core.create_organization("Elsewhere", admin_name="Eli")
    with pytest.raises(NotFound) as not_partner:
        w.a.leads.forward(lead.id, stranger.id)
    with pytest.raises(NotFound) as no_such:
        w.a.leads.forward(lead.id, "org-999")
    assert str(not_partner.value).replace(stranger.id, "X") == str(no_such.value).replace(
        "org-999", "X"
    )
    with pytest.raises(ValidationError, match="is a supplier of this organisation"):
        w.a.leads.forward(lead.id, w.supplier.id)
    (link,) = w.a.partners.list("advertiser")
    w.a.partners.deactivate(link.id)
    with pytest.raises(ValidationError, match="inactive"):
        w.a.leads.forward(lead.id, w.advertiser.id)
    w.a.partners.activate(link.id)
    w.a.leads.forward(lead.id, w.advertiser.id)
    with pytest.raises(ValidationError, match="a lead goes to each partner once"):
        w.a.leads.forward(lead.id, w.advertiser.id)


def test_forwarding_and_feedback_need_forward_leads(w: World) -> None:
    seller = w.a.users.create("Omer", "salesperson")
    q = w.core.session(seller.id)
    lead = w.a.leads.create("Noa", phones=[PHONE], assignee_ids=[seller.id])
    with pytest.raises(Forbidden, match="forward_leads"):
        q.leads.forward(lead.id, w.advertiser.id)
    w.supplier_to_agency("Other", "052-345-6799")
    with pytest.raises(Forbidden, match="forward_leads"):
        q.deliveries.accept(_incoming(w.a).id)
    w.a.users.grant(seller.id, Permission.FORWARD_LEADS)
    assert q.leads.forward(lead.id, w.advertiser.id).state is DeliveryState.DELIVERED


# -- feedback and returns --------------------------------------------------------------------


def test_feedback_reaches_the_sender_as_state_and_reason_only(w: World) -> None:
    _, sent = w.supplier_to_agency()
    received = _incoming(w.a)
    w.clock.advance(timedelta(minutes=5))
    mine = w.a.deliveries.reject(received.id, "out_of_area")
    assert mine.state is DeliveryState.REJECTED
    theirs = w.s.deliveries.get(sent.id)
    assert (theirs.state, theirs.reason_id, theirs.reason_label) == (
        DeliveryState.REJECTED,
        "out_of_area",
        "Outside the service area",
    )
    assert theirs.updated_at == START + timedelta(minutes=5)
    with pytest.raises(ValidationError, match="cannot become accepted"):
        w.a.deliveries.accept(received.id)


def test_feedback_reasons_come_from_the_receivers_own_list(w: World) -> None:
    w.supplier_to_agency()
    received = _incoming(w.a)
    with pytest.raises(ValidationError) as err:
        w.a.deliveries.reject(received.id, "too_expensive")
    assert "'too_expensive' is not one of your reasons" in str(err.value)
    with pytest.raises(ValidationError, match="needs a reason"):
        w.a.deliveries.feedback(received.id, "returned")
    with pytest.raises(ValidationError, match="does not apply to rejected"):
        w.a.deliveries.reject(received.id, "qualified")
    w.a.deliveries.set_policy(
        ReceivingPolicy(reasons=[FeedbackReason("too_expensive", "Too expensive")])
    )
    assert w.a.deliveries.reject(received.id, "too_expensive").reason_label == "Too expensive"
    with pytest.raises(ValidationError) as bad:
        w.a.deliveries.set_policy(
            ReceivingPolicy(reasons=[FeedbackReason("Bad Id", " "), FeedbackReason("x", "X", [])])
        )
    assert len(bad.value.problems) == 3


def test_only_the_receiver_gives_feedback(w: World) -> None:
    _, sent = w.supplier_to_agency()
    with pytest.raises(ValidationError, match="feedback comes from the receiver"):
        w.s.deliveries.accept(sent.id)
    with pytest.raises(NotFound):
        w.s.deliveries.accept(_incoming(w.a).id)  # the agency's record is not the supplier's


def test_an_accepted_lead_can_still_be_returned(w: World) -> None:
    _, sent = w.supplier_to_agency()
    received = _incoming(w.a)
    w.a.deliveries.accept(received.id, reason_id="qualified")
    assert w.s.deliveries.get(sent.id).state is DeliveryState.ACCEPTED
    w.a.deliveries.return_lead(received.id, "not_interested")
    assert w.s.deliveries.get(sent.id).state is DeliveryState.RETURNED
    with pytest.raises(ValidationError, match="the delivery is closed"):
        w.a.deliveries.return_lead(received.id, "other")


def test_a_return_passes_upstream_within_the_suppliers_return_window(w: World) -> None:
    (to_agency,) = w.s.partners.list()
    w.s.deliveries.set_terms(to_agency.id, PartnerTerms(return_window=timedelta(days=7)))
    _, sent = w.supplier_to_agency()
    at_agency = _incoming(w.a)
    assert at_agency.returnable_until == START + timedelta(days=7)
    onward = w.a.leads.forward(at_agency.lead_id or "", w.advertiser.id)
    w.clock.advance(timedelta(days=3))
    w.v.deliveries.return_lead(_incoming(w.v).id, "wrong_number")
    assert w.a.deliveries.get(onward.id).state is DeliveryState.RETURNED

    back = w.a.deliveries.pass_back(onward.id)
    assert (back.id, back.state, back.reason_id) == (
        at_agency.id,
        DeliveryState.RETURNED,
        "wrong_number",
    )
    supplier_view = w.s.deliveries.get(sent.id)
    assert (supplier_view.state, supplier_view.reason_id) == (
        DeliveryState.RETURNED,
        "wrong_number",
    )


def test_a_return_after_the_window_is_refused(w: World) -> None:
    (to_agency,) = w.s.partners.list()
    w.s.deliveries.set_terms(to_agency.id, PartnerTerms(return_window=timedelta(days=7)))
    w.supplier_to_agency()
    at_agency = _incoming(w.a)
    onward = w.a.leads.forward(at_agency.lead_id or "", w.advertiser.id)
    w.clock.advance(timedelta(days=8))
    w.v.deliveries.return_lead(_incoming(w.v).id, "wrong_number")  # the agency set no window
    with pytest.raises(ValidationError, match=r"return window .* ended"):
        w.a.deliveries.pass_back(onward.id)
    assert w.a.deliveries.get(at_agency.id).state is DeliveryState.DELIVERED


def test_pass_back_needs_a_returned_delivery_of_a_received_lead(w: World) -> None:
    own = w.a.leads.create("Own", phones=["052-345-6702"])
    sent = w.a.leads.forward(own.id, w.advertiser.id)
    with pytest.raises(ValidationError, match="delivered, not returned"):
        w.a.deliveries.pass_back(sent.id)
    w.v.deliveries.return_lead(_incoming(w.v).id, "other")
    with pytest.raises(ValidationError, match="did not come from a partner"):
        w.a.deliveries.pass_back(sent.id)


# -- duplicates ------------------------------------------------------------------------------


def test_a_duplicate_is_reported_as_the_receivers_policy_allows(w: World) -> None:
    w.a.leads.create("Already here", phones=[PHONE])
    _, sent = w.supplier_to_agency()
    assert (sent.state, sent.reason_id, sent.reason_label) == (DeliveryState.DUPLICATE, None, None)
    (received,) = w.a.deliveries.list()
    assert received.state is DeliveryState.DUPLICATE
    assert received.lead_id is None
    assert received.duplicate_of is not None
    assert sent.duplicate_of is None  # which lead it matched stays with the receiver
    assert len(w.a.leads.list().items) == 1

    w.a.deliveries.set_policy(ReceivingPolicy(disclosure=DuplicateDisclosure.REJECTED))
    _, as_rejection = w.supplier_to_agency("Noa 2")
    assert (as_rejection.state, as_rejection.reason_id, as_rejection.reason_label) == (
        DeliveryState.REJECTED,
        "duplicate",
        "Duplicate",
    )
    w.a.deliveries.set_policy(ReceivingPolicy(disclosure=DuplicateDisclosure.UNEXPLAINED))
    _, unexplained = w.supplier_to_agency("Noa 3")
    assert (unexplained.state, unexplained.reason_id) == (DeliveryState.REJECTED, None)


def test_a_receiver_may_keep_duplicates_flagged(w: World) -> None:
    first = w.a.leads.create("Already here", phones=[PHONE])
    w.a.deliveries.set_policy(ReceivingPolicy(duplicates=DuplicateHandling.KEEP))
    _, sent = w.supplier_to_agency()
    assert sent.state is DeliveryState.DELIVERED
    copy = w.a.leads.get(_incoming(w.a).lead_id or "")
    assert copy.duplicate_of == first.id


def test_a_duplicate_delivery_names_the_original_of_the_receivers_chain(w: World) -> None:
    # Leads made in one instant come back from the duplicate search in id order, in
    # which lead-10 sorts before lead-5: either match must name the same original.
    for n in range(4):
        w.a.leads.create(f"Other {n}", phones=[f"+97252345680{n}"])
    first = w.a.leads.create("Already here", phones=[PHONE])
    for n in range(4, 8):
        w.a.leads.create(f"Other {n}", phones=[f"+97252345680{n}"])
    again = w.a.leads.create("Here again", phones=[PHONE])
    assert again.duplicate_of == first.id
    assert (first.id, again.id) == ("lead-5", "lead-10")

    w.supplier_to_agency()
    (received,) = w.a.deliveries.list(state="duplicate")
    assert received.duplicate_of == first.id

    w.a.deliveries.set_policy(ReceivingPolicy(duplicates=DuplicateHandling.KEEP))
    w.supplier_to_agency("Noa 2")
    copy = w.a.leads.get(_incoming(w.a).lead_id or "")
    assert copy.duplicate_of == first.id


def test_duplicate_detection_never_looks_into_another_organisation(w: World) -> None:
    held = w.a.leads.create("Agency's own", phones=[PHONE])
    assert held.duplicate_of is None
    mine = w.s.leads.create("Supplier's", phones=[PHONE])
    assert mine.duplicate_of is None  # the agency holding the number says nothing here
    sent = w.s.leads.forward(mine.id, w.agency.id)
    assert sent.state is DeliveryState.DUPLICATE
    # The advertiser does not hold it: the agency's duplicate is no business of its.
    moved = w.a.leads.forward(held.id, w.advertiser.id)
    assert moved.state is DeliveryState.DELIVERED


def test_a_lead_whose_data_does_not_fit_fails_without_revealing_the_receivers_fields(
    w: World,
) -> None:
    w.a.leads.set_settings(
        LeadSettings(custom_fields=(FieldDefinition("secret_score", "integer", required=True),))
    )
    lead_id, sent = w.supplier_to_agency()
    assert sent.state is DeliveryState.FAILED
    assert sent.reason_id == "invalid_data"
    assert "secret_score" not in repr(sent)
    (received,) = w.a.deliveries.list()
    assert received.lead_id is None
    assert "secret_score" in (received.reason_label or "")
    assert w.a.leads.list().items == ()
    w.a.leads.set_settings(LeadSettings())
    assert w.s.leads.forward(lead_id, w.agency.id).state is DeliveryState.DELIVERED


# -- events ------------------------------------------------------------------------------------


def test_forward_and_feedback_record_events_in_both_organisations(w: World) -> None:
    marks = {o: w.head(o) for o in (w.supplier.id, w.agency.id)}
    lead_id, sent = w.supplier_to_agency()
    received = _incoming(w.a)
    w.a.deliveries.accept(received.id)
    w.a.deliveries.return_lead(received.id, "wrong_number")

    on_supplier = [
        e for e in w.events(w.supplier.id, marks[w.supplier.id]) if e.type.startswith("delivery")
    ]
    on_agency = w.events(w.agency.id, marks[w.agency.id])
    assert [type(e) for e in on_supplier] == [LeadForwarded, DeliveryAccepted, DeliveryReturned]
    forwarded = on_supplier[0]
    assert isinstance(forwarded, LeadForwarded)
    assert (forwarded.delivery_id, forwarded.lead_id, forwarded.direction) == (
        sent.id,
        lead_id,
        "outgoing",
    )
    assert forwarded.actor_id == w.s.user_id
    assert all(e.actor_id is None for e in on_supplier[1:])  # the agency's users stay unknown

    types = [type(e) for e in on_agency]
    assert types[:4] == [LeadCreated, LeadForwarded, DeliveryAccepted, DeliveryReturned]
    created, arrived = on_agency[0], on_agency[1]
    assert isinstance(created, LeadCreated)
    assert isinstance(arrived, LeadForwarded)
    assert created.actor_id is None
    assert arrived.actor_id is None
    assert created.supplier_id == w.supplier.id
    assert (arrived.delivery_id, arrived.lead_id, arrived.direction, arrived.state) == (
        received.id,
        received.lead_id,
        "incoming",
        "delivered",
    )
    returned = on_agency[3]
    assert isinstance(returned, DeliveryReturned)
    assert returned.actor_id == w.a.user_id
    assert (returned.delivery_id, returned.reason_id) == (received.id, "wrong_number")
    assert lead_id not in repr(on_agency)
    assert sent.id not in repr(on_agency)


def test_the_duplicate_event_of_the_sender_says_only_what_is_disclosed(w: World) -> None:
    w.a.deliveries.set_policy(ReceivingPolicy(disclosure=DuplicateDisclosure.UNEXPLAINED))
    held = w.a.leads.create("Held", phones=[PHONE])
    mark = w.head(w.supplier.id)
    w.supplier_to_agency()
    forwarded = [e for e in w.events(w.supplier.id, mark) if isinstance(e, LeadForwarded)]
    assert [(e.state, e.reason_id) for e in forwarded] == [("rejected", None)]
    assert held.id not in repr(w.events(w.supplier.id))


def test_a_rejection_event_carries_the_reason_to_both_sides(w: World) -> None:
    _, sent = w.supplier_to_agency()
    w.a.deliveries.reject(_incoming(w.a).id, "invalid_details")
    (event,) = [e for e in w.events(w.supplier.id) if isinstance(e, DeliveryRejected)]
    assert (event.delivery_id, event.reason_id, event.reason_label) == (
        sent.id,
        "invalid_details",
        "Invalid or fake details",
    )


# -- reports ---------------------------------------------------------------------------------


def test_suppliers_see_what_became_of_their_leads_by_period(w: World) -> None:
    w.a.leads.create("Held", phones=["052-345-6709"])
    outcomes = ["accept", "reject", "return", None, "duplicate"]
    for i, outcome in enumerate(outcomes):
        phone = "052-345-6709" if outcome == "duplicate" else f"052-345-67{10 + i}"
        w.supplier_to_agency(f"Lead {i}", phone)
        received = [d for d in w.a.deliveries.list() if d.state is DeliveryState.DELIVERED]
        if outcome == "accept":
            w.a.deliveries.accept(received[-1].id)
        elif outcome == "reject":
            w.a.deliveries.reject(received[-1].id, "wrong_number")
        elif outcome == "return":
            w.a.deliveries.return_lead(received[-1].id, "not_interested")
        # 09:00, 13:30, 18:00, 22:30 UTC, then 03:00 the next day.
        w.clock.advance(timedelta(hours=4, minutes=30))
    day1, day2 = w.s.deliveries.report(by="day")  # the supplier keeps UTC
    assert (day1.period, day1.total, day1.accepted, day1.rejected, day1.returned) == (
        START.date(),
        4,
        1,
        1,
        1,
    )
    assert (day1.delivered, day1.pending) == (4, 1)
    assert (day2.total, day2.delivered, day2.duplicates) == (1, 0, 1)
    assert day1.partner_name == "Star Media"
    # The agency counts the same deliveries per supplier in its own time zone (UTC+2),
    # where 22:30 UTC is already the next day.
    incoming = w.a.deliveries.report(direction="incoming", by="day")
    assert [(r.period, r.total) for r in incoming] == [
        (START.date(), 3),
        (START.date() + timedelta(days=1), 2),
    ]
    assert {r.partner_name for r in incoming} == {"Leads Ltd"}
    (whole,) = w.a.deliveries.report(direction="incoming", by="all")
    assert (whole.total, whole.duplicates, whole.accepted, whole.period) == (5, 1, 1, None)


def test_the_agency_sees_its_report_per_supplier_and_per_advertiser(w: World) -> None:
    w.supplier_to_agency()
    w.a.leads.forward(_incoming(w.a).lead_id or "", w.advertiser.id)
    w.v.deliveries.accept(_incoming(w.v).id)
    rows = w.a.deliveries.report(by="month")
    assert [(r.direction, r.partner_name, r.total, r.accepted) for r in rows] == [
        (Direction.OUTGOING, "Insure Co", 1, 1),
        (Direction.INCOMING, "Leads Ltd", 1, 0),
    ]
    assert rows[0].period == START.date().replace(day=1)
    (advertiser_row,) = w.v.deliveries.report(by="week")
    assert advertiser_row.partner_id == w.agency.id  # the supplier stays out of its sight


def test_reports_need_see_reports_and_valid_arguments(w: World) -> None:
    seller = w.a.users.create("Yael", "salesperson")
    with pytest.raises(Forbidden, match="see_reports"):
        w.core.session(seller.id).deliveries.report()
    with pytest.raises(ValidationError) as err:
        w.a.deliveries.report(
            direction="sideways",
            by="year",  # type: ignore[arg-type]
            start=datetime(2026, 3, 1),
        )
    assert len(err.value.problems) == 3


def test_terms_and_policy_need_manage_partners(w: World) -> None:
    seller = w.a.users.create("Yael", "salesperson")
    s = w.core.session(seller.id)
    (link,) = w.a.partners.list("advertiser")
    with pytest.raises(Forbidden, match="manage_partners"):
        s.deliveries.set_terms(link.id, PartnerTerms())
    with pytest.raises(Forbidden, match="manage_partners"):
        s.deliveries.set_policy(ReceivingPolicy())
    (supplier_link,) = w.a.partners.list("supplier")
    with pytest.raises(ValidationError, match="is a supplier"):
        w.a.deliveries.set_terms(supplier_link.id, PartnerTerms())
    with pytest.raises(ValidationError) as err:
        w.a.deliveries.set_terms(
            link.id,
            PartnerTerms(FieldMapping(standard={"phones", "notes"}), timedelta(0)),
        )
    assert len(err.value.problems) == 3
    assert s.deliveries.policy() == ReceivingPolicy()


def test_a_concurrent_double_forward_sends_the_lead_once(w: World) -> None:
    lead = w.a.leads.create("Noa", phones=[PHONE])
    with w.core.storage.unit_of_work() as first, w.core.storage.unit_of_work() as second:
        for uow in (first, second):
            assert list(uow.deliveries.for_lead(w.agency.id, lead.id)) == []
        # Both saw no earlier delivery; the lead's index row makes the second commit lose.
        for uow, n in ((first, 1), (second, 2)):
            uow.deliveries.add(
                Delivery(
                    f"d{n}",
                    w.agency.id,
                    f"l{n}",
                    "outgoing",
                    w.advertiser.id,
                    "p",
                    lead.id,
                    "delivered",
                    START,
                    START,
                )
            )
        first.commit()
        with pytest.raises(ConflictError):
            second.commit()
