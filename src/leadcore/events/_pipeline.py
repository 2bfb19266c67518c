"""The domain events of the sales pipeline: accounts, contacts and opportunities."""

from __future__ import annotations

import attrs

from leadcore.events._model import Event, _tuple, event_type

__all__ = [
    "AccountCreated",
    "AccountUpdated",
    "AccountsMerged",
    "ContactAdded",
    "OpportunityCreated",
    "OpportunityStageChanged",
    "OpportunityUpdated",
]


@event_type("account.created")
@attrs.frozen(kw_only=True)
class AccountCreated(Event):
    """An account was created (on its own or by a conversion)."""

    account_id: str
    name: str
    duplicate_of: str | None = None
    """The account it looks like a duplicate of, if any."""
    lead_id: str | None = None
    """The converted lead that created it, if any."""


@event_type("account.updated")
@attrs.frozen(kw_only=True)
class AccountUpdated(Event):
    """An account's details changed."""

    account_id: str
    changed: tuple[str, ...] = attrs.field(converter=_tuple)
    """The names of the fields that changed."""


@event_type("account.contact_added")
@attrs.frozen(kw_only=True)
class ContactAdded(Event):
    """A contact was added to an account (on its own or by a conversion)."""

    account_id: str
    contact_id: str
    duplicate_of: str | None = None
    """The contact it looks like a duplicate of, if any."""
    lead_id: str | None = None
    """The converted lead that created it, if any."""


@event_type("account.merged")
@attrs.frozen(kw_only=True)
class AccountsMerged(Event):
    """An account was merged into another: its contacts, opportunities and conversions moved."""

    account_id: str
    """The kept account."""
    merged_id: str
    """The account merged into it (kept, marked ``merged_into``)."""
    contact_ids: tuple[str, ...] = attrs.field(converter=_tuple)
    opportunity_ids: tuple[str, ...] = attrs.field(converter=_tuple)
    conversion_ids: tuple[str, ...] = attrs.field(converter=_tuple)


@event_type("opportunity.created")
@attrs.frozen(kw_only=True)
class OpportunityCreated(Event):
    """An opportunity was created, in the entry stage of the opportunity workflow."""

    opportunity_id: str
    account_id: str
    stage_id: str
    workflow_version: int
    lead_id: str | None = None
    """The converted lead that created it, if any."""


@event_type("opportunity.updated")
@attrs.frozen(kw_only=True)
class OpportunityUpdated(Event):
    """An opportunity's details (amount, currency, close date, owner, name) changed."""

    opportunity_id: str
    changed: tuple[str, ...] = attrs.field(converter=_tuple)
    """The names of the fields that changed."""


@event_type("opportunity.stage_changed")
@attrs.frozen(kw_only=True)
class OpportunityStageChanged(Event):
    """An opportunity moved to another stage; a done stage closes it as won or lost."""

    opportunity_id: str
    from_stage: str
    to_stage: str
    workflow_version: int
    won: bool | None = None
    """``True`` / ``False`` when the move closed it as won / lost."""
    lost_reason: str | None = None
    note: str | None = None
