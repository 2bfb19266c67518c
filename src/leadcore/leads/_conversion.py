"""Conversion of a lead into a contact, an account and optionally an opportunity."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from types import MappingProxyType

import attrs

from leadcore.leads._model import FieldValue

__all__ = ["Account", "Contact", "Conversion", "Opportunity"]


@attrs.frozen
class Account:
    """A company (or household) the organisation sells to."""

    id: str
    organization_id: str
    name: str
    created_at: datetime
    created_from_lead_id: str | None = None


@attrs.frozen
class Contact:
    """A person, tied to an account."""

    id: str
    organization_id: str
    name: str
    account_id: str
    created_at: datetime
    phones: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()
    created_from_lead_id: str | None = None


@attrs.frozen
class Opportunity:
    """A potential deal with an account, moving through the opportunity workflow."""

    id: str
    organization_id: str
    name: str
    account_id: str
    contact_id: str | None
    stage_id: str
    workflow_version: int
    created_at: datetime
    amount: float | None = None
    created_from_lead_id: str | None = None


def _snapshot(
    value: Mapping[str, FieldValue | tuple[str, ...]],
) -> Mapping[str, FieldValue | tuple[str, ...]]:
    # Read-only: the memory store hands out the very record it keeps.
    return MappingProxyType(dict(value))


@attrs.frozen(hash=False)
class Conversion:
    """The record of one conversion: what it created and the lead's data at that moment.

    Kept after an un-conversion (with ``undone_at`` / ``undone_by``), so the
    audit trail is never lost.
    """

    id: str
    organization_id: str
    lead_id: str
    converted_at: datetime
    converted_by: str
    contact_id: str
    account_id: str
    account_created: bool
    """Whether the account was created by this conversion (rather than an existing one used)."""
    opportunity_id: str | None
    from_status: str | None
    to_status: str
    snapshot: Mapping[str, FieldValue | tuple[str, ...]] = attrs.field(converter=_snapshot)
    undone_at: datetime | None = None
    undone_by: str | None = None
    undo_reason: str | None = None
