"""Routing rules and caps: where a kind of lead goes, and how many each target may take."""

from __future__ import annotations

import enum
import re
import zoneinfo
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from fractions import Fraction
from typing import TypeAlias

import attrs

from leadcore._caps import CapPeriod
from leadcore._limits import whole_problem
from leadcore.forwarding._deliveries import Delivery
from leadcore.ids import is_valid_id
from leadcore.leads._model import FieldValue, Lead

__all__ = [
    "CapPeriod",
    "CapUsage",
    "Caps",
    "Condition",
    "ConditionOp",
    "ConditionValue",
    "RoutingOutcome",
    "RoutingRule",
    "Strategy",
    "Target",
    "TargetKind",
    "order_targets",
    "period_key",
    "rotate",
]


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
