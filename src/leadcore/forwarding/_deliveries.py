"""Deliveries and feedback: each side's record of a lead sent between organisations.

A *delivery* is one lead sent from one organisation to a partner. Each side
keeps its own :class:`Delivery` record (as each keeps its own partnership
record), sharing a ``link_id``: the sender's record names the sender's lead,
the receiver's names the receiver's, and what the sender's record says about
the outcome is only what the receiver's :class:`ReceivingPolicy` lets it see.

>>> [s.value for s in DeliveryState.DELIVERED.feedback_moves()]
['accepted', 'rejected', 'returned']
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from datetime import datetime

import attrs

from leadcore.ids import is_valid_id

__all__ = [
    "DEFAULT_REASONS",
    "DUPLICATE_REASON",
    "FEEDBACK_STATES",
    "INVALID_DATA_REASON",
    "Delivery",
    "DeliveryState",
    "DeliveryTrail",
    "Direction",
    "DuplicateDisclosure",
    "DuplicateHandling",
    "FeedbackReason",
    "ReceivingPolicy",
    "feedback_problems",
]


# -- deliveries ---------------------------------------------------------------------------


class DeliveryState(enum.StrEnum):
    """Where a delivery stands, as one side's record tells it."""

    DELIVERED = "delivered"
    """The receiver got its own lead record; no feedback yet."""
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    RETURNED = "returned"
    DUPLICATE = "duplicate"
    """The receiver already held the lead and took no new record of it."""
    FAILED = "failed"
    """The lead's data did not fit the receiver's fields; nothing was created."""

    def feedback_moves(self) -> tuple[DeliveryState, ...]:
        """The states a receiver's feedback may move a delivery in this state to."""
        return _FEEDBACK_MOVES.get(self, ())


_FEEDBACK_MOVES: Mapping[DeliveryState, tuple[DeliveryState, ...]] = {
    DeliveryState.DELIVERED: (
        DeliveryState.ACCEPTED,
        DeliveryState.REJECTED,
        DeliveryState.RETURNED,
    ),
    # An accepted lead may still turn out bad and be returned (within the return window).
    DeliveryState.ACCEPTED: (DeliveryState.RETURNED,),
}
FEEDBACK_STATES: frozenset[DeliveryState] = frozenset(
    {DeliveryState.ACCEPTED, DeliveryState.REJECTED, DeliveryState.RETURNED}
)


class Direction(enum.StrEnum):
    """Whether this organisation sent the delivery or received it."""

    OUTGOING = "outgoing"
    INCOMING = "incoming"


@attrs.frozen
class Delivery:
    """One organisation's record of a lead sent to (or received from) a partner.

    ``lead_id`` is this organisation's own lead: the one it sent, or the one
    it received (``None`` when the receiver kept no record: a rejected
    duplicate or a failed delivery). ``partner_id`` is the other
    organisation and ``partnership_id`` this organisation's record of that
    partnership. ``state`` and ``reason_id`` / ``reason_label`` are what this
    side may know: the receiver's record holds the whole truth, the sender's
    what the receiver's policy discloses. ``returnable_until`` is the end of
    the return window the sender set (``None``: no limit). ``rule_id`` names
    the routing rule that sent it (sender side); ``duplicate_of`` the
    receiver's own lead that a duplicate matched (receiver side only): the
    original of its duplicate chain, the lead a kept copy's ``duplicate_of``
    would name.
    """

    id: str
    """The id of this side's record."""
    organization_id: str
    """The organisation whose record this is."""
    link_id: str
    """Shared by the sender's and the receiver's record of the same delivery."""
    direction: Direction = attrs.field(converter=Direction)
    """``outgoing`` for the sender's record, ``incoming`` for the receiver's."""
    partner_id: str
    partnership_id: str
    lead_id: str | None
    state: DeliveryState = attrs.field(converter=DeliveryState)
    delivered_at: datetime
    """When the lead was forwarded."""
    updated_at: datetime
    """When the state last changed."""
    reason_id: str | None = None
    reason_label: str | None = None
    returnable_until: datetime | None = None
    rule_id: str | None = None
    duplicate_of: str | None = None

    @property
    def pending(self) -> bool:
        """Whether the receiver has not given feedback yet."""
        return self.state is DeliveryState.DELIVERED


@attrs.frozen
class DeliveryTrail:
    """Where one of this organisation's leads came from and where it went.

    Each organisation of a chain (supplier -> agency -> advertiser) sees its
    own hop: the delivery that brought the lead in, and those that sent it on.
    """

    lead_id: str
    """This organisation's lead."""
    received: Delivery | None
    """The delivery that brought it in, if it came from a partner."""
    sent: tuple[Delivery, ...]
    """The deliveries that sent it on, oldest first."""


# -- what the receiver decides -------------------------------------------------------------


def _states(value: Iterable[DeliveryState | str]) -> frozenset[DeliveryState]:
    return frozenset(DeliveryState(s) for s in value)


@attrs.frozen
class FeedbackReason:
    """One entry of an organisation's own list of feedback reasons.

    ``states`` says which feedback the reason may go with (``accepted``,
    ``rejected``, ``returned``). The sender sees the id and the label.
    """

    id: str
    """The stable id, given with feedback."""
    label: str
    """A label for people."""
    states: frozenset[DeliveryState] = attrs.field(
        default=frozenset({DeliveryState.REJECTED, DeliveryState.RETURNED}),
        converter=_states,
    )


_BAD = frozenset({DeliveryState.REJECTED, DeliveryState.RETURNED})

#: The reasons an organisation starts with.
DEFAULT_REASONS: tuple[FeedbackReason, ...] = (
    FeedbackReason("qualified", "Qualified", {DeliveryState.ACCEPTED}),
    FeedbackReason("duplicate", "Duplicate", _BAD),
    FeedbackReason("wrong_number", "Wrong or disconnected number", _BAD),
    FeedbackReason("invalid_details", "Invalid or fake details", _BAD),
    FeedbackReason("out_of_area", "Outside the service area", _BAD),
    FeedbackReason("not_interested", "Not interested", {DeliveryState.RETURNED}),
    FeedbackReason("other", "Other", FEEDBACK_STATES),
)
DUPLICATE_REASON = "duplicate"
"""The reason id the sender sees on a duplicate disclosed as a rejection."""
INVALID_DATA_REASON = "invalid_data"
"""The reason id of a failed delivery."""


class DuplicateHandling(enum.StrEnum):
    """What a receiver does with a delivered lead it already holds."""

    REJECT = "reject"
    """Take no new record; the delivery ends as a duplicate."""
    KEEP = "keep"
    """Take the lead, flagged as a duplicate of the earlier one (as intake does)."""


class DuplicateDisclosure(enum.StrEnum):
    """What the sender is told about a rejected duplicate."""

    DUPLICATE = "duplicate"
    """State ``duplicate``."""
    REJECTED = "rejected"
    """State ``rejected`` with the reason ``duplicate``."""
    UNEXPLAINED = "unexplained"
    """State ``rejected``, no reason."""


def _reasons(value: Iterable[FeedbackReason]) -> tuple[FeedbackReason, ...]:
    return tuple(value)


@attrs.frozen
class ReceivingPolicy:
    """How an organisation takes leads from its suppliers, and its own feedback reasons.

    Duplicates are detected with the receiver's own
    :class:`~leadcore.leads.LeadSettings`, against the receiver's leads only.
    """

    duplicates: DuplicateHandling = attrs.field(
        default=DuplicateHandling.REJECT, converter=DuplicateHandling
    )
    """Whether a duplicate delivery is refused or kept (flagged)."""
    disclosure: DuplicateDisclosure = attrs.field(
        default=DuplicateDisclosure.DUPLICATE, converter=DuplicateDisclosure
    )
    """What the sender is told about a duplicate."""
    reasons: tuple[FeedbackReason, ...] = attrs.field(default=DEFAULT_REASONS, converter=_reasons)
    """The organisation's own list of feedback reasons."""

    def reason(self, reason_id: str) -> FeedbackReason | None:
        """The reason with this id, or ``None``."""
        return next((r for r in self.reasons if r.id == reason_id), None)

    def problems(self) -> list[str]:
        """Every problem with this policy (empty when valid)."""
        out: list[str] = []
        seen: set[str] = set()
        for i, r in enumerate(self.reasons):
            if not is_valid_id(r.id):
                out.append(f"reasons[{i}].id: {r.id!r} must match [a-z0-9_-]{{1,64}}")
            elif r.id in seen:
                out.append(f"reasons[{i}].id: {r.id!r} is listed twice")
            seen.add(r.id)
            if not isinstance(r.label, str) or not r.label.strip():
                out.append(f"reasons[{i}].label: must not be blank")
            if not r.states or not r.states <= FEEDBACK_STATES:
                out.append(f"reasons[{i}].states: must name some of accepted, rejected, returned")
        return out

    def disclose_duplicate(self) -> tuple[DeliveryState, str | None, str | None]:
        """What the sender's record says of a rejected duplicate: state, reason id and label."""
        if self.disclosure is DuplicateDisclosure.DUPLICATE:
            return DeliveryState.DUPLICATE, None, None
        if self.disclosure is DuplicateDisclosure.UNEXPLAINED:
            return DeliveryState.REJECTED, None, None
        own = self.reason(DUPLICATE_REASON)
        return DeliveryState.REJECTED, DUPLICATE_REASON, own.label if own else "Duplicate"


def feedback_problems(
    delivery: Delivery,
    state: DeliveryState,
    reason_id: str | None,
    policy: ReceivingPolicy,
    now: datetime,
) -> list[str]:
    """Every reason why a receiver may not give this feedback now (empty: it may)."""
    problems: list[str] = []
    if delivery.direction is not Direction.INCOMING:
        problems.append(
            f"delivery {delivery.id!r}: this organisation sent it; feedback comes from the receiver"
        )
        return problems
    moves = delivery.state.feedback_moves()
    if state not in moves:
        accepted = ", ".join(m.value for m in moves) or "nothing (the delivery is closed)"
        problems.append(
            f"state: a {delivery.state.value} delivery cannot become {state.value}; "
            f"it may become: {accepted}"
        )
    if reason_id is None:
        if state is not DeliveryState.ACCEPTED:
            problems.append(f"reason: a {state.value} delivery needs a reason from your list")
    else:
        reason = policy.reason(reason_id)
        if reason is None:
            known = ", ".join(r.id for r in policy.reasons) or "none are defined"
            problems.append(f"reason: {reason_id!r} is not one of your reasons ({known})")
        elif state not in reason.states:
            problems.append(f"reason: {reason_id!r} does not apply to {state.value} deliveries")
    if (
        state is DeliveryState.RETURNED
        and delivery.returnable_until is not None
        and now > delivery.returnable_until
    ):
        problems.append(
            f"state: the return window of delivery {delivery.id!r} ended at "
            f"{delivery.returnable_until.isoformat()}"
        )
    return problems
