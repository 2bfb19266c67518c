"""Use cases of leads flowing between organisations.

- ``s.leads.forward(lead_id, to_org_id)`` sends a lead to a partner;
- ``s.deliveries`` (:class:`DeliveriesService`): delivery records, feedback
  (accept, reject, return, pass a return upstream), partner terms, the
  receiving policy, and delivery reports;
- ``s.routing`` (:class:`RoutingService`): routing rules with caps, and
  routing a lead by them.

Forwarding is the one use case in which an organisation's action writes into
another organisation: the receiver's lead, its delivery record and its events
are written in the sender's unit of work, together with the sender's record,
or not at all. Nothing of the receiver flows back except the delivery outcome
its policy discloses and the feedback it gives.

The pure records and rules are in :mod:`leadcore.forwarding`.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import TypeVar

import attrs

from leadcore import events as ev
from leadcore._arguments import checked_arguments
from leadcore._limits import aware_problem
from leadcore._text import checks_text
from leadcore.errors import ConflictError, NotFound, ValidationError
from leadcore.forwarding._deliveries import (
    INVALID_DATA_REASON,
    Delivery,
    DeliveryState,
    DeliveryTrail,
    Direction,
    DuplicateHandling,
    ReceivingPolicy,
    feedback_problems,
)
from leadcore.forwarding._reports import DeliveryReportRow, ReportPeriod, delivery_report
from leadcore.forwarding._routing import (
    CapUsage,
    RoutingOutcome,
    RoutingRule,
    Strategy,
    Target,
    TargetKind,
    order_targets,
    period_key,
    rotate,
)
from leadcore.forwarding._terms import PartnerTerms
from leadcore.leads._intake import LeadSettings, is_duplicate
from leadcore.leads._model import HistoryKind, Lead, Source
from leadcore.leads._query import LeadQuery
from leadcore.leads._rows import read_input
from leadcore.services._shared import (
    LEADS,
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

__all__ = ["DeliveriesService", "RoutingService", "forward", "forward_lead"]

_ATTEMPTS = 10
"""How often a use case runs again after losing a race (a concurrent delivery or route)."""
_FAILED_LABEL = "the partner could not take the lead's data"
_PERIODS: tuple[ReportPeriod, ...] = ("day", "week", "month", "all")


def _naive(**values: datetime | None) -> list[str]:
    return [
        problem
        for name, value in values.items()
        if (problem := aware_problem(value, name)) is not None
    ]


# -- forwarding -------------------------------------------------------------------------------


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


def _already_sent(w: Writer, lead: Lead, to_org_id: str) -> Delivery | None:
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
    earlier = _already_sent(w, lead, to_org_id)
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
    original: Lead | None = None
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
        original = _duplicate_in(uow, candidate, settings, now)
        if original is not None and policy.duplicates is DuplicateHandling.REJECT:
            truth = DeliveryState.DUPLICATE
            truth_reason = (None, None)
            shown, shown_id, shown_label = policy.disclose_duplicate()
            shown_reason = (shown_id, shown_label)
        else:
            truth = shown = DeliveryState.DELIVERED
            truth_reason = shown_reason = (None, None)
            new_lead = _receive(w, candidate, original)
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
        duplicate_of=original.id if original else None,
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


def _duplicate_in(
    uow: UnitOfWork, lead: Lead, settings: LeadSettings, now: datetime
) -> Lead | None:
    """The receiver's earlier lead that ``lead`` duplicates (its own leads only), if any."""
    since = None if settings.duplicate_window is None else now - settings.duplicate_window
    fields = settings.duplicate_fields
    candidates = uow.leads.matching(
        lead.organization_id,
        phones=lead.phones if "phone" in fields else (),
        emails=lead.emails if "email" in fields else (),
        name_keys=[name_key(lead.name)] if "name" in fields else (),
        since=since,
    )
    return next((c for c in candidates if is_duplicate(lead, c, settings)), None)


def _receive(w: Writer, lead: Lead, original: Lead | None) -> Lead:
    """Store the receiver's new lead, with the events its intake would record."""
    receiver = lead.organization_id
    if original is not None:
        lead = attrs.evolve(lead, duplicate_of=original.duplicate_of or original.id)
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

    return retry_on_conflict(run, _ATTEMPTS)


# -- deliveries and feedback ------------------------------------------------------------------

_FEEDBACK_EVENTS: dict[DeliveryState, type[ev.Event]] = {
    DeliveryState.ACCEPTED: ev.DeliveryAccepted,
    DeliveryState.REJECTED: ev.DeliveryRejected,
    DeliveryState.RETURNED: ev.DeliveryReturned,
}


@checks_text
@checked_arguments
class DeliveriesService:
    """Leads sent to and received from partners (``s.deliveries``).

    The sender of a delivery sees its state and the receiver's feedback
    reason, never the receiver's statuses, history, notes or users.
    """

    def __init__(self, ctx: ServiceContext) -> None:
        self._ctx = ctx

    def _work(self, permission: Permission | None, action: str) -> Work:
        return Work(self._ctx, permission, action)

    @staticmethod
    def _get(w: Writer, delivery_id: str) -> Delivery:
        found = w.uow.deliveries.get(w.org, delivery_id)
        if found is None:
            raise NotFound("delivery", delivery_id)
        return found

    # -- reading ------------------------------------------------------------------------

    def get(self, delivery_id: str) -> Delivery:
        """One delivery record of this organisation (needs ``forward_leads``)."""
        with self._work(Permission.FORWARD_LEADS, "see deliveries") as w:
            return self._get(w, delivery_id)

    def list(
        self,
        *,
        direction: Direction | str | None = None,
        partner_id: str | None = None,
        state: DeliveryState | str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> builtins.list[Delivery]:
        """The deliveries of this organisation, oldest first (needs ``forward_leads``).

        Filter by ``direction`` (``outgoing``: sent, ``incoming``: received),
        partner organisation, state, and delivery time in ``[start, end)``.
        """
        problems = _naive(start=start, end=end)
        the_direction = _enum(Direction, direction, "direction", problems)
        the_state = _enum(DeliveryState, state, "state", problems)
        if problems:
            raise ValidationError("invalid delivery filter", problems)
        with self._work(Permission.FORWARD_LEADS, "see deliveries") as w:
            rows = w.uow.deliveries.list(
                w.org, direction=the_direction, partner_id=partner_id, start=start, end=end
            )
        return [d for d in rows if the_state is None or d.state is the_state]

    def trail(self, lead_id: str) -> DeliveryTrail:
        """Where one of this organisation's leads came from and where it was sent."""
        with self._work(Permission.FORWARD_LEADS, "see deliveries") as w:
            lead = visible_lead(w.uow, w.actor, lead_id)
            records = w.uow.deliveries.for_lead(w.org, lead.id)
        received = next((d for d in records if d.direction is Direction.INCOMING), None)
        sent = tuple(d for d in records if d.direction is Direction.OUTGOING)
        return DeliveryTrail(lead.id, received, sent)

    # -- feedback -----------------------------------------------------------------------

    def feedback(
        self, delivery_id: str, state: DeliveryState | str, reason: str | None = None
    ) -> Delivery:
        """Give feedback on a received lead (needs ``forward_leads``).

        ``state`` is ``accepted``, ``rejected`` or ``returned``; ``reason`` an
        id from this organisation's :class:`ReceivingPolicy` reasons (required
        for rejections and returns). A delivered lead may be accepted,
        rejected or returned; an accepted one returned; a return must come
        within the return window the sender set. The sender's record shows
        the new state and the reason (id and label), and both organisations
        record the event, each with its own ids. Returns this organisation's
        updated record.
        """
        problems: list[str] = []
        the_state = _enum(DeliveryState, state, "state", problems)
        if the_state is not None and the_state not in _FEEDBACK_EVENTS:
            problems.append(
                f"state: {the_state.value!r} is not feedback; use accepted, rejected or returned"
            )
        if problems or the_state is None:
            raise ValidationError("invalid feedback", problems)
        wanted = the_state

        def run() -> Delivery:
            with self._work(Permission.FORWARD_LEADS, "give feedback on deliveries") as w:
                updated = self._give(w, self._get(w, delivery_id), wanted, reason)
                w.uow.commit()
                return updated

        return retry_on_conflict(run, _ATTEMPTS)

    def accept(self, delivery_id: str, *, reason: str | None = None) -> Delivery:
        """Accept a received lead (see :meth:`feedback`)."""
        return self.feedback(delivery_id, DeliveryState.ACCEPTED, reason)

    def reject(self, delivery_id: str, reason: str) -> Delivery:
        """Reject a received lead with a reason (see :meth:`feedback`)."""
        return self.feedback(delivery_id, DeliveryState.REJECTED, reason)

    def return_lead(self, delivery_id: str, reason: str) -> Delivery:
        """Return a received lead with a reason, within the return window (see :meth:`feedback`)."""
        return self.feedback(delivery_id, DeliveryState.RETURNED, reason)

    def pass_back(self, delivery_id: str, *, reason: str | None = None) -> Delivery:
        """Pass a return upstream: return to the supplier the lead a partner returned to us.

        ``delivery_id`` is this organisation's outgoing delivery that its
        receiver returned; the lead's incoming delivery is returned to the
        organisation it came from, with ``reason`` (default: the same reason
        id, which must be on this organisation's list too). The supplier's
        return window applies. Returns the updated incoming record.
        """

        def run() -> Delivery:
            with self._work(Permission.FORWARD_LEADS, "give feedback on deliveries") as w:
                out = self._get(w, delivery_id)
                problems = []
                if out.direction is not Direction.OUTGOING:
                    problems.append(
                        f"delivery_id: {delivery_id!r} was received, not sent; "
                        "give it feedback with return_lead"
                    )
                elif out.state is not DeliveryState.RETURNED:
                    problems.append(
                        f"delivery_id: {delivery_id!r} is {out.state.value}, not returned"
                    )
                incoming = None
                if out.lead_id is not None:
                    incoming = next(
                        (
                            d
                            for d in w.uow.deliveries.for_lead(w.org, out.lead_id)
                            if d.direction is Direction.INCOMING
                        ),
                        None,
                    )
                if incoming is None and not problems:
                    problems.append(
                        f"delivery_id: lead {out.lead_id!r} did not come from a partner; "
                        "there is nobody to pass the return to"
                    )
                if problems or incoming is None:
                    raise ValidationError("cannot pass the return back", problems)
                updated = self._give(w, incoming, DeliveryState.RETURNED, reason or out.reason_id)
                w.uow.commit()
                return updated

        return retry_on_conflict(run, _ATTEMPTS)

    def _give(
        self, w: Writer, delivery: Delivery, state: DeliveryState, reason_id: str | None
    ) -> Delivery:
        policy = w.uow.delivery_terms.policy(w.org) or ReceivingPolicy()
        problems = feedback_problems(delivery, state, reason_id, policy, w.now)
        if problems:
            raise ValidationError(f"cannot mark delivery {delivery.id!r} {state.value}", problems)
        reason = policy.reason(reason_id) if reason_id is not None else None
        label = reason.label if reason is not None else None
        mine = _with_feedback(delivery, state, reason_id, label, w.now)
        w.uow.deliveries.update(mine)
        cls = _FEEDBACK_EVENTS[state]
        w.emit(
            cls,
            delivery_id=mine.id,
            direction=str(mine.direction),
            lead_id=mine.lead_id,
            partner_id=mine.partner_id,
            reason_id=reason_id,
            reason_label=label,
        )
        theirs = w.uow.deliveries.by_link(delivery.partner_id, delivery.link_id)
        if theirs is not None:
            theirs = _with_feedback(theirs, state, reason_id, label, w.now)
            w.uow.deliveries.update(theirs)
            record_event(
                w.uow,
                w.ctx.ids,
                cls,
                organization_id=theirs.organization_id,
                actor_id=None,
                now=w.now,
                delivery_id=theirs.id,
                direction=str(theirs.direction),
                lead_id=theirs.lead_id,
                partner_id=theirs.partner_id,
                reason_id=reason_id,
                reason_label=label,
            )
        return mine

    # -- what this organisation sets ------------------------------------------------------

    def policy(self) -> ReceivingPolicy:
        """How this organisation takes leads from suppliers, and its feedback reasons."""
        with self._work(None, "") as w:
            return w.uow.delivery_terms.policy(w.org) or ReceivingPolicy()

    def set_policy(self, policy: ReceivingPolicy) -> ReceivingPolicy:
        """Replace the receiving policy (needs ``manage_partners``)."""
        problems = policy.problems()
        if problems:
            raise ValidationError("invalid receiving policy", problems)
        with self._work(Permission.MANAGE_PARTNERS, "change the receiving policy") as w:
            w.uow.delivery_terms.put_policy(w.org, policy)
            w.emit(ev.ForwardingSettingsChanged, setting="policy")
            w.uow.commit()
        return policy

    def terms(self, partnership_id: str) -> PartnerTerms:
        """The terms this organisation set for a partner it sends leads to."""
        with self._work(None, "") as w:
            partnership = self._partnership(w, partnership_id)
            return w.uow.delivery_terms.terms(w.org, partnership.id) or PartnerTerms()

    def set_terms(self, partnership_id: str, terms: PartnerTerms) -> PartnerTerms:
        """Set the field mapping and return window of an advertiser (needs ``manage_partners``)."""
        problems = terms.problems()
        if problems:
            raise ValidationError("invalid partner terms", problems)
        with self._work(Permission.MANAGE_PARTNERS, "set partner terms") as w:
            partnership = self._partnership(w, partnership_id)
            if partnership.kind is not PartnerKind.ADVERTISER:
                raise ValidationError(
                    "invalid partner terms",
                    [
                        f"partnership_id: {partnership.partner_name!r} is a supplier; terms "
                        "are set for the advertisers this organisation sends leads to"
                    ],
                )
            w.uow.delivery_terms.put_terms(w.org, partnership.id, terms)
            w.emit(ev.ForwardingSettingsChanged, setting="terms", partnership_id=partnership.id)
            w.uow.commit()
        return terms

    @staticmethod
    def _partnership(w: Writer, partnership_id: str) -> Partnership:
        found = w.uow.partnerships.get(w.org, partnership_id)
        if found is None:
            raise NotFound("partnership", partnership_id)
        return found

    # -- reports ------------------------------------------------------------------------

    def report(
        self,
        *,
        direction: Direction | str | None = None,
        by: ReportPeriod = "month",
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> builtins.list[DeliveryReportRow]:
        """How many deliveries were delivered, accepted, duplicates, rejected, returned.

        Per partner and period (``day``, ``week``, ``month`` in this
        organisation's time zone, or ``all``), over deliveries made in
        ``[start, end)``. A supplier sees its own leads as its receivers
        disclosed them (``outgoing``); an agency sees the same per advertiser,
        and per supplier for what it received (``incoming``). Needs
        ``see_reports``.
        """
        problems = _naive(start=start, end=end)
        the_direction = _enum(Direction, direction, "direction", problems)
        if by not in _PERIODS:
            problems.append(f"by: {by!r} is not one of {', '.join(_PERIODS)}")
        if problems:
            raise ValidationError("invalid delivery report", problems)
        with self._work(Permission.SEE_REPORTS, "see delivery reports") as w:
            org = w.uow.organizations.get(w.org)
            names = {p.partner_id: p.partner_name for p in w.uow.partnerships.list(w.org)}
            rows = w.uow.deliveries.list(w.org, direction=the_direction, start=start, end=end)
        return delivery_report(rows, names, by=by, timezone=org.timezone if org else "UTC")


def _with_feedback(
    delivery: Delivery,
    state: DeliveryState,
    reason_id: str | None,
    label: str | None,
    now: datetime,
) -> Delivery:
    return attrs.evolve(
        delivery, state=state, reason_id=reason_id, reason_label=label, updated_at=now
    )


E = TypeVar("E", Direction, DeliveryState, TargetKind)


def _enum(cls: type[E], value: E | str | None, path: str, problems: list[str]) -> E | None:
    if value is None:
        return None
    try:
        return cls(value)
    except ValueError:
        accepted = ", ".join(m.value for m in cls)
        problems.append(f"{path}: {value!r} is not accepted; accepted: {accepted}")
        return None


# -- routing ----------------------------------------------------------------------------------


@checks_text
@checked_arguments
class RoutingService:
    """Routing rules and routing leads by them (``s.routing``).

    Rules are tried in order; the first that matches a lead and has a target
    able to take it routes the lead: to a user of this organisation (the lead
    is assigned to them) or to a partner (the lead is forwarded). A target
    whose cap for the current hour, day or month (in its own time zone) is
    used up is passed over. Caps stay exact under any number of concurrent
    routers: of two routes that would pass a cap, one runs again and sees it.
    """

    def __init__(self, ctx: ServiceContext) -> None:
        self._ctx = ctx

    def rules(self) -> builtins.list[RoutingRule]:
        """The routing rules of this organisation, in the order they are tried."""
        with Work(self._ctx, None, "") as w:
            return list(w.uow.routing.rules(w.org))

    def set_rules(self, rules: Iterable[RoutingRule]) -> builtins.list[RoutingRule]:
        """Replace the routing rules (needs ``manage_partners``).

        Every problem of every rule is reported at once, each with its path
        (``rules[1].targets[0].id``). A rule's rotation and cap counters are
        kept across changes by its id.
        """
        wanted = list(rules)
        with Work(self._ctx, Permission.MANAGE_PARTNERS, "manage routing rules") as w:
            problems = self._problems(w, wanted)
            if problems:
                raise ValidationError("invalid routing rules", problems)
            w.uow.routing.put_rules(w.org, wanted)
            w.emit(ev.ForwardingSettingsChanged, setting="rules")
            w.uow.commit()
        return wanted

    @staticmethod
    def _problems(w: Writer, rules: Sequence[RoutingRule]) -> builtins.list[str]:
        problems: list[str] = []
        users = {u.id for u in w.uow.users.list(w.org) if u.active}
        advertisers = {
            p.partner_id for p in w.uow.partnerships.list(w.org) if p.kind is PartnerKind.ADVERTISER
        }
        workflow = w.uow.workflows.get(w.org, LEADS)
        seen: set[str] = set()
        for i, rule in enumerate(rules):
            path = f"rules[{i}]"
            if not isinstance(rule, RoutingRule):
                problems.append(f"{path}: expected a RoutingRule, got {type(rule).__name__}")
                continue
            problems.extend(rule.problems(path))
            if rule.id in seen:
                problems.append(f"{path}.id: {rule.id!r} is used by an earlier rule")
            seen.add(rule.id)
            for j, t in enumerate(rule.targets):
                if rule.to is TargetKind.USERS and t.id not in users:
                    problems.append(
                        f"{path}.targets[{j}].id: {t.id!r} is not an active user of this "
                        "organisation"
                    )
                if rule.to is TargetKind.PARTNERS and t.id not in advertisers:
                    problems.append(
                        f"{path}.targets[{j}].id: {t.id!r} is not an advertiser of this "
                        "organisation"
                    )
            for s in sorted(x for x in rule.statuses or () if x is not None):
                if workflow is not None and s not in workflow:
                    problems.append(
                        f"{path}.statuses: {s!r} is not a status of the current workflow"
                    )
        return problems

    def route(self, lead_id: str) -> RoutingOutcome:
        """Route one lead by the first rule that matches it and has a target that takes it.

        Routing to users needs ``assign_leads``; to partners,
        ``forward_leads``. A lead no rule can place comes back unrouted, with
        the reason for each rule and target passed over in ``skipped``.
        """

        def run() -> RoutingOutcome:
            with Work(self._ctx, None, "") as w:
                self._may_route(w)
                lead = visible_lead(w.uow, w.actor, lead_id)
                outcome = self._route(w, lead)
                w.uow.commit()
                return outcome

        return retry_on_conflict(run, _ATTEMPTS)

    def route_many(self, lead_ids: Iterable[str]) -> dict[str, RoutingOutcome | Exception]:
        """Route several leads, each on its own; per lead, the outcome or the error."""
        out: dict[str, RoutingOutcome | Exception] = {}
        for lead_id in lead_ids:
            try:
                out[lead_id] = self.route(lead_id)
            except (NotFound, ValidationError, ConflictError) as exc:
                out[lead_id] = exc
        return out

    def usage(self) -> builtins.list[CapUsage]:
        """How much of each cap each target has used in its current period (``see_reports``)."""
        with Work(self._ctx, Permission.SEE_REPORTS, "see routing usage") as w:
            out = []
            for rule in w.uow.routing.rules(w.org):
                for t in rule.targets:
                    tz = self._timezone(w, rule, t)
                    for period, limit in t.caps.limits():
                        key = period_key(period, w.now, tz)
                        used = w.uow.routing.count(w.org, rule.id, t.id, key)
                        out.append(CapUsage(rule.id, t.id, period, key, used, limit))
            return out

    # -- the routing itself -----------------------------------------------------------------

    @staticmethod
    def _may_route(w: Writer) -> None:
        if not (w.actor.has(Permission.ASSIGN_LEADS) or w.actor.has(Permission.FORWARD_LEADS)):
            w.actor.require(Permission.ASSIGN_LEADS, "route leads")

    def _route(self, w: Writer, lead: Lead) -> RoutingOutcome:
        skipped: list[str] = []
        for rule in w.uow.routing.rules(w.org):
            why = rule.refusal(lead)
            if why is not None:
                skipped.append(f"rule {rule.id!r}: {why}")
                continue
            if rule.to is TargetKind.USERS:
                w.actor.require(Permission.ASSIGN_LEADS, "route leads to users")
            else:
                w.actor.require(Permission.FORWARD_LEADS, "route leads to partners")
            outcome = self._apply(w, rule, lead, skipped)
            if outcome is not None:
                return outcome
            skipped.append(f"rule {rule.id!r}: no target could take the lead")
        if not skipped:
            skipped.append("no routing rules are set")
        return RoutingOutcome(lead.id, skipped=tuple(skipped))

    @staticmethod
    def _timezone(w: Writer, rule: RoutingRule, target: Target) -> str:
        if rule.to is TargetKind.USERS:
            user = w.uow.users.get(w.org, target.id)
            if user is not None and user.timezone:
                return user.timezone
            org = w.uow.organizations.get(w.org)
        else:
            org = w.uow.organizations.get(target.id)
        return org.timezone if org is not None else "UTC"

    def _unavailable(self, w: Writer, rule: RoutingRule, target: Target, lead: Lead) -> str | None:
        if rule.to is TargetKind.USERS:
            user = w.uow.users.get(w.org, target.id)
            if user is None or not user.active:
                return "not an active user"
            return None
        partner = next(
            (
                p
                for p in w.uow.partnerships.list(w.org)
                if p.partner_id == target.id and p.kind is PartnerKind.ADVERTISER
            ),
            None,
        )
        if partner is None or not partner.active:
            return "no active partnership"
        if _already_sent(w, lead, target.id) is not None:
            return "the lead was already sent there"
        return None

    def _apply(
        self, w: Writer, rule: RoutingRule, lead: Lead, skipped: list[str]
    ) -> RoutingOutcome | None:
        eligible: list[Target] = []
        keys: dict[str, list[str]] = {}
        for t in rule.targets:
            why = self._unavailable(w, rule, t, lead)
            tz = self._timezone(w, rule, t)
            periods = [(p, n, period_key(p, w.now, tz)) for p, n in t.caps.limits()]
            for period, limit, key in periods:
                if why is None and w.uow.routing.count(w.org, rule.id, t.id, key) >= limit:
                    why = f"its cap of {limit} per {period.value} is used up ({key})"
            if why is not None:
                skipped.append(f"rule {rule.id!r}, target {t.id!r}: {why}")
                continue
            eligible.append(t)
            keys[t.id] = [key for _, _, key in periods]
        loads = self._loads(w, eligible) if rule.strategy is Strategy.BY_LOAD else {}
        rotation = w.uow.routing.rotation(w.org, rule.id)
        for t in order_targets(rule, eligible, rotation, loads):
            delivery = None
            if rule.to is TargetKind.USERS:
                self._assign(w, lead, t.id)
            else:
                delivery = forward_lead(w, lead, t.id, rule_id=rule.id)
                if delivery.state is not DeliveryState.DELIVERED:
                    skipped.append(
                        f"rule {rule.id!r}, target {t.id!r}: the delivery ended "
                        f"{delivery.state.value}"
                    )
                    continue
            for key in keys[t.id]:
                w.uow.routing.add_count(w.org, rule.id, t.id, key)
            # Written even when unchanged: concurrent routes by one rule then conflict and
            # run again in turn, so the rotation never hands two leads the same turn.
            w.uow.routing.put_rotation(w.org, rule.id, rotate(rule, eligible, rotation, t.id))
            w.emit(
                ev.LeadRouted,
                lead_id=lead.id,
                rule_id=rule.id,
                to=str(rule.to),
                target_id=t.id,
                delivery_id=delivery.id if delivery else None,
            )
            return RoutingOutcome(
                lead.id,
                rule_id=rule.id,
                to=rule.to,
                target_id=t.id,
                delivery=delivery,
                skipped=tuple(skipped),
            )
        return None

    @staticmethod
    def _loads(w: Writer, targets: Sequence[Target]) -> dict[str, int]:
        """Open leads (not done, not converted) assigned to each user."""
        workflow = w.uow.workflows.get(w.org, LEADS)
        done = frozenset(workflow.done_statuses()) if workflow is not None else frozenset()
        return {
            t.id: len(
                w.uow.leads.query(
                    w.org,
                    LeadQuery(assignee_id=t.id, exclude_status_ids=done, converted=False),
                )
            )
            for t in targets
        }

    @staticmethod
    def _assign(w: Writer, lead: Lead, user_id: str) -> None:
        w.save(lead, attrs.evolve(lead, assignee_ids=(user_id,)))
        w.history(lead, HistoryKind.ASSIGNED, text=user_id)
        w.emit(ev.LeadAssigned, lead_id=lead.id, assignee_ids=(user_id,))
