"""Agent filters: which leads an agent works on, as structured data (never raw SQL).

A filter states its criteria once, as :class:`Criterion` values (an
attribute of :class:`~leadcore.dispatch.Candidate`, an operator, a value)
and :class:`AnyOf` groups of them: the filter checks a lead by evaluating
them, and a storage adapter compiles the same values into its own query
language (the SQL adapter into conditions on its dispatch queue), leaving to
the Python check the criteria it cannot compile.
"""

from __future__ import annotations

import enum
import functools
import math
import operator
from collections.abc import Callable, Collection, Iterable, Mapping
from datetime import datetime
from typing import Any, TypeAlias

import attrs

from leadcore._limits import datetime_problem, shown
from leadcore.dispatch._candidate import Candidate, FilterValue
from leadcore.dispatch._plain import from_plain, to_plain
from leadcore.errors import ValidationError
from leadcore.workflow import Category, Workflow

__all__ = [
    "AgentFilter",
    "AnyOf",
    "Criterion",
    "FieldEquals",
    "FieldIn",
    "FieldRange",
    "Op",
    "validate_filter",
]

MAX_ATTEMPTS = 1_000_000
"""The largest ``min_attempts`` / ``max_attempts`` a filter accepts."""


def _kind(value: object) -> str | None:
    # bool before int: True == 1 in Python, but a yes/no field never equals a count.
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "text"
    return None


def _same(a: object, b: object) -> bool:
    kind = _kind(a)
    return kind is not None and kind == _kind(b) and a == b


def _value_problems(where: str, value: object) -> list[str]:
    if _kind(value) is None:
        return [f"{where}: must be text, a number or true/false, got {value!r}"]
    if isinstance(value, float) and math.isnan(value):
        return [f"{where}: NaN never equals anything"]
    return []


@attrs.frozen
class FieldEquals:
    """Custom field ``field`` equals ``value``: text, a number or true/false.

    Values of different kinds never match: ``1`` does not equal ``True``.
    """

    field: str
    value: FilterValue

    def matches(self, fields: dict[str, FilterValue]) -> bool:
        """Whether a lead with these custom fields matches."""
        return self.field in fields and _same(fields[self.field], self.value)


def _values(value: Iterable[FilterValue]) -> tuple[FilterValue, ...]:
    return tuple(value)


@attrs.frozen
class FieldIn:
    """Custom field ``field`` equals one of ``values``."""

    field: str
    values: tuple[FilterValue, ...] = attrs.field(converter=_values)

    def matches(self, fields: dict[str, FilterValue]) -> bool:
        """Whether a lead with these custom fields matches."""
        if self.field not in fields:
            return False
        actual = fields[self.field]
        return any(_same(actual, v) for v in self.values)


@attrs.frozen
class FieldRange:
    """Custom field ``field`` lies between ``low`` and ``high``, both inclusive, either open.

    Numbers compare with numbers and text with text; a lead whose field
    holds another kind of value does not match.
    """

    field: str
    low: FilterValue | None = None
    high: FilterValue | None = None

    def matches(self, fields: dict[str, FilterValue]) -> bool:
        """Whether a lead with these custom fields matches."""
        if self.field not in fields:
            return False
        actual = fields[self.field]
        bound = self.low if self.low is not None else self.high
        if _kind(actual) != _kind(bound):
            return False
        if self.low is not None and actual < self.low:  # type: ignore[operator]
            return False
        return self.high is None or actual <= self.high  # type: ignore[operator]


class Op(enum.Enum):
    """How a :class:`Criterion` compares a lead's attribute with its value."""

    IN = "in"
    """The attribute is one of the values (a set)."""
    IS_NONE = "is_none"
    """The attribute is ``None`` (no value)."""
    AT_LEAST = "ge"
    """The attribute is at least the value."""
    BELOW = "lt"
    """The attribute is less than the value."""
    AT_MOST = "le"
    """The attribute is at most the value."""
    MATCHES = "matches"
    """The attribute (the custom fields) passes the value, a custom-field condition."""


_TESTS: dict[Op, Callable[[Any, Any], bool]] = {
    Op.IN: lambda actual, value: actual in value,
    Op.IS_NONE: lambda actual, value: actual is None,
    Op.AT_LEAST: operator.ge,
    Op.BELOW: operator.lt,
    Op.AT_MOST: operator.le,
    Op.MATCHES: lambda actual, value: bool(value.matches(actual)),
}


@attrs.frozen
class Criterion:
    """One test of a lead: its attribute ``field``, compared by ``op`` with ``value``.

    ``field`` names an attribute of :class:`~leadcore.dispatch.Candidate`
    (``status_id``, ``category``, ``source``, ``created_at``, ``attempts``,
    ``custom_fields``).
    """

    field: str
    op: Op
    value: Any = None

    def holds(self, actual: object) -> bool:
        """Whether a lead whose attribute is ``actual`` passes."""
        return _TESTS[self.op](actual, self.value)

    def check(self, value_of: Callable[[str], object]) -> bool:
        """Whether a lead passes, ``value_of`` giving its attribute of a name."""
        return self.holds(value_of(self.field))


@attrs.frozen
class AnyOf:
    """Holds when one of ``criteria`` does."""

    criteria: tuple[Criterion, ...]

    def check(self, value_of: Callable[[str], object]) -> bool:
        """Whether a lead passes, ``value_of`` giving its attribute of a name."""
        return any(c.check(value_of) for c in self.criteria)


Criteria: TypeAlias = tuple[Criterion | AnyOf, ...]
"""Criteria that must all hold."""


def _all_hold(criteria: Criteria, value_of: Callable[[str], object]) -> bool:
    return all(c.check(value_of) for c in criteria)


def _str_set(value: Iterable[str]) -> frozenset[str]:
    if isinstance(value, str):
        # A lone string would otherwise become a set of its letters.
        return frozenset((value,))
    return frozenset(value)


def _categories(value: Iterable[Category | str]) -> frozenset[Category]:
    out: set[Category] = set()
    for item in (value,) if isinstance(value, str) else value:
        try:
            out.add(Category(item))
        except ValueError:
            out.add(item)  # type: ignore[arg-type]  # reported by validation
    return frozenset(out)


def _equals(value: Iterable[FieldEquals]) -> tuple[FieldEquals, ...]:
    return tuple(value)


def _ins(value: Iterable[FieldIn]) -> tuple[FieldIn, ...]:
    return tuple(value)


def _ranges(value: Iterable[FieldRange]) -> tuple[FieldRange, ...]:
    return tuple(value)


@attrs.frozen
class AgentFilter:
    """Which leads one agent works on; every criterion given must hold.

    - Status: ``statuses``, ``no_status`` and ``categories`` together name
      the statuses the agent works on. A lead matches when it has no status
      and ``no_status`` is set, or its status is listed, or its status's
      category is listed. With all three empty, any status matches.
    - ``sources``: the lead's source is one of these.
    - ``field_equals``, ``field_in``, ``field_ranges``: conditions on custom
      fields; a lead without the field does not match.
    - ``created_from`` (inclusive) and ``created_before`` (exclusive).
    - ``min_attempts`` and ``max_attempts``, both inclusive.

    The criteria are stated once, in :attr:`criteria`: the filter checks a
    lead with them, and a storage compiles them into its queries (each one a
    SQL predicate: ``IN``, ``IS NULL``, comparisons, joined with ``AND``;
    the status criterion is one ``OR`` of three). The filter checks itself
    when built; check it
    against a workflow and the known custom fields with
    :func:`validate_filter`.

    >>> from datetime import datetime, timezone
    >>> from leadcore.dispatch import Candidate
    >>> f = AgentFilter(statuses={"callback"}, no_status=True, sources={"facebook"})
    >>> lead = Candidate(lead_id="l1", pool_id="p", source="facebook",
    ...                  created_at=datetime(2026, 1, 1, tzinfo=timezone.utc))
    >>> f.matches(lead)
    True
    """

    statuses: frozenset[str] = attrs.field(factory=frozenset, converter=_str_set)
    no_status: bool = False
    categories: frozenset[Category] = attrs.field(factory=frozenset, converter=_categories)
    sources: frozenset[str] = attrs.field(factory=frozenset, converter=_str_set)
    field_equals: tuple[FieldEquals, ...] = attrs.field(default=(), converter=_equals)
    field_in: tuple[FieldIn, ...] = attrs.field(default=(), converter=_ins)
    field_ranges: tuple[FieldRange, ...] = attrs.field(default=(), converter=_ranges)
    created_from: datetime | None = None
    created_before: datetime | None = None
    min_attempts: int | None = None
    max_attempts: int | None = None

    def __attrs_post_init__(self) -> None:
        problems = _shape_problems(self)
        if problems:
            raise ValidationError("agent filter is invalid", problems)

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> AgentFilter:
        """Build from plain data as :meth:`to_dict` gives it; unknown names and bad values raise.

        Raises :class:`~leadcore.errors.ValidationError` listing every problem.
        """
        return from_plain(cls, data, "agent filter is invalid")

    def to_dict(self) -> dict[str, object]:
        """The record as plain data (lists, strings, numbers), for JSON or TOML."""
        return to_plain(self)

    # -- the criteria, stated once ---------------------------------------------------

    @property
    def criteria(self) -> Criteria:
        """Every criterion of the filter; a lead passes when all of them hold.

        >>> AgentFilter(sources={"facebook"}, max_attempts=3).criteria
        (Criterion(field='source', op=<Op.IN: 'in'>, value=frozenset({'facebook'})), \
Criterion(field='attempts', op=<Op.AT_MOST: 'le'>, value=3))
        """
        return self._status_criteria + self._source_criteria + self._residual_criteria

    @functools.cached_property
    def _status_criteria(self) -> Criteria:
        if not self.selects_statuses:
            return ()
        either = []
        if self.statuses:
            either.append(Criterion("status_id", Op.IN, self.statuses))
        if self.categories:
            either.append(Criterion("category", Op.IN, self.categories))
        if self.no_status:
            either.append(Criterion("status_id", Op.IS_NONE))
        return (AnyOf(tuple(either)),)

    @functools.cached_property
    def _source_criteria(self) -> Criteria:
        return (Criterion("source", Op.IN, self.sources),) if self.sources else ()

    @functools.cached_property
    def _residual_criteria(self) -> Criteria:
        bounds = (
            ("created_at", Op.AT_LEAST, self.created_from),
            ("created_at", Op.BELOW, self.created_before),
            ("attempts", Op.AT_LEAST, self.min_attempts),
            ("attempts", Op.AT_MOST, self.max_attempts),
        )
        out: list[Criterion | AnyOf] = [
            Criterion(field, op, value) for field, op, value in bounds if value is not None
        ]
        out.extend(
            Criterion("custom_fields", Op.MATCHES, c)
            for group in (self.field_equals, self.field_in, self.field_ranges)
            for c in group
        )
        return tuple(out)

    # -- the parts an index can partition by, and the rest -------------------------

    @property
    def selects_statuses(self) -> bool:
        """Whether the filter restricts statuses (``statuses``, ``no_status`` or ``categories``)."""
        return bool(self.statuses or self.no_status or self.categories)

    @property
    def selects_lanes(self) -> bool:
        """Whether the filter restricts the status or the source of a lead."""
        return self.selects_statuses or bool(self.sources)

    @property
    def has_residual(self) -> bool:
        """Whether the filter has criteria beyond status and source (fields, dates, attempts)."""
        return bool(self._residual_criteria)

    def matches_status(self, status_id: str | None, category: Category | None) -> bool:
        """Whether a lead with this status (``None``: no status) and category passes."""
        values = {"status_id": status_id, "category": category}
        return _all_hold(self._status_criteria, values.__getitem__)

    def matches_lane(
        self, status_id: str | None, category: Category | None, source: str | None
    ) -> bool:
        """Whether leads of this status and source pass the status and source criteria."""
        values = {"status_id": status_id, "category": category, "source": source}
        return _all_hold(self._source_criteria, values.__getitem__) and _all_hold(
            self._status_criteria, values.__getitem__
        )

    def matches_residual(self, lead: Candidate) -> bool:
        """Whether the lead passes the custom-field, creation-time and attempts criteria."""
        return _all_hold(self._residual_criteria, functools.partial(getattr, lead))

    def matches(self, lead: Candidate) -> bool:
        """Whether the lead passes every criterion."""
        return _all_hold(self.criteria, functools.partial(getattr, lead))

    @property
    def field_names(self) -> frozenset[str]:
        """Every custom field the filter names."""
        return frozenset(
            c.field
            for group in (self.field_equals, self.field_in, self.field_ranges)
            for c in group
        )


def _aware(value: datetime | None) -> bool:
    return value is None or (
        isinstance(value, datetime) and value.tzinfo is not None and value.utcoffset() is not None
    )


def _shape_problems(f: AgentFilter) -> list[str]:
    problems: list[str] = []
    accepted = ", ".join(c.value for c in Category)
    problems.extend(
        f"categories: unknown category {c!r} (accepted: {accepted})"
        for c in sorted(f.categories, key=str)
        if not isinstance(c, Category)
    )
    if not isinstance(f.no_status, bool):
        problems.append(f"no_status: must be true or false, got {f.no_status!r}")
    for name in ("statuses", "sources"):
        problems.extend(
            f"{name}: must hold non-empty strings, got {item!r}"
            for item in getattr(f, name)
            if not isinstance(item, str) or not item
        )
    for i, eq in enumerate(f.field_equals):
        where = f"field_equals[{i}]"
        problems.extend(_field_name_problems(where, eq.field))
        problems.extend(_value_problems(f"{where}.value", eq.value))
    for i, within in enumerate(f.field_in):
        where = f"field_in[{i}]"
        problems.extend(_field_name_problems(where, within.field))
        if not within.values:
            problems.append(f"{where}.values: must list at least one value")
        for j, v in enumerate(within.values):
            problems.extend(_value_problems(f"{where}.values[{j}]", v))
    for i, rng in enumerate(f.field_ranges):
        problems.extend(_range_problems(f"field_ranges[{i}]", rng))
    for name in ("created_from", "created_before"):
        if not _aware(getattr(f, name)):
            problems.append(f"{name}: must be a timezone-aware datetime or None")
        elif (out := datetime_problem(getattr(f, name), name)) is not None:
            problems.append(out)
    if (
        f.created_from is not None
        and f.created_before is not None
        and _aware(f.created_from)
        and _aware(f.created_before)
        and f.created_from >= f.created_before
    ):
        problems.append(
            f"created_from, created_before: the range is empty "
            f"({f.created_from.isoformat()} is not before {f.created_before.isoformat()})"
        )
    counts_ok = True
    for name in ("min_attempts", "max_attempts"):
        value = getattr(f, name)
        if value is not None and (
            not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_ATTEMPTS
        ):
            problems.append(
                f"{name}: must be a whole number from 0 to {MAX_ATTEMPTS}, or None, "
                f"got {shown(value)}"
            )
            counts_ok = False
    if (
        counts_ok
        and f.min_attempts is not None
        and f.max_attempts is not None
        and f.min_attempts > f.max_attempts
    ):
        problems.append(
            f"min_attempts, max_attempts: the range is empty "
            f"({f.min_attempts} is more than {f.max_attempts})"
        )
    return problems


def _field_name_problems(where: str, name: object) -> list[str]:
    if not isinstance(name, str) or not name:
        return [f"{where}.field: must name a custom field, got {name!r}"]
    return []


def _range_problems(where: str, rng: FieldRange) -> list[str]:
    problems = _field_name_problems(where, rng.field)
    if rng.low is None and rng.high is None:
        return [*problems, f"{where}: give low, high or both"]
    kinds = set()
    for name in ("low", "high"):
        bound = getattr(rng, name)
        if bound is None:
            continue
        kind = _kind(bound)
        if kind not in ("number", "text"):
            problems.append(f"{where}.{name}: a range bound is a number or text, got {bound!r}")
        elif isinstance(bound, float) and math.isnan(bound):
            problems.append(f"{where}.{name}: NaN is not a bound")
        else:
            kinds.add(kind)
    if len(kinds) > 1:
        problems.append(f"{where}: low and high must both be numbers or both text")
    elif (
        not problems and rng.low is not None and rng.high is not None and rng.low > rng.high  # type: ignore[operator]
    ):
        problems.append(f"{where}: the range is empty ({rng.low!r} is more than {rng.high!r})")
    return problems


def validate_filter(
    agent_filter: AgentFilter,
    *,
    workflow: Workflow | None = None,
    fields: Collection[str] | None = None,
    sources: Collection[str] | None = None,
) -> AgentFilter:
    """Check a filter against the project's workflow, custom fields and sources.

    Every status the filter names must be a status of ``workflow``, every
    custom field one of ``fields`` and every source one of ``sources``; a
    check whose reference is ``None`` is skipped. Returns the filter, or
    raises :class:`~leadcore.errors.ValidationError` listing every problem.

    >>> from leadcore.workflow import sample_workflow
    >>> validate_filter(AgentFilter(statuses={"nope"}), workflow=sample_workflow())
    Traceback (most recent call last):
    ...
    leadcore.errors.ValidationError: agent filter does not fit the project (1 problem):
      statuses: unknown status 'nope' (statuses of workflow 'sales': new, no_answer, callback, ...)
    """
    problems: list[str] = []
    if workflow is not None:
        known = workflow.status_ids
        shown = ", ".join(known[:3]) + (", ..." if len(known) > 3 else "")
        problems.extend(
            f"statuses: unknown status {s!r} (statuses of workflow {workflow.id!r}: {shown})"
            for s in sorted(agent_filter.statuses)
            if s not in workflow
        )
    if fields is not None:
        known_fields = ", ".join(sorted(fields)) or "none"
        named: list[tuple[str, str]] = [
            *((f"field_equals[{i}]", c.field) for i, c in enumerate(agent_filter.field_equals)),
            *((f"field_in[{i}]", c.field) for i, c in enumerate(agent_filter.field_in)),
            *((f"field_ranges[{i}]", c.field) for i, c in enumerate(agent_filter.field_ranges)),
        ]
        problems.extend(
            f"{where}.field: unknown custom field {field!r} (custom fields: {known_fields})"
            for where, field in named
            if field not in fields
        )
    if sources is not None:
        known_sources = ", ".join(sorted(sources)) or "none"
        problems.extend(
            f"sources: unknown source {s!r} (sources: {known_sources})"
            for s in sorted(agent_filter.sources)
            if s not in sources
        )
    if problems:
        raise ValidationError("agent filter does not fit the project", problems)
    return agent_filter
