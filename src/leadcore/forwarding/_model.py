"""Leads flowing between organisations: deliveries, feedback, field mappings and routing rules.

Pure records and rules; the use cases live in :mod:`leadcore.services.forwarding`.

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
import re
import zoneinfo
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from fractions import Fraction
from types import MappingProxyType
from typing import Literal, TypeAlias

import attrs

from leadcore._limits import duration_problem, whole_problem
from leadcore.ids import is_valid_id
from leadcore.leads._model import FieldValue, Lead
from leadcore.serde import converter

__all__ = [
    "DEFAULT_REASONS",
    "STANDARD_FIELDS",
    "CapPeriod",
    "CapUsage",
    "Caps",
    "Condition",
    "ConditionOp",
    "Delivery",
    "DeliveryReportRow",
    "DeliveryState",
    "DeliveryTrail",
    "Direction",
    "DuplicateDisclosure",
    "DuplicateHandling",
    "FeedbackReason",
    "FieldMapping",
    "LeadCopy",
    "PartnerTerms",
    "ReceivingPolicy",
    "ReportPeriod",
    "RoutingOutcome",
    "RoutingRule",
    "Strategy",
    "Target",
    "TargetKind",
    "delivery_report",
    "feedback_problems",
    "order_targets",
    "period_key",
    "rotate",
]


def _frozen_set(value: Iterable[str]) -> frozenset[str]:
    return frozenset(value)


def _readonly(value: Mapping[str, str]) -> Mapping[str, str]:
    # Read-only: the memory store hands out the very record it keeps.
    return MappingProxyType(dict(value))


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
    receiver's own earlier lead a duplicate matched (receiver side only).
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


# -- what the sender decides ----------------------------------------------------------------

#: The lead fields a field mapping may pass on (custom fields are mapped by key).
STANDARD_FIELDS: tuple[str, ...] = ("name", "phones", "emails", "channel")


@attrs.frozen
class LeadCopy:
    """The data of a lead as a partner receives it."""

    name: str
    """The lead's name."""
    phones: tuple[str, ...]
    """Its phone numbers, if the mapping passes them."""
    emails: tuple[str, ...]
    """Its e-mail addresses, if the mapping passes them."""
    channel: str | None
    """Its channel, if the mapping passes it."""
    fields: Mapping[str, FieldValue]
    """The custom fields passed on, under the receiver's keys."""


@attrs.frozen
class FieldMapping:
    """Which of a lead's fields a partner receives.

    ``standard`` names the standard fields passed on (``name`` always is;
    ``phones``, ``emails``, ``channel`` may be left out). ``custom`` maps the
    sender's custom field keys to the receiver's. Notes, history, tasks,
    statuses, assignees and projects are never passed on.

    >>> from datetime import UTC
    >>> t = datetime(2026, 1, 1, tzinfo=UTC)
    >>> lead = Lead("l1", "o1", "Dana", t, t, phones=["+972501234567"], emails=["d@x.io"])
    >>> copy = FieldMapping(standard={"name", "phones"}).copy(lead)
    >>> copy.phones, copy.emails
    (('+972501234567',), ())
    """

    standard: frozenset[str] = attrs.field(
        default=frozenset(STANDARD_FIELDS), converter=_frozen_set
    )
    custom: Mapping[str, str] = attrs.field(factory=dict, converter=_readonly)

    def problems(self, path: str = "mapping") -> list[str]:
        """Every problem with this mapping (empty when valid)."""
        out: list[str] = []
        unknown = sorted(self.standard - set(STANDARD_FIELDS))
        if unknown:
            out.append(
                f"{path}.standard: {unknown} are not lead fields; "
                f"accepted: {', '.join(STANDARD_FIELDS)} (map custom fields in custom)"
            )
        if "name" not in self.standard:
            out.append(f"{path}.standard: must include 'name' (a lead always has one)")
        targets: set[str] = set()
        for source, target in self.custom.items():
            for key in (source, target):
                if not isinstance(key, str) or not re.fullmatch(r"[a-z][a-z0-9_]{0,63}", key):
                    out.append(f"{path}.custom[{source!r}]: {key!r} is not a custom field key")
            if target in targets:
                out.append(f"{path}.custom[{source!r}]: {target!r} is the target of two fields")
            targets.add(target)
        return out

    def copy(self, lead: Lead) -> LeadCopy:
        """The data ``lead`` passes on under this mapping."""
        return LeadCopy(
            name=lead.name,
            phones=lead.phones if "phones" in self.standard else (),
            emails=lead.emails if "emails" in self.standard else (),
            channel=lead.source.channel if "channel" in self.standard else None,
            fields={
                target: lead.fields[source]
                for source, target in self.custom.items()
                if lead.fields.get(source) is not None
            },
        )


@attrs.frozen
class PartnerTerms:
    """What the sender sets for one partner it sends leads to.

    ``mapping`` is what the partner receives; ``return_window`` how long after
    delivery the partner may return a lead (``None``: no limit).
    """

    mapping: FieldMapping = attrs.field(factory=FieldMapping)
    return_window: timedelta | None = None

    def problems(self) -> list[str]:
        """Every problem with these terms (empty when valid)."""
        out = self.mapping.problems()
        if self.return_window is not None and self.return_window <= timedelta(0):
            out.append("return_window: must be positive, or None for no limit")
        elif (too_long := duration_problem(self.return_window, "return_window")) is not None:
            out.append(too_long)
        return out

    def returnable_until(self, delivered_at: datetime) -> datetime | None:
        """The end of the return window of a lead delivered at ``delivered_at``."""
        return None if self.return_window is None else delivered_at + self.return_window


# -- routing rules ----------------------------------------------------------------------------


class TargetKind(enum.StrEnum):
    """Whether a rule routes to the organisation's own users or to partner organisations."""

    USERS = "users"
    PARTNERS = "partners"


class Strategy(enum.StrEnum):
    """How a rule picks among its targets."""

    ROUND_ROBIN = "round_robin"
    """In turn (users or partners)."""
    WEIGHTED = "weighted"
    """In proportion to the targets' weights, spread evenly (users or partners)."""
    BY_LOAD = "by_load"
    """The user with the fewest open leads per unit of weight (users only)."""
    CASCADE = "cascade"
    """The first target in order that takes the lead (partners only)."""


_MAX_WEIGHT = 1_000_000
"""The largest share a routing target may have."""
_MAX_CAP = 1_000_000
"""The largest cap a routing target may have, per hour, day or month."""

_STRATEGIES: Mapping[TargetKind, frozenset[Strategy]] = {
    TargetKind.USERS: frozenset({Strategy.ROUND_ROBIN, Strategy.WEIGHTED, Strategy.BY_LOAD}),
    TargetKind.PARTNERS: frozenset({Strategy.ROUND_ROBIN, Strategy.WEIGHTED, Strategy.CASCADE}),
}


class CapPeriod(enum.StrEnum):
    """The period a cap counts over, in the recipient's time zone."""

    HOUR = "hour"
    DAY = "day"
    MONTH = "month"


def period_key(period: CapPeriod, now: datetime, timezone: str) -> str:
    """The calendar period containing ``now`` in ``timezone``, as a stable key.

    An hour key carries the UTC offset, so the repeated hour when clocks go
    back counts apart from the first.

    >>> from datetime import UTC
    >>> period_key(CapPeriod.DAY, datetime(2026, 3, 1, 23, 30, tzinfo=UTC), "Asia/Jerusalem")
    '2026-03-02'
    """
    local = now.astimezone(zoneinfo.ZoneInfo(timezone))
    if period is CapPeriod.MONTH:
        return f"{local:%Y-%m}"
    if period is CapPeriod.DAY:
        return f"{local:%Y-%m-%d}"
    return f"{local:%Y-%m-%dT%H%z}"


@attrs.frozen
class Caps:
    """The most leads a rule may send one target per hour, day and month (``None``: no cap)."""

    per_hour: int | None = None
    """At most this many leads per hour."""
    per_day: int | None = None
    """Per day."""
    per_month: int | None = None
    """Per month."""

    def limits(self) -> list[tuple[CapPeriod, int]]:
        """The caps that are set, by period."""
        pairs = (
            (CapPeriod.HOUR, self.per_hour),
            (CapPeriod.DAY, self.per_day),
            (CapPeriod.MONTH, self.per_month),
        )
        return [(p, n) for p, n in pairs if n is not None]


@attrs.frozen
class Target:
    """A user (by user id) or a partner organisation (by organisation id) a rule routes to."""

    id: str
    """The user id or the partner organisation id."""
    weight: int = 1
    """The target's share under the weighted and load strategies."""
    caps: Caps = attrs.field(factory=Caps)
    """The target's caps, counted in the recipient's time zone."""


class ConditionOp(enum.StrEnum):
    """How a condition compares a lead field with its value."""

    EQ = "eq"
    NE = "ne"
    IN = "in"
    NOT_IN = "not_in"
    CONTAINS = "contains"
    STARTS_WITH = "starts_with"
    GT = "gt"
    GE = "ge"
    LT = "lt"
    LE = "le"
    PRESENT = "present"
    ABSENT = "absent"


#: A condition's value: one field value, or several for ``in`` / ``not_in``.
ConditionValue: TypeAlias = FieldValue | tuple[FieldValue, ...]
_CONDITION_FIELDS = ("name", "phone", "email", "channel", "supplier_id", "project_id", "pool_id")
_ORDERED = {ConditionOp.GT, ConditionOp.GE, ConditionOp.LT, ConditionOp.LE}
_TEXT_OPS = {ConditionOp.CONTAINS, ConditionOp.STARTS_WITH}


def _condition_value(value: ConditionValue | list[FieldValue]) -> ConditionValue:
    return tuple(value) if isinstance(value, list) else value


def _fold(value: FieldValue) -> FieldValue:
    return value.casefold() if isinstance(value, str) else value


def _compare(op: ConditionOp, left: FieldValue, right: FieldValue) -> bool:
    numbers = (int, float)
    if isinstance(left, bool) or isinstance(right, bool):
        comparable = False
    elif isinstance(left, numbers) and isinstance(right, numbers):
        comparable = True
    else:
        comparable = type(left) is type(right) and isinstance(left, str | date)
    if not comparable:
        return False
    a, b = _fold(left), _fold(right)
    if op is ConditionOp.GT:
        return a > b  # type: ignore[operator]
    if op is ConditionOp.GE:
        return a >= b  # type: ignore[operator]
    if op is ConditionOp.LT:
        return a < b  # type: ignore[operator]
    return a <= b  # type: ignore[operator]


@attrs.frozen
class Condition:
    """A test on one lead field; text compares without regard to case.

    ``field`` is ``name``, ``phone`` (any of the lead's numbers), ``email``,
    ``channel``, ``supplier_id``, ``project_id``, ``pool_id`` or
    ``fields.<key>`` for a custom field.

    >>> from datetime import UTC
    >>> t = datetime(2026, 1, 1, tzinfo=UTC)
    >>> Condition("phone", "starts_with", "+97250").matches(
    ...     Lead("l1", "o1", "Dana", t, t, phones=["+972501234567"]))
    True
    """

    field: str
    """The lead field tested (see above)."""
    op: ConditionOp = attrs.field(converter=ConditionOp)
    """How it is compared."""
    value: ConditionValue = attrs.field(default=None, converter=_condition_value)
    """What it is compared with (none for ``present`` and ``absent``)."""

    def problems(self, path: str) -> list[str]:
        """Every problem with this condition (empty when valid)."""
        out: list[str] = []
        custom = self.field.startswith("fields.") and re.fullmatch(
            r"[a-z][a-z0-9_]{0,63}", self.field[len("fields.") :]
        )
        if self.field not in _CONDITION_FIELDS and not custom:
            out.append(
                f"{path}.field: {self.field!r} is not a lead field; accepted: "
                f"{', '.join(_CONDITION_FIELDS)} or fields.<custom key>"
            )
        many = self.op in {ConditionOp.IN, ConditionOp.NOT_IN}
        if many and not isinstance(self.value, tuple):
            out.append(f"{path}.value: {self.op.value} needs a list of values")
        if self.op in {ConditionOp.PRESENT, ConditionOp.ABSENT} and self.value is not None:
            out.append(f"{path}.value: {self.op.value} takes no value")
        if not many and isinstance(self.value, tuple):
            out.append(f"{path}.value: {self.op.value} takes one value, not a list")
        if self.op in _TEXT_OPS and not isinstance(self.value, str):
            out.append(f"{path}.value: {self.op.value} needs text")
        return out

    def _values(self, lead: Lead) -> list[FieldValue]:
        f = self.field
        if f == "phone":
            return list(lead.phones)
        if f == "email":
            return list(lead.emails)
        if f.startswith("fields."):
            return [lead.fields.get(f[len("fields.") :])]
        single: dict[str, FieldValue] = {
            "name": lead.name,
            "channel": lead.source.channel,
            "supplier_id": lead.source.supplier_id,
            "project_id": lead.project_id,
            "pool_id": lead.pool_id,
        }
        return [single.get(f)]

    def matches(self, lead: Lead) -> bool:
        """Whether ``lead`` passes this condition."""
        values = [v for v in self._values(lead) if v is not None and v != ""]
        op = self.op
        if op is ConditionOp.PRESENT:
            return bool(values)
        if op is ConditionOp.ABSENT:
            return not values
        if op is ConditionOp.NE:
            return all(_fold(v) != _fold(self.value) for v in values)  # type: ignore[arg-type]
        if op is ConditionOp.NOT_IN:
            wanted = {_fold(w) for w in self.value or ()}  # type: ignore[union-attr]
            return all(_fold(v) not in wanted for v in values)
        for v in values:
            if op is ConditionOp.EQ and _fold(v) == _fold(self.value):  # type: ignore[arg-type]
                return True
            if op is ConditionOp.IN and _fold(v) in {_fold(w) for w in self.value or ()}:  # type: ignore[union-attr]
                return True
            if op in _TEXT_OPS and isinstance(v, str) and isinstance(self.value, str):
                a, b = v.casefold(), self.value.casefold()
                if (b in a) if op is ConditionOp.CONTAINS else a.startswith(b):
                    return True
            if op in _ORDERED and _compare(op, v, self.value):  # type: ignore[arg-type]
                return True
        return False


def _optional_ids(value: Iterable[str] | None) -> frozenset[str] | None:
    return None if value is None else frozenset(value)


def _optional_statuses(value: Iterable[str | None] | None) -> frozenset[str | None] | None:
    return None if value is None else frozenset(value)


def _targets(value: Iterable[Target]) -> tuple[Target, ...]:
    return tuple(value)


def _conditions(value: Iterable[Condition]) -> tuple[Condition, ...]:
    return tuple(value)


@attrs.frozen
class RoutingRule:
    """Where a kind of lead goes: conditions, targets, a strategy, caps and switches.

    A lead matches when its status is in ``statuses`` (``None`` in the set:
    no status yet, i.e. new), its channel in ``channels``, its supplier in
    ``supplier_ids`` (each ``None``: any) and every condition holds. Leads
    flagged as duplicates or on the do-not-call list are routed only when
    ``allow_duplicates`` / ``allow_do_not_call`` say so. ``to`` says whether
    the targets are users of the organisation or partner organisations.

    >>> rule = RoutingRule("new-web", "New web leads", to="users",
    ...                    targets=[Target("user-1"), Target("user-2")],
    ...                    statuses={None}, channels={"web"})
    >>> from datetime import UTC
    >>> t = datetime(2026, 1, 1, tzinfo=UTC)
    >>> rule.refusal(Lead("l1", "o1", "Dana", t, t, status_id="contacted"))
    "status 'contacted' is not one of the rule's"
    """

    id: str
    """The rule's id."""
    name: str
    """A label for people."""
    to: TargetKind = attrs.field(converter=TargetKind)
    targets: tuple[Target, ...] = attrs.field(converter=_targets)
    """The users or partner organisations the rule routes to."""
    strategy: Strategy = attrs.field(default=Strategy.ROUND_ROBIN, converter=Strategy)
    """How a target is chosen: cascade, round-robin, weighted or by load."""
    statuses: frozenset[str | None] | None = attrs.field(default=None, converter=_optional_statuses)
    channels: frozenset[str] | None = attrs.field(default=None, converter=_optional_ids)
    supplier_ids: frozenset[str] | None = attrs.field(default=None, converter=_optional_ids)
    conditions: tuple[Condition, ...] = attrs.field(default=(), converter=_conditions)
    """Tests on lead fields that must all hold."""
    allow_duplicates: bool = False
    allow_do_not_call: bool = False
    active: bool = True
    """An inactive rule is skipped."""

    def problems(self, path: str = "rule") -> list[str]:
        """Every problem with this rule that needs no stored data (empty when valid)."""
        out: list[str] = []
        if not is_valid_id(self.id):
            out.append(f"{path}.id: {self.id!r} must match [a-z0-9_-]{{1,64}}")
        if not isinstance(self.name, str) or not self.name.strip():
            out.append(f"{path}.name: must not be blank")
        allowed = _STRATEGIES[self.to]
        if self.strategy not in allowed:
            names = ", ".join(sorted(s.value for s in allowed))
            out.append(
                f"{path}.strategy: {self.strategy.value!r} does not route to {self.to.value}; "
                f"accepted: {names}"
            )
        if not self.targets:
            out.append(f"{path}.targets: a rule needs at least one target")
        seen: set[str] = set()
        for i, t in enumerate(self.targets):
            where = f"{path}.targets[{i}]"
            if t.id in seen:
                out.append(f"{where}.id: {t.id!r} is listed twice")
            seen.add(t.id)
            out.extend(
                p
                for p in (
                    whole_problem(
                        t.weight, f"{where}.weight", minimum=1, maximum=_MAX_WEIGHT, unit="shares"
                    ),
                    *(
                        whole_problem(
                            limit,
                            f"{where}.caps.per_{period.value}",
                            minimum=0,
                            maximum=_MAX_CAP,
                            unit="leads",
                        )
                        for period, limit in t.caps.limits()
                    ),
                )
                if p is not None
            )
        for i, c in enumerate(self.conditions):
            out.extend(c.problems(f"{path}.conditions[{i}]"))
        return out

    def refusal(self, lead: Lead) -> str | None:
        """Why ``lead`` does not match this rule, or ``None`` when it does."""
        if not self.active:
            return "the rule is inactive"
        if lead.converted:
            return "the lead is converted"
        if self.statuses is not None and lead.status_id not in self.statuses:
            if lead.status_id is None:
                return "the lead has no status yet, and the rule asks for statuses"
            return f"status {lead.status_id!r} is not one of the rule's"
        if self.channels is not None and lead.source.channel not in self.channels:
            return f"channel {lead.source.channel!r} is not one of the rule's"
        if self.supplier_ids is not None and lead.source.supplier_id not in self.supplier_ids:
            return f"supplier {lead.source.supplier_id!r} is not one of the rule's"
        for i, c in enumerate(self.conditions):
            if not c.matches(lead):
                return f"conditions[{i}] ({c.field} {c.op.value} {c.value!r}) does not hold"
        if lead.duplicate_of is not None and not self.allow_duplicates:
            return "the lead is a duplicate, and the rule does not route duplicates"
        if lead.do_not_call and not self.allow_do_not_call:
            return "the lead is on the do-not-call list, and the rule does not route those"
        return None

    def matches(self, lead: Lead) -> bool:
        """Whether the rule applies to ``lead``."""
        return self.refusal(lead) is None


def _weight(rule: RoutingRule, target: Target) -> int:
    return 1 if rule.strategy is Strategy.ROUND_ROBIN else target.weight


def order_targets(
    rule: RoutingRule,
    eligible: Sequence[Target],
    rotation: Mapping[str, int],
    loads: Mapping[str, int],
) -> list[Target]:
    """The order in which the rule offers a lead to its eligible targets.

    Round-robin and weighted use smooth weighted rotation (``rotation`` is the
    rule's state, see :func:`rotate`): over any run, each target gets its
    share, spread evenly. By load, the user with the fewest open leads per
    unit of weight comes first; a cascade keeps the listed order. Ties go to
    the target listed first.
    """
    index = {t.id: i for i, t in enumerate(rule.targets)}
    if rule.strategy is Strategy.CASCADE:
        return sorted(eligible, key=lambda t: index[t.id])
    if rule.strategy is Strategy.BY_LOAD:
        return sorted(eligible, key=lambda t: (Fraction(loads.get(t.id, 0), t.weight), index[t.id]))
    return sorted(
        eligible,
        key=lambda t: (-(rotation.get(t.id, 0) + _weight(rule, t)), index[t.id]),
    )


def rotate(
    rule: RoutingRule, eligible: Sequence[Target], rotation: Mapping[str, int], chosen: str
) -> dict[str, int]:
    """The rule's rotation state after ``chosen`` took a lead among ``eligible`` targets."""
    state = dict(rotation)
    if rule.strategy not in {Strategy.ROUND_ROBIN, Strategy.WEIGHTED}:
        return state
    total = 0
    for t in eligible:
        w = _weight(rule, t)
        state[t.id] = state.get(t.id, 0) + w
        total += w
    state[chosen] = state.get(chosen, 0) - total
    return state


@attrs.frozen
class RoutingOutcome:
    """What :meth:`~leadcore.services.forwarding.RoutingService.route` did with one lead.

    ``skipped`` says, in order, why each rule or target before the chosen one
    was passed over.
    """

    lead_id: str
    """The routed lead."""
    rule_id: str | None = None
    """The rule that matched, if any."""
    to: TargetKind | None = None
    """Whether the lead went to ``users`` or ``partners``."""
    target_id: str | None = None
    """The user or the partner organisation it went to."""
    delivery: Delivery | None = None
    """For a partner, this organisation's record of the delivery."""
    skipped: tuple[str, ...] = ()

    @property
    def routed(self) -> bool:
        """Whether the lead went to a user or a partner."""
        return self.target_id is not None


@attrs.frozen
class CapUsage:
    """How much of one cap a target has used in the current period."""

    rule_id: str
    """The routing rule."""
    target_id: str
    """The target of that rule."""
    period: CapPeriod
    """The cap's period: hour, day or month."""
    key: str
    """The period in the recipient's time zone (``2026-03-02``, ``2026-03``...)."""
    used: int
    """How many leads it took so far."""
    limit: int
    """The cap."""


# -- reports ----------------------------------------------------------------------------------

#: How a delivery report groups by time.
ReportPeriod = Literal["day", "week", "month", "all"]


@attrs.frozen
class DeliveryReportRow:
    """One partner and one period of a delivery report, as this organisation sees them.

    ``total`` counts every delivery; ``delivered`` those that reached the
    partner as a lead (of which ``pending`` still await feedback);
    ``duplicates`` and ``failed`` those that did not.
    """

    direction: Direction
    """``outgoing`` (sent to the partner) or ``incoming`` (received)."""
    partner_id: str
    """The partner organisation."""
    partner_name: str
    """Its name."""
    period: date | None
    """The first day of the period in this organisation's time zone (``None`` for ``all``)."""
    total: int
    delivered: int
    pending: int
    accepted: int
    """Deliveries the receiver accepted."""
    duplicates: int
    rejected: int
    """Deliveries it rejected."""
    returned: int
    """Deliveries it returned."""
    failed: int


def _period_start(when: datetime, by: ReportPeriod, timezone: str) -> date | None:
    if by == "all":
        return None
    day = when.astimezone(zoneinfo.ZoneInfo(timezone)).date()
    if by == "week":
        return day - timedelta(days=day.weekday())
    if by == "month":
        return day.replace(day=1)
    return day


_REACHED = frozenset(
    {
        DeliveryState.DELIVERED,
        DeliveryState.ACCEPTED,
        DeliveryState.REJECTED,
        DeliveryState.RETURNED,
    }
)


def delivery_report(
    deliveries: Iterable[Delivery],
    partner_names: Mapping[str, str],
    *,
    by: ReportPeriod,
    timezone: str,
) -> list[DeliveryReportRow]:
    """Count deliveries per direction, partner and period (``timezone``: the reader's).

    Rows come by direction (outgoing first), partner name, partner id, period.
    """
    groups: dict[tuple[Direction, str, date | None], list[Delivery]] = defaultdict(list)
    for d in deliveries:
        groups[(d.direction, d.partner_id, _period_start(d.delivered_at, by, timezone))].append(d)

    def order(key: tuple[Direction, str, date | None]) -> tuple[int, str, str, date]:
        direction, partner, period = key
        first = 0 if direction is Direction.OUTGOING else 1
        return first, partner_names.get(partner, ""), partner, period or date.min

    rows = []
    for key in sorted(groups, key=order):
        direction, partner, period = key
        states = [d.state for d in groups[key]]
        rows.append(
            DeliveryReportRow(
                direction=direction,
                partner_id=partner,
                partner_name=partner_names.get(partner, ""),
                period=period,
                total=len(states),
                delivered=sum(1 for s in states if s in _REACHED),
                pending=states.count(DeliveryState.DELIVERED),
                accepted=states.count(DeliveryState.ACCEPTED),
                duplicates=states.count(DeliveryState.DUPLICATE),
                rejected=states.count(DeliveryState.REJECTED),
                returned=states.count(DeliveryState.RETURNED),
                failed=states.count(DeliveryState.FAILED),
            )
        )
    return rows


def _structure_condition_value(data: object, _: object) -> ConditionValue:
    if isinstance(data, list | tuple):
        return tuple(converter.structure(v, FieldValue) for v in data)  # type: ignore[arg-type]
    return converter.structure(data, FieldValue)  # type: ignore[arg-type]


# The value of a condition is one value or a list of them, a union cattrs cannot pick
# a branch of by itself: rules must round-trip through the converter to be stored.
converter.register_structure_hook_func(
    lambda t: t == ConditionValue,
    _structure_condition_value,
)
