"""A lead list's filters stated once, as terms every adapter reads.

A :class:`~leadcore.leads.LeadQuery` describes its filters as
:class:`LeadTerm` values (a field of the lead, an operator, a value) and
:class:`AnyTerm` groups of them. The memory adapter checks a lead by
evaluating them (:func:`holds`); a SQL adapter compiles the same values into
its ``WHERE`` clause. One description, two readers: a filter cannot be
added to one side and forgotten on the other.

>>> term = LeadTerm(LeadField.CHANNEL, TermOp.EQUALS, "facebook")
>>> term.field.value, term.op.value, term.value
('channel', 'equals', 'facebook')
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import Any, Final, TypeAlias

import attrs

from leadcore.leads._model import Lead

__all__ = ["AnyTerm", "LeadField", "LeadTerm", "TermOp", "holds", "text_matches"]


class LeadField(enum.Enum):
    """The attribute of a lead a :class:`LeadTerm` tests."""

    STATUS_ID = "status_id"
    """The lead's status id (``None`` when it has none)."""
    ASSIGNEE_IDS = "assignee_ids"
    """The users the lead is routed to (a set)."""
    SUPPLIER_ID = "supplier_id"
    """The supplier of the lead's source."""
    CHANNEL = "channel"
    """The channel of the lead's source."""
    PROJECT_ID = "project_id"
    """The lead's project."""
    POOL_ID = "pool_id"
    """The lead's dispatch pool."""
    CREATED_AT = "created_at"
    """When the lead was created."""
    CONVERTED = "converted"
    """Whether the lead was converted."""
    CONTACT = "contact"
    """What the text search reads: the name, e-mails and phones."""


class TermOp(enum.Enum):
    """How a :class:`LeadTerm` compares a lead's attribute with its value."""

    EQUALS = "equals"
    """The attribute equals the value."""
    IN = "in"
    """The attribute is one of the values (a set; ``None`` may be among them)."""
    NOT_IN = "not_in"
    """The attribute is none of the values (a set; ``None`` may be among them)."""
    HAS = "has"
    """The attribute (a set) holds the value."""
    AT_LEAST = "at_least"
    """The attribute is at least the value."""
    BELOW = "below"
    """The attribute is less than the value."""
    SEARCH = "search"
    """The attribute (name, e-mails, phones) contains the text, ignoring case and phone format."""


@attrs.frozen
class LeadTerm:
    """One test of a lead: its attribute ``field``, compared by ``op`` with ``value``."""

    field: LeadField
    """The attribute tested."""
    op: TermOp
    """How it is compared."""
    value: Any
    """What it is compared with."""


@attrs.frozen
class AnyTerm:
    """Holds when one of ``terms`` does (none given: never)."""

    terms: tuple[LeadTerm, ...]
    """The alternatives."""


Terms: TypeAlias = tuple[LeadTerm | AnyTerm, ...]
"""Terms that must all hold."""


def text_matches(text: str, lead: Lead) -> bool:
    """Whether the text search ``text`` finds ``lead`` (blank text finds every lead)."""
    needle = text.strip().casefold()
    if not needle:
        return True
    if needle in lead.name.casefold() or any(needle in e for e in lead.emails):
        return True
    digits = "".join(ch for ch in needle if ch.isdigit())
    # A number typed the local way ("050-...") loses its trunk zero in the stored E.164 form.
    return any(
        len(wanted) >= 3 and any(wanted in p for p in lead.phones)
        for wanted in {digits, digits.lstrip("0")}
    )


_VALUES: Final[dict[LeadField, Callable[[Lead], Any]]] = {
    LeadField.STATUS_ID: lambda lead: lead.status_id,
    LeadField.ASSIGNEE_IDS: lambda lead: lead.assignee_ids,
    LeadField.SUPPLIER_ID: lambda lead: lead.source.supplier_id,
    LeadField.CHANNEL: lambda lead: lead.source.channel,
    LeadField.PROJECT_ID: lambda lead: lead.project_id,
    LeadField.POOL_ID: lambda lead: lead.pool_id,
    LeadField.CREATED_AT: lambda lead: lead.created_at,
    LeadField.CONVERTED: lambda lead: lead.converted,
    LeadField.CONTACT: lambda lead: lead,
}
_TESTS: Final[dict[TermOp, Callable[[Any, Any], bool]]] = {
    TermOp.EQUALS: lambda actual, value: bool(actual == value),
    TermOp.IN: lambda actual, value: actual in value,
    TermOp.NOT_IN: lambda actual, value: actual not in value,
    TermOp.HAS: lambda actual, value: value in actual,
    TermOp.AT_LEAST: lambda actual, value: bool(actual >= value),
    TermOp.BELOW: lambda actual, value: bool(actual < value),
    TermOp.SEARCH: lambda actual, value: text_matches(value, actual),
}


def holds(term: LeadTerm | AnyTerm, lead: Lead) -> bool:
    """Whether ``lead`` passes ``term``."""
    if isinstance(term, AnyTerm):
        return any(holds(t, lead) for t in term.terms)
    return _TESTS[term.op](_VALUES[term.field](lead), term.value)
