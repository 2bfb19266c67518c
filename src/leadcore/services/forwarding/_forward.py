"""Forwarding a lead to a partner: the sender's and the receiver's records, in one unit of work.

This is the one use case in which an organisation's action writes into
another organisation: the receiver's lead, its delivery record and its events
are written in the sender's unit of work, together with the sender's record,
or not at all.
"""

from __future__ import annotations

from datetime import datetime

import attrs

from leadcore import events as ev
from leadcore.errors import NotFound, ValidationError
from leadcore.forwarding._deliveries import (
    INVALID_DATA_REASON,
    Delivery,
    DeliveryState,
    Direction,
    DuplicateHandling,
    ReceivingPolicy,
)
from leadcore.forwarding._terms import PartnerTerms
from leadcore.leads._intake import LeadSettings, is_duplicate
from leadcore.leads._model import Lead, Source
from leadcore.leads._rows import read_input
from leadcore.services._shared import (
    ServiceContext,
    Work,
    Writer,
    record_event,
    retry_on_conflict,
    visible_lead,
)
from leadcore.storage.protocols import UnitOfWork
from leadcore.tenancy import PartnerKind, Partnership, Permission
from leadcore.workflow import name_key

__all__ = ["ATTEMPTS", "already_sent", "forward", "forward_lead"]

ATTEMPTS = 10
"""How often a use case runs again after losing a race (a concurrent delivery or route)."""
_FAILED_LABEL = "the partner could not take the lead's data"


def _advertiser(w: Writer, to_org_id: str) -> Partnership:
    """The active partnership through which this organisation may send leads to a partner."""
    mine = [p for p in w.uow.partnerships.list(w.org) if p.partner_id == to_org_id]
    if not mine:
        # Any organisation that is not a partner is answered like one that does not exist.
        raise NotFound("partner", to_org_id)
    found = next((p for p in mine if p.kind is PartnerKind.ADVERTISER), None)
    if found is None:
        raise ValidationError(
            "cannot forward the lead",
            [
                f"to_org_id: {mine[0].partner_name!r} is a supplier of this organisation; "
                "leads are forwarded to advertisers"
            ],
        )
    if not found.active:
        raise ValidationError(
            "cannot forward the lead",
            [f"to_org_id: the partnership with {found.partner_name!r} is inactive"],
        )
    return found


def _receiver_record(uow: UnitOfWork, mine: Partnership) -> Partnership:
    for theirs in uow.partnerships.list(mine.partner_id):
        if theirs.link_id == mine.link_id:
            return theirs
    raise NotFound("partner", mine.partner_id)  # pragma: no cover - written as a pair


def already_sent(w: Writer, lead: Lead, to_org_id: str) -> Delivery | None:
    """The organisation's delivery of ``lead`` to ``to_org_id``, if any (a failed one is none)."""
    return next(
        (
            d
            for d in w.uow.deliveries.for_lead(w.org, lead.id)
            if d.direction is Direction.OUTGOING
            and d.partner_id == to_org_id
            and d.state is not DeliveryState.FAILED
        ),
        None,
    )


def forward_lead(w: Writer, lead: Lead, to_org_id: str, *, rule_id: str | None = None) -> Delivery:
    """Send ``lead`` to the partner ``to_org_id`` within ``w``'s unit of work.

    Returns the sender's delivery record. The receiver's side (its lead, its
    record, its events) is written in the same unit of work; the caller
    commits. A lead goes to each partner once (a failed delivery may be
    tried again).
    """
    mine = _advertiser(w, to_org_id)
    earlier = already_sent(w, lead, to_org_id)
    if earlier is not None:
        raise ValidationError(
            "cannot forward the lead",
            [
                f"lead_id: lead {lead.name!r} was already sent to {mine.partner_name!r} "
                f"(delivery {earlier.id!r}); a lead goes to each partner once"
            ],
            ids={"lead_id": lead.id, "delivery_id": earlier.id},
        )
    theirs = _receiver_record(w.uow, mine)
    receiver = to_org_id
    uow, ids, now = w.uow, w.ctx.ids, w.now
    terms = uow.delivery_terms.terms(w.org, mine.id) or PartnerTerms()
    copy = terms.mapping.copy(lead)
    settings = uow.lead_settings.get(receiver) or LeadSettings()
    policy = uow.delivery_terms.policy(receiver) or ReceivingPolicy()
    org = uow.organizations.get(receiver)
    checked, problems = read_input(
        name=copy.name,
        phones=copy.phones,
        emails=copy.emails,
        channel=copy.channel,
        supplier_id=w.org,
        fields=dict(copy.fields),
        settings=settings,
        region=org.default_region if org else None,
    )
    link = ids.new("link")
    until = terms.returnable_until(now)
    new_lead: Lead | None = None
    duplicate_of: str | None = None
    if checked is None:
        truth = shown = DeliveryState.FAILED
        truth_reason: tuple[str | None, str | None] = (INVALID_DATA_REASON, "; ".join(problems))
        shown_reason: tuple[str | None, str | None] = (INVALID_DATA_REASON, _FAILED_LABEL)
    else:
        candidate = Lead(
            id=ids.new("lead"),
            organization_id=receiver,
            name=checked.name,
            created_at=now,
            updated_at=now,
            phones=checked.phones,
            emails=checked.emails,
            source=Source(supplier_id=w.org, channel=checked.source.channel),
            fields=checked.fields,
        )
        duplicate_of = _duplicate_in(uow, candidate, settings, now)
        if duplicate_of is not None and policy.duplicates is DuplicateHandling.REJECT:
            truth = DeliveryState.DUPLICATE
            truth_reason = (None, None)
            shown, shown_id, shown_label = policy.disclose_duplicate()
            shown_reason = (shown_id, shown_label)
        else:
            truth = shown = DeliveryState.DELIVERED
            truth_reason = shown_reason = (None, None)
            new_lead = _receive(w, candidate, duplicate_of)
    sent = Delivery(
        id=ids.new("delivery"),
        organization_id=w.org,
        link_id=link,
        direction=Direction.OUTGOING,
        partner_id=receiver,
        partnership_id=mine.id,
        lead_id=lead.id,
        state=shown,
        delivered_at=now,
        updated_at=now,
        reason_id=shown_reason[0],
        reason_label=shown_reason[1],
        returnable_until=until,
        rule_id=rule_id,
    )
    received = Delivery(
        id=ids.new("delivery"),
        organization_id=receiver,
        link_id=link,
        direction=Direction.INCOMING,
        partner_id=w.org,
        partnership_id=theirs.id,
        lead_id=new_lead.id if new_lead else None,
        state=truth,
        delivered_at=now,
        updated_at=now,
        reason_id=truth_reason[0],
        reason_label=truth_reason[1],
        returnable_until=until,
        duplicate_of=duplicate_of,
    )
    uow.deliveries.add(sent)
    uow.deliveries.add(received)
    w.emit(
        ev.LeadForwarded,
        delivery_id=sent.id,
        direction=str(Direction.OUTGOING),
        lead_id=lead.id,
        partner_id=receiver,
        state=str(sent.state),
        reason_id=sent.reason_id,
        rule_id=rule_id,
    )
    record_event(
        uow,
        ids,
        ev.LeadForwarded,
        organization_id=receiver,
        actor_id=None,
        now=now,
        delivery_id=received.id,
        direction=str(Direction.INCOMING),
        lead_id=received.lead_id,
        partner_id=w.org,
        state=str(received.state),
        reason_id=received.reason_id,
    )
    return sent


def _duplicate_in(uow: UnitOfWork, lead: Lead, settings: LeadSettings, now: datetime) -> str | None:
    """The original of the receiver's leads that ``lead`` duplicates (its own leads only), if any.

    As at intake, the original is the first lead of its duplicate chain: a
    match that is itself flagged names its original. Several leads of one
    chain may match (created in the same instant, they come in id order), and
    all of them name the same original.
    """
    since = None if settings.duplicate_window is None else now - settings.duplicate_window
    fields = settings.duplicate_fields
    candidates = uow.leads.matching(
        lead.organization_id,
        phones=lead.phones if "phone" in fields else (),
        emails=lead.emails if "email" in fields else (),
        name_keys=[name_key(lead.name)] if "name" in fields else (),
        since=since,
    )
    match = next((c for c in candidates if is_duplicate(lead, c, settings)), None)
    return None if match is None else match.duplicate_of or match.id


def _receive(w: Writer, lead: Lead, duplicate_of: str | None) -> Lead:
    """Store the receiver's new lead, with the events its intake would record."""
    receiver = lead.organization_id
    if duplicate_of is not None:
        lead = attrs.evolve(lead, duplicate_of=duplicate_of)
    if any(w.uow.do_not_call.contains(receiver, p) for p in lead.phones):
        lead = attrs.evolve(lead, do_not_call=True)
    w.uow.leads.add(lead)
    record_event(
        w.uow,
        w.ctx.ids,
        ev.LeadCreated,
        organization_id=receiver,
        actor_id=None,
        now=w.now,
        lead_id=lead.id,
        name=lead.name,
        phones=lead.phones,
        emails=lead.emails,
        channel=lead.source.channel,
        supplier_id=lead.source.supplier_id,
        project_id=None,
        duplicate_of=lead.duplicate_of,
        do_not_call=lead.do_not_call,
    )
    if lead.duplicate_of is not None:
        record_event(
            w.uow,
            w.ctx.ids,
            ev.LeadDuplicateFlagged,
            organization_id=receiver,
            actor_id=None,
            now=w.now,
            lead_id=lead.id,
            duplicate_of=lead.duplicate_of,
        )
    return lead


def forward(ctx: ServiceContext, lead_id: str, to_org_id: str) -> Delivery:
    """The use case behind ``s.leads.forward`` (needs ``forward_leads``)."""

    def run() -> Delivery:
        with Work(ctx, Permission.FORWARD_LEADS, "forward leads") as w:
            lead = visible_lead(w.uow, w.actor, lead_id)
            sent = forward_lead(w, lead, to_org_id)
            w.uow.commit()
            return sent

    return retry_on_conflict(run, ATTEMPTS)
