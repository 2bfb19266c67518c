"""``s.deliveries``: delivery records, feedback, partner terms, the receiving policy, reports."""

from __future__ import annotations

import builtins
import functools
import warnings
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

import attrs

from leadcore import events as ev
from leadcore._arguments import checked_arguments
from leadcore._limits import aware_problem
from leadcore._text import checks_text
from leadcore.errors import NotFound, ValidationError
from leadcore.forwarding._deliveries import (
    Delivery,
    DeliveryState,
    DeliveryTrail,
    Direction,
    ReceivingPolicy,
    feedback_problems,
)
from leadcore.forwarding._reports import DeliveryReportRow, ReportPeriod, delivery_report
from leadcore.forwarding._routing import TargetKind
from leadcore.forwarding._terms import PartnerTerms
from leadcore.services._shared import (
    ServiceContext,
    Work,
    Writer,
    record_event,
    retry_on_conflict,
    visible_lead,
)
from leadcore.services.forwarding._forward import ATTEMPTS
from leadcore.tenancy import PartnerKind, Partnership, Permission

__all__ = ["DeliveriesService"]

_PERIODS: tuple[ReportPeriod, ...] = ("day", "week", "month", "all")


def _naive(**values: datetime | None) -> list[str]:
    return [
        problem
        for name, value in values.items()
        if (problem := aware_problem(value, name)) is not None
    ]


_FEEDBACK_EVENTS: dict[DeliveryState, type[ev.Event]] = {
    DeliveryState.ACCEPTED: ev.DeliveryAccepted,
    DeliveryState.REJECTED: ev.DeliveryRejected,
    DeliveryState.RETURNED: ev.DeliveryReturned,
}


F = TypeVar("F", bound=Callable[..., Any])


def _reason_renamed(method: F) -> F:
    """Take the old keyword ``reason=`` for one release: it warns, then passes ``reason_id=``."""

    @functools.wraps(method)
    def call(*args: Any, **kwargs: Any) -> Any:
        if "reason" in kwargs:
            if "reason_id" in kwargs:
                raise TypeError(f"{method.__name__}() takes reason_id, not also reason")
            warnings.warn(
                f"DeliveriesService.{method.__name__}(reason=...) is renamed reason_id=; "
                "the old keyword will be removed in the next release",
                DeprecationWarning,
                stacklevel=4,  # past the argument checks that wrap the method
            )
            kwargs["reason_id"] = kwargs.pop("reason")
        return method(*args, **kwargs)

    return call  # type: ignore[return-value]


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

    @_reason_renamed
    def feedback(
        self, delivery_id: str, state: DeliveryState | str, reason_id: str | None = None
    ) -> Delivery:
        """Give feedback on a received lead (needs ``forward_leads``).

        ``state`` is ``accepted``, ``rejected`` or ``returned``; ``reason_id``
        an id from this organisation's :class:`ReceivingPolicy` reasons (required
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
                updated = self._give(w, self._get(w, delivery_id), wanted, reason_id)
                w.uow.commit()
                return updated

        return retry_on_conflict(run, ATTEMPTS)

    @_reason_renamed
    def accept(self, delivery_id: str, *, reason_id: str | None = None) -> Delivery:
        """Accept a received lead (see :meth:`feedback`)."""
        return self.feedback(delivery_id, DeliveryState.ACCEPTED, reason_id)

    @_reason_renamed
    def reject(self, delivery_id: str, reason_id: str) -> Delivery:
        """Reject a received lead with a reason (see :meth:`feedback`)."""
        return self.feedback(delivery_id, DeliveryState.REJECTED, reason_id)

    @_reason_renamed
    def return_lead(self, delivery_id: str, reason_id: str) -> Delivery:
        """Return a received lead with a reason, within the return window (see :meth:`feedback`)."""
        return self.feedback(delivery_id, DeliveryState.RETURNED, reason_id)

    @_reason_renamed
    def pass_back(self, delivery_id: str, *, reason_id: str | None = None) -> Delivery:
        """Pass a return upstream: return to the supplier the lead a partner returned to us.

        ``delivery_id`` is this organisation's outgoing delivery that its
        receiver returned; the lead's incoming delivery is returned to the
        organisation it came from, with ``reason_id`` (default: the same
        reason id, which must be on this organisation's list too). The supplier's
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
                wanted = reason_id or out.reason_id
                updated = self._give(w, incoming, DeliveryState.RETURNED, wanted)
                w.uow.commit()
                return updated

        return retry_on_conflict(run, ATTEMPTS)

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
