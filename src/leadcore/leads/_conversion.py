"""Conversion of a lead into a contact, an account and optionally an opportunity."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal
from types import MappingProxyType

import attrs

from leadcore.leads._model import FieldValue
from leadcore.workflow import name_key

__all__ = [
    "Account",
    "Contact",
    "Conversion",
    "Opportunity",
    "account_match_values",
    "contact_match_values",
    "match_values",
]


@attrs.frozen
class Account:
    """A company (or household) the organisation sells to."""

    id: str
    """The account's id."""
    organization_id: str
    """The organisation it belongs to."""
    name: str
    """The company's (or household's) name."""
    created_at: datetime
    """When it was created."""
    created_from_lead_id: str | None = None
    """The lead whose conversion created it, if any."""
    phones: tuple[str, ...] = ()
    """The company's phone numbers in E.164 form."""
    emails: tuple[str, ...] = ()
    """The company's e-mail addresses, normalised."""
    owner_id: str | None = None
    """The user of the organisation who owns the account, if any."""
    duplicate_of: str | None = None
    """The account it looked like a duplicate of when it was created (as at lead intake)."""
    merged_into: str | None = None
    """The account it was merged into; a merged account is kept for the audit trail."""
    version: int = 1
    """Bumped by every change."""


@attrs.frozen
class Contact:
    """A person, tied to an account."""

    id: str
    """The contact's id."""
    organization_id: str
    """The organisation it belongs to."""
    name: str
    """The person's name."""
    account_id: str
    """The account the person belongs to."""
    created_at: datetime
    """When it was created."""
    phones: tuple[str, ...] = ()
    """Phone numbers in E.164 form."""
    emails: tuple[str, ...] = ()
    """E-mail addresses, normalised."""
    created_from_lead_id: str | None = None
    """The lead whose conversion created it, if any."""
    duplicate_of: str | None = None
    """The contact it looked like a duplicate of when it was created (as at lead intake)."""


def _money(value: Decimal | float | int | str | None) -> Decimal | None:
    # Floats go through their shortest text, so 0.1 stays 0.1 and not its binary neighbour.
    if value is None or isinstance(value, Decimal):
        return value
    return Decimal(str(value))


@attrs.frozen
class Opportunity:
    """A potential deal with an account.

    It starts in the *entry* stage of the organisation's opportunity workflow
    (``Workflow.entry``; "Prospecting" in the bundled one) and moves through
    that workflow like a lead through its statuses. A done-category stage
    closes it, as won or lost.
    """

    id: str
    """The opportunity's id."""
    organization_id: str
    """The organisation it belongs to."""
    name: str
    """A label for the deal."""
    account_id: str
    """The account the deal is with."""
    contact_id: str | None
    """The contact the deal is with, if any."""
    stage_id: str
    """Its stage: a status id of the organisation's opportunity workflow."""
    workflow_version: int
    """The version of the opportunity workflow ``stage_id`` belongs to."""
    created_at: datetime
    """When it was created."""
    amount: Decimal | None = attrs.field(default=None, converter=_money)
    """The expected value of the deal, if known (a float given here is read through its text)."""
    created_from_lead_id: str | None = None
    """The lead whose conversion created it, if any."""
    currency: str | None = None
    """The ISO 4217 code of ``amount`` (e.g. ``"EUR"``), if known."""
    close_date: date | None = None
    """When the deal is expected to close (or closed)."""
    owner_id: str | None = None
    """The user of the organisation who owns the deal, if any."""
    version: int = 1
    """Bumped by every change; pass it as ``expected_version``."""
    updated_at: datetime | None = None
    """When it last changed."""
    closed_at: datetime | None = None
    """When it moved to a done stage; ``None`` while it is open."""
    won: bool | None = None
    """``True`` won, ``False`` lost, ``None`` while open."""
    lost_reason: str | None = None
    """Why it was lost: one of the organisation's lost reasons."""

    @property
    def closed(self) -> bool:
        """Whether it is closed (won or lost)."""
        return self.closed_at is not None


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
    """The conversion's id."""
    organization_id: str
    """The organisation it belongs to."""
    lead_id: str
    """The converted lead."""
    converted_at: datetime
    """When the lead was converted."""
    converted_by: str
    """Who converted it."""
    contact_id: str
    """The contact it created."""
    account_id: str
    """The account it created or used."""
    account_created: bool
    """Whether the account was created by this conversion (rather than an existing one used)."""
    opportunity_id: str | None
    """The opportunity it created, if any."""
    from_status: str | None
    """The lead's status before the conversion."""
    to_status: str
    """The done status the conversion moved the lead to."""
    snapshot: Mapping[str, FieldValue | tuple[str, ...]] = attrs.field(converter=_snapshot)
    """The lead's data (name, phones, e-mails, fields...) at the moment of conversion."""
    undone_at: datetime | None = None
    """When the conversion was undone, if it was."""
    undone_by: str | None = None
    """Who undid it."""
    undo_reason: str | None = None
    """Why it was undone."""


def match_values(
    phones: Iterable[str] = (), emails: Iterable[str] = (), name_keys: Iterable[str] = ()
) -> set[tuple[str, str]]:
    """``(kind, value)`` pairs a duplicate check compares: ``phone``, ``email``, ``name``."""
    return (
        {("phone", p) for p in phones}
        | {("email", e) for e in emails}
        | {("name", n) for n in name_keys}
    )


def account_match_values(account: Account) -> set[tuple[str, str]]:
    """What an account is matched by: its phones, its e-mails and the key of its name."""
    return match_values(account.phones, account.emails, (name_key(account.name),))


def contact_match_values(contact: Contact) -> set[tuple[str, str]]:
    """What a contact is matched by: its phones and e-mails (contacts are not compared by name)."""
    return match_values(contact.phones, contact.emails)
