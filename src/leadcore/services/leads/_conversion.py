"""What a lead becomes: conversion, undoing it, lineage and accounts."""

from __future__ import annotations

import builtins
from decimal import Decimal

import attrs

from leadcore import events as ev
from leadcore._arguments import checked_arguments
from leadcore._text import checks_text
from leadcore.errors import (
    ConflictError,
    NotFound,
    ValidationError,
)
from leadcore.leads._conversion import Account, Contact, Conversion, Opportunity
from leadcore.leads._model import (
    HistoryKind,
    Lead,
    TaskDraft,
)
from leadcore.services._pipeline import (
    amount_of,
    merged_problem,
    new_contact,
    new_opportunity,
)
from leadcore.services._pipeline import (
    new_account as make_account,
)
from leadcore.services._shared import (
    Writer,
    check_version,
    project_rules,
    visible_lead,
    workflow_of,
    writable,
)
from leadcore.services._status import change_status
from leadcore.services.leads._part import LeadsPart
from leadcore.tenancy import Permission
from leadcore.workflow import name_key


@attrs.frozen
class Lineage:
    """What a lead became: its conversion records and what each created or used."""

    lead: Lead
    """The lead."""
    conversions: tuple[Conversion, ...]
    """Its conversion records, undone ones included."""
    contacts: tuple[Contact, ...]
    """The contacts its conversions created."""
    accounts: tuple[Account, ...]
    """The accounts its conversions created or used."""
    opportunities: tuple[Opportunity, ...]
    """The opportunities its conversions created."""


@checks_text
@checked_arguments
class LeadConversion(LeadsPart):
    """Conversion of leads into contacts, accounts and opportunities (``s.leads``)."""

    def convert(
        self,
        lead_id: str,
        *,
        account_id: str | None = None,
        account_name: str | None = None,
        new_account: bool = False,
        opportunity_name: str | None = None,
        amount: Decimal | float | int | str | None = None,
        status_id: str | None = None,
        note: str | None = None,
        task: TaskDraft | None = None,
        expected_version: int | None = None,
    ) -> Conversion:
        """Convert a lead into a contact, an account and optionally an opportunity (``convert``).

        The account is ``account_id`` (an existing one) or a new one named
        ``account_name`` (default: the lead's name); when accounts of the same
        name exist and ``new_account`` is false, ``ConflictError`` names them
        so the caller can pick one (accounts merged into another are left
        out: an ``account_id`` merged into another is refused with
        ``ValidationError`` naming the account it was merged into). An
        opportunity starts in the entry stage of the organisation's
        opportunity workflow (its ``entry``: "Prospecting" in the bundled
        one). The account, contact and
        opportunity are made exactly as ``s.accounts`` and
        ``s.opportunities`` make them (history entries, events, duplicate
        flags).
        The lead moves to ``status_id`` (default: the first done status) through
        the same checks as any status change, then becomes read-only.
        """
        with self._writer(Permission.CONVERT, "convert leads") as w:
            lead = visible_lead(w.uow, w.actor, lead_id)
            writable(lead)
            check_version(lead, expected_version)
            wf = workflow_of(w.uow, w.org)
            target = status_id or (wf.done_statuses() or (None,))[0]
            if target is None:
                raise ValidationError("cannot convert", ["the workflow has no done status"])
            if target in wf and not wf.is_done(target):
                raise ValidationError(
                    "cannot convert", [f"status_id: {target!r} is not a done status"]
                )
            from_status = lead.status_id
            moved = lead
            if lead.status_id != target:
                moved = change_status(
                    w,
                    lead,
                    wf,
                    target,
                    note=note,
                    task=task,
                    rules=project_rules(w.uow, lead),
                    reason="conversion",
                )
            account, created = self._account(w, lead, account_id, account_name, new_account)
            contact = new_contact(
                w, account, lead.name, phones=lead.phones, emails=lead.emails, lead_id=lead.id
            )
            opportunity = None
            if opportunity_name is not None:
                if not opportunity_name.strip():
                    raise ValidationError("cannot convert", ["opportunity_name: must not be blank"])
                money, problem = amount_of(amount, "amount")
                if problem is not None:
                    raise ValidationError("cannot convert", [problem])
                opportunity = new_opportunity(
                    w,
                    account,
                    opportunity_name.strip(),
                    contact_id=contact.id,
                    amount=money,
                    lead_id=lead.id,
                )
            conversion = Conversion(
                id=self._ctx.ids.new("conversion"),
                organization_id=w.org,
                lead_id=lead.id,
                converted_at=w.now,
                converted_by=w.actor.user.id,
                contact_id=contact.id,
                account_id=account.id,
                account_created=created,
                opportunity_id=opportunity.id if opportunity else None,
                from_status=from_status,
                to_status=target,
                snapshot={
                    "name": lead.name,
                    "phones": lead.phones,
                    "emails": lead.emails,
                    **lead.fields,
                },
            )
            w.uow.conversions.add(conversion)
            w.save(moved, attrs.evolve(moved, conversion_id=conversion.id))
            w.history(lead, HistoryKind.CONVERTED, text=f"conversion {conversion.id}")
            w.emit(
                ev.LeadWasConverted,
                lead_id=lead.id,
                conversion_id=conversion.id,
                contact_id=contact.id,
                account_id=account.id,
                account_created=created,
                opportunity_id=conversion.opportunity_id,
            )
            w.uow.commit()
            return conversion

    def _account(
        self,
        w: Writer,
        lead: Lead,
        account_id: str | None,
        account_name: str | None,
        new_account: bool,
    ) -> tuple[Account, bool]:
        if account_id is not None:
            found = w.uow.accounts.get(w.org, account_id)
            if found is None:
                raise NotFound("account", account_id)
            if (merged := merged_problem(found, "account_id")) is not None:
                raise ValidationError(
                    "cannot convert", [merged], ids={"lead_id": lead.id, "account_id": found.id}
                )
            return found, False
        name = (account_name or lead.name).strip()
        if not name:
            raise ValidationError("cannot convert", ["account_name: must not be blank"])
        if not new_account:
            key = name_key(name)
            same = [
                a.id
                for a in sorted(
                    w.uow.accounts.matching(w.org, name_keys=[key]), key=lambda a: (a.name, a.id)
                )
                if name_key(a.name) == key and a.merged_into is None
            ]
            if same:
                raise ConflictError(
                    f"accounts named {name!r} exist ({', '.join(same)}): pass account_id to use "
                    "one, or new_account=True to create another"
                )
        account = make_account(w, name, lead_id=lead.id)
        return account, True

    def unconvert(self, lead_id: str, *, reason: str) -> Lead:
        """Undo a conversion (needs ``unconvert``): the lead is writable again.

        The lead returns to the status it had before the conversion (or keeps
        its done status, when a later workflow version removed that one). The
        conversion record stays, marked undone with who, when and why, and so
        do the contact, account and opportunity it created (they may have been
        worked on since).
        """
        if not isinstance(reason, str) or not reason.strip():
            raise ValidationError("cannot un-convert", ["reason: must not be blank"])
        with self._writer(Permission.UNCONVERT, "un-convert leads") as w:
            lead = visible_lead(w.uow, w.actor, lead_id)
            if lead.conversion_id is None:
                raise ValidationError(
                    "cannot un-convert",
                    [f"lead {lead.name!r} is not converted"],
                    ids={"lead_id": lead.id},
                )
            conversion = w.uow.conversions.get(w.org, lead.conversion_id)
            if conversion is None:  # pragma: no cover - written with the lead
                raise NotFound("conversion", lead.conversion_id)
            w.uow.conversions.update(
                attrs.evolve(
                    conversion, undone_at=w.now, undone_by=w.actor.user.id, undo_reason=reason
                )
            )
            back = conversion.from_status
            if back is not None and back not in workflow_of(w.uow, w.org):
                back = lead.status_id
            restored = w.save(lead, attrs.evolve(lead, conversion_id=None, status_id=back))
            w.history(
                lead,
                HistoryKind.UNCONVERTED,
                from_status=lead.status_id,
                to_status=back,
                text=reason.strip(),
            )
            w.emit(
                ev.LeadUnconverted,
                lead_id=lead.id,
                conversion_id=conversion.id,
                reason=reason.strip(),
            )
            w.emit(
                ev.StatusChanged,
                lead_id=lead.id,
                from_status=lead.status_id,
                to_status=back,
                workflow_version=lead.workflow_version,
                reason="unconversion",
            )
            w.uow.commit()
            return restored

    def lineage(self, lead_id: str) -> Lineage:
        """What a lead became: conversions, contacts, accounts and opportunities."""
        with self._writer(None, "") as w:
            lead = visible_lead(w.uow, w.actor, lead_id)
            conversions = tuple(w.uow.conversions.for_lead(w.org, lead.id))
            contacts = tuple(
                c for c in (w.uow.contacts.get(w.org, x.contact_id) for x in conversions) if c
            )
            accounts = tuple(
                a for a in (w.uow.accounts.get(w.org, x.account_id) for x in conversions) if a
            )
            opportunities = tuple(
                o
                for o in (
                    w.uow.opportunities.get(w.org, x.opportunity_id)
                    for x in conversions
                    if x.opportunity_id
                )
                if o
            )
            return Lineage(lead, conversions, contacts, accounts, opportunities)

    def accounts(self) -> builtins.list[Account]:
        """The organisation's accounts, by name."""
        with self._writer(None, "") as w:
            return list(w.uow.accounts.list(w.org))

    def account_leads(self, account_id: str) -> builtins.list[Lead]:
        """The leads converted into an account (that the acting user may see), once each.

        Undone conversions do not count; :meth:`lineage` keeps them.
        """
        with self._writer(None, "") as w:
            if w.uow.accounts.get(w.org, account_id) is None:
                raise NotFound("account", account_id)
            out = []
            for c in w.uow.conversions.for_account(w.org, account_id):
                if c.undone_at is not None:
                    continue
                try:
                    out.append(visible_lead(w.uow, w.actor, c.lead_id))
                except NotFound:
                    continue
            return out
