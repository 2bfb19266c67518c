"""What the pipeline use cases share with conversion: creating accounts, contacts, opportunities.

``s.accounts``, ``s.opportunities`` and ``s.leads.convert`` create their
records through these functions, so a record made by a conversion is made
exactly like one made on its own: the same checks, duplicate flags, history
entry and events.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

import attrs

from leadcore import events as ev
from leadcore.errors import NotFound, ValidationError
from leadcore.leads._conversion import Account, Contact, Opportunity
from leadcore.leads._intake import normalize_email, normalize_phone
from leadcore.leads._pipeline import (
    PipelineEntry,
    PipelineEntryKind,
    PipelineSettings,
    currency_problem,
)
from leadcore.leads._rows import bounded_contacts
from leadcore.services._shared import Writer, user_problem
from leadcore.storage.protocols import UnitOfWork
from leadcore.workflow import Workflow, name_key, sample_workflow

__all__ = [
    "OPPORTUNITIES",
    "UNCHANGED",
    "amount_of",
    "close_date_problem",
    "contact_values",
    "merged_problem",
    "new_account",
    "new_contact",
    "new_opportunity",
    "opportunity_workflow",
    "pipeline_entry",
    "pipeline_settings",
]

#: The workflow slot of opportunity stages.
OPPORTUNITIES = "opportunities"


class _Unchanged:
    """The default of an ``update`` argument that was not given (``None`` clears a value)."""

    def __repr__(self) -> str:
        return "UNCHANGED"


#: The default of an ``update`` argument that was not given (``None`` clears a value).
UNCHANGED: object = _Unchanged()


def pipeline_settings(uow: UnitOfWork, org: str) -> PipelineSettings:
    """The organisation's pipeline settings (the defaults until it saves its own)."""
    return uow.pipeline_settings.get(org) or PipelineSettings()


def opportunity_workflow(w: Writer) -> Workflow:
    """The organisation's opportunity workflow; the bundled one is published on first use."""
    wf = w.uow.workflows.get(w.org, OPPORTUNITIES)
    if wf is None:
        wf = attrs.evolve(sample_workflow("opportunities"), version=1)
        w.uow.workflows.add(w.org, OPPORTUNITIES, wf)
        w.emit(ev.WorkflowPublished, kind=OPPORTUNITIES, workflow_id=wf.id, version=1)
    return wf


def pipeline_entry(
    w: Writer, subject_id: str, kind: PipelineEntryKind, **values: str | None
) -> PipelineEntry:
    """Write a history entry on an account or an opportunity."""
    entry = PipelineEntry(
        id=w.ctx.ids.new("phist"),
        organization_id=w.org,
        subject_id=subject_id,
        kind=kind,
        at=w.now,
        actor_id=w.actor.user.id,
        **values,
    )
    w.uow.pipeline_history.add(entry)
    return entry


def contact_values(
    w: Writer, phones: Iterable[str], emails: Iterable[str], path: str
) -> tuple[tuple[str, ...], tuple[str, ...], list[str]]:
    """Phones in E.164 form (read in the organisation's region) and normalised e-mails."""
    problems: list[str] = []
    org = w.uow.organizations.get(w.org)
    region = org.default_region if org else None
    out_phones: list[str] = []
    out_emails: list[str] = []
    for name, raw, out, read in (
        ("phones", phones, out_phones, lambda v: normalize_phone(v, region)),
        ("emails", emails, out_emails, normalize_email),
    ):
        if isinstance(raw, str) or not isinstance(raw, Iterable):
            problems.append(f"{path}{name}: expected a list of text")
            continue
        for i, value in enumerate(bounded_contacts(list(raw), f"{path}{name}", problems)):
            try:
                got = read(value)
            except ValueError as exc:
                problems.append(f"{path}{name}[{i}]: {exc}")
                continue
            if got not in out:
                out.append(got)
    return tuple(out_phones), tuple(out_emails), problems


def merged_problem(account: Account, where: str) -> str | None:
    """Why ``account`` takes no new contact or opportunity: it was merged into another.

    A merged account is kept for its history only; the message names the
    account it was merged into, which is the one to use.
    """
    if account.merged_into is None:
        return None
    return f"{where}: account {account.name!r} was merged into {account.merged_into!r}"


def amount_of(value: object, where: str) -> tuple[Decimal | None, str | None]:
    """An amount as a finite, non-negative ``Decimal`` (floats through their text)."""
    if value is None:
        return None, None
    if isinstance(value, bool) or not isinstance(value, Decimal | int | float | str):
        return None, f"{where}: expected a decimal number, got {type(value).__name__}"
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value))
    except InvalidOperation:
        return None, f"{where}: {value!r} is not a number"
    if not amount.is_finite() or amount < 0:
        return None, f"{where}: must be a finite amount of 0 or more, got {value!r}"
    if abs(amount.as_tuple().exponent) > 6 or amount.adjusted() > 18:  # type: ignore[arg-type]
        return None, f"{where}: at most 19 digits before the point and 6 after, got {value!r}"
    return amount, None


def close_date_problem(value: object, where: str) -> str | None:
    """What is wrong with ``value`` as a close date (a ``date``, not a ``datetime``)."""
    if value is None:
        return None
    if not isinstance(value, date) or isinstance(value, datetime):
        return f"{where}: expected a date, got {type(value).__name__}"
    return None


def _duplicate(
    candidates: Iterable[Account | Contact],
    name: str,
    phones: tuple[str, ...],
    emails: tuple[str, ...],
) -> str | None:
    """The oldest record sharing a phone, an e-mail or (for accounts) the name key.

    ``candidates`` are the records the storage found by those keys
    (``matching``): reading every account of the organisation is not needed.
    """
    key = name_key(name)
    found = [
        c
        for c in candidates
        if set(c.phones) & set(phones)
        or set(c.emails) & set(emails)
        or (isinstance(c, Account) and name_key(c.name) == key and c.merged_into is None)
    ]
    if not found:
        return None
    oldest = min(found, key=lambda c: (c.created_at, c.id))
    return oldest.duplicate_of or oldest.id


def new_account(
    w: Writer,
    name: str,
    *,
    phones: tuple[str, ...] = (),
    emails: tuple[str, ...] = (),
    owner_id: str | None = None,
    lead_id: str | None = None,
) -> Account:
    """Create an account, flagged ``duplicate_of`` an older one sharing a name, phone or e-mail."""
    account = Account(
        id=w.ctx.ids.new("account"),
        organization_id=w.org,
        name=name,
        created_at=w.now,
        created_from_lead_id=lead_id,
        phones=phones,
        emails=emails,
        owner_id=owner_id,
        duplicate_of=_duplicate(
            w.uow.accounts.matching(
                w.org, phones=phones, emails=emails, name_keys=[name_key(name)]
            ),
            name,
            phones,
            emails,
        ),
    )
    w.uow.accounts.add(account)
    pipeline_entry(w, account.id, PipelineEntryKind.CREATED, text=account.name)
    w.emit(
        ev.AccountCreated,
        account_id=account.id,
        name=account.name,
        duplicate_of=account.duplicate_of,
        lead_id=lead_id,
    )
    return account


def new_contact(
    w: Writer,
    account: Account,
    name: str,
    *,
    phones: tuple[str, ...] = (),
    emails: tuple[str, ...] = (),
    lead_id: str | None = None,
) -> Contact:
    """Add a contact to ``account``, flagged ``duplicate_of`` one sharing a phone or e-mail.

    ``ValidationError`` if the account was merged into another.
    """
    if (merged := merged_problem(account, "account_id")) is not None:
        raise ValidationError("invalid contact", [merged], ids={"account_id": account.id})
    duplicate = (
        _duplicate(
            w.uow.contacts.matching(w.org, phones=phones, emails=emails), name, phones, emails
        )
        if phones or emails
        else None
    )
    contact = Contact(
        id=w.ctx.ids.new("contact"),
        organization_id=w.org,
        name=name,
        account_id=account.id,
        created_at=w.now,
        phones=phones,
        emails=emails,
        created_from_lead_id=lead_id,
        duplicate_of=duplicate,
    )
    w.uow.contacts.add(contact)
    pipeline_entry(
        w, account.id, PipelineEntryKind.CONTACT_ADDED, text=contact.name, other_id=contact.id
    )
    w.emit(
        ev.ContactAdded,
        account_id=account.id,
        contact_id=contact.id,
        duplicate_of=duplicate,
        lead_id=lead_id,
    )
    return contact


def new_opportunity(
    w: Writer,
    account: Account,
    name: str,
    *,
    contact_id: str | None = None,
    amount: Decimal | None = None,
    currency: str | None = None,
    close_date: date | None = None,
    owner_id: str | None = None,
    lead_id: str | None = None,
) -> Opportunity:
    """Create an opportunity in the entry stage of the opportunity workflow."""
    problems = [
        p
        for p in (
            currency_problem(currency, "currency"),
            user_problem(w, owner_id, "owner_id"),
            close_date_problem(close_date, "close_date"),
        )
        if p is not None
    ]
    if (merged := merged_problem(account, "account_id")) is not None:
        problems.append(merged)
    if problems:
        raise ValidationError("invalid opportunity", problems, ids={"account_id": account.id})
    wf = opportunity_workflow(w)
    if not wf.entry:  # pragma: no cover - a published workflow always has an entry
        raise NotFound("entry stage of the opportunities workflow", wf.id)
    opportunity = Opportunity(
        id=w.ctx.ids.new("opportunity"),
        organization_id=w.org,
        name=name,
        account_id=account.id,
        contact_id=contact_id,
        stage_id=wf.entry[0],
        workflow_version=wf.version,
        created_at=w.now,
        amount=amount,
        created_from_lead_id=lead_id,
        currency=currency,
        close_date=close_date,
        owner_id=owner_id,
        updated_at=w.now,
    )
    w.uow.opportunities.add(opportunity)
    pipeline_entry(
        w, opportunity.id, PipelineEntryKind.CREATED, to_stage=opportunity.stage_id, text=name
    )
    w.emit(
        ev.OpportunityCreated,
        opportunity_id=opportunity.id,
        account_id=account.id,
        stage_id=opportunity.stage_id,
        workflow_version=wf.version,
        lead_id=lead_id,
    )
    return opportunity
