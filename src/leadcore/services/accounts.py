"""Accounts and their contacts (``s.accounts``): with or without a converted lead."""

from __future__ import annotations

import builtins
from collections.abc import Sequence

import attrs

from leadcore import events as ev
from leadcore._arguments import checked_arguments
from leadcore._text import checks_text
from leadcore.errors import ConflictError, NotFound, ValidationError
from leadcore.leads._conversion import Account, Contact
from leadcore.leads._pipeline import (
    PipelineEntry,
    PipelineEntryKind,
    RecordPage,
    cursor_problem,
    page_of,
)
from leadcore.services._pipeline import (
    UNCHANGED,
    contact_values,
    merged_problem,
    new_account,
    new_contact,
    pipeline_entry,
)
from leadcore.services._shared import ServiceContext, Work, Writer, user_problem
from leadcore.tenancy import Permission
from leadcore.workflow import name_key

__all__ = ["AccountsService"]

#: Marks "not given" in :meth:`AccountsService.update` (``None`` clears the owner).
_KEEP: object = UNCHANGED


def _name(value: object, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValidationError("invalid account", [f"{where}: must not be blank"])
    return value.strip()


@checks_text
@checked_arguments
class AccountsService:
    """Accounts and contacts of the organisation (``s.accounts``).

    Reading needs no permission; creating, changing and adding contacts needs
    ``edit_leads``; merging needs ``convert``.
    """

    def __init__(self, ctx: ServiceContext) -> None:
        self._ctx = ctx

    def _get(self, w: Writer, account_id: str) -> Account:
        found = w.uow.accounts.get(w.org, account_id)
        if found is None:
            raise NotFound("account", account_id)
        return found

    def create(
        self,
        name: str,
        *,
        phones: Sequence[str] = (),
        emails: Sequence[str] = (),
        owner_id: str | None = None,
    ) -> Account:
        """Create an account.

        Phones are read in the organisation's default region and kept in
        E.164 form, e-mails normalised. As at lead intake, an account that
        shares the name (compared without case and spacing), a phone or an
        e-mail with an older one is created and flagged: ``duplicate_of``
        names the original.
        """
        clean = _name(name, "name")
        with Work(self._ctx, Permission.EDIT_LEADS, "create accounts") as w:
            phones_, emails_, problems = contact_values(w, phones, emails, "")
            owner = user_problem(w, owner_id, "owner_id")
            if owner is not None:
                problems.append(owner)
            if problems:
                raise ValidationError("invalid account", problems)
            account = new_account(w, clean, phones=phones_, emails=emails_, owner_id=owner_id)
            w.uow.commit()
            return account

    def get(self, account_id: str) -> Account:
        """The account; ``NotFound`` if there is none."""
        with Work(self._ctx, None, "") as w:
            return self._get(w, account_id)

    def list(
        self,
        *,
        search: str | None = None,
        include_merged: bool = False,
        limit: int = 50,
        after: str | None = None,
    ) -> RecordPage[Account]:
        """Accounts by name, a page at a time (``limit=``, ``after=page.next``).

        ``search`` keeps the accounts whose name contains it (without case and
        spacing), or whose phone or e-mail contains it. Accounts merged into
        another are left out unless ``include_merged``.
        """
        problems = []
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            problems.append(f"limit: must be 1 or more, got {limit!r}")
        if (p := cursor_problem(after)) is not None:
            problems.append(p)
        if problems:
            raise ValidationError("invalid account filter", problems)
        with Work(self._ctx, None, "") as w:
            rows = builtins.list(w.uow.accounts.list(w.org))
        if not include_merged:
            rows = [a for a in rows if a.merged_into is None]
        if search is not None and search.strip():
            key = name_key(search)
            needle = search.strip().casefold()
            rows = [
                a
                for a in rows
                if key in name_key(a.name) or any(needle in v for v in (*a.phones, *a.emails))
            ]
        return page_of(rows, lambda a: (a.name, a.id), limit, after)

    def update(
        self,
        account_id: str,
        *,
        name: str | None = None,
        phones: Sequence[str] | None = None,
        emails: Sequence[str] | None = None,
        owner_id: str | object | None = _KEEP,
        expected_version: int | None = None,
    ) -> Account:
        """Change an account's name, phones, e-mails or owner (``owner_id=None`` clears it).

        ``expected_version``: ``ConflictError`` unless the account is at that version.
        """
        with Work(self._ctx, Permission.EDIT_LEADS, "change accounts") as w:
            account = self._get(w, account_id)
            if expected_version is not None and account.version != expected_version:
                raise ConflictError(
                    f"account {account.name!r} is at version {account.version}, "
                    f"not {expected_version}: it was changed meanwhile",
                    ids={"account_id": account.id},
                )
            changes: dict[str, object] = {}
            problems: builtins.list[str] = []
            if name is not None:
                changes["name"] = _name(name, "name")
            if phones is not None or emails is not None:
                p, e, problems = contact_values(w, phones or (), emails or (), "")
                if phones is not None:
                    changes["phones"] = p
                if emails is not None:
                    changes["emails"] = e
            if owner_id is not _KEEP:
                if (bad := user_problem(w, owner_id, "owner_id")) is not None:
                    problems.append(bad)
                changes["owner_id"] = owner_id
            if problems:
                raise ValidationError("invalid account", problems, ids={"account_id": account.id})
            changed = tuple(k for k, v in changes.items() if getattr(account, k) != v)
            if not changed:
                return account
            new = attrs.evolve(account, **changes, version=account.version + 1)  # type: ignore[arg-type]
            w.uow.accounts.update(new)
            pipeline_entry(w, account.id, PipelineEntryKind.UPDATED, text=", ".join(changed))
            w.emit(ev.AccountUpdated, account_id=account.id, changed=changed)
            w.uow.commit()
            return new

    def add_contact(
        self,
        account_id: str,
        name: str,
        *,
        phones: Sequence[str] = (),
        emails: Sequence[str] = (),
    ) -> Contact:
        """Add a contact (a person) to an account.

        As at lead intake, a contact sharing a phone or an e-mail with an
        older one is created and flagged: ``duplicate_of`` names the original.
        """
        clean = _name(name, "name")
        with Work(self._ctx, Permission.EDIT_LEADS, "add contacts") as w:
            account = self._get(w, account_id)
            if (merged := merged_problem(account, "account_id")) is not None:
                raise ValidationError("invalid contact", [merged], ids={"account_id": account.id})
            phones_, emails_, problems = contact_values(w, phones, emails, "")
            if problems:
                raise ValidationError("invalid contact", problems)
            contact = new_contact(w, account, clean, phones=phones_, emails=emails_)
            w.uow.commit()
            return contact

    def contacts(self, account_id: str) -> builtins.list[Contact]:
        """The contacts of an account, by name."""
        with Work(self._ctx, None, "") as w:
            self._get(w, account_id)
            return builtins.list(w.uow.contacts.for_account(w.org, account_id))

    def history(self, account_id: str) -> builtins.list[PipelineEntry]:
        """The account's history, oldest first: creation, changes, contacts, merges."""
        with Work(self._ctx, None, "") as w:
            self._get(w, account_id)
            return builtins.list(w.uow.pipeline_history.for_subject(w.org, account_id))

    def merge(self, keep_id: str, other_id: str) -> Account:
        """Merge account ``other_id`` into ``keep_id``; return the kept account.

        The other account's contacts, opportunities and conversion records
        move to the kept one, which also takes the phones and e-mails it
        lacked. The other account stays, marked ``merged_into``, with its
        history; both accounts and every moved opportunity get a history
        entry, and an ``AccountsMerged`` event names everything that moved.
        """
        if keep_id == other_id:
            raise ValidationError("cannot merge", ["other_id: is the account to keep"])
        with Work(self._ctx, Permission.CONVERT, "merge accounts") as w:
            keep, other = self._get(w, keep_id), self._get(w, other_id)
            for a, where in ((keep, "keep_id"), (other, "other_id")):
                if (merged := merged_problem(a, where)) is not None:
                    raise ValidationError("cannot merge", [merged], ids={"account_id": a.id})
            contacts = w.uow.contacts.for_account(w.org, other.id)
            for c in contacts:
                w.uow.contacts.update(attrs.evolve(c, account_id=keep.id))
            opportunities = w.uow.opportunities.for_account(w.org, other.id)
            for o in opportunities:
                w.uow.opportunities.update(
                    attrs.evolve(o, account_id=keep.id, version=o.version + 1, updated_at=w.now)
                )
                pipeline_entry(w, o.id, PipelineEntryKind.MOVED_BY_MERGE, other_id=keep.id)
            conversions = w.uow.conversions.for_account(w.org, other.id)
            for conv in conversions:
                w.uow.conversions.update(attrs.evolve(conv, account_id=keep.id))
            kept = attrs.evolve(
                keep,
                phones=keep.phones + tuple(p for p in other.phones if p not in keep.phones),
                emails=keep.emails + tuple(e for e in other.emails if e not in keep.emails),
                version=keep.version + 1,
            )
            w.uow.accounts.update(kept)
            w.uow.accounts.update(
                attrs.evolve(other, merged_into=keep.id, version=other.version + 1)
            )
            pipeline_entry(w, keep.id, PipelineEntryKind.MERGED, other_id=other.id, text=other.name)
            pipeline_entry(
                w, other.id, PipelineEntryKind.MOVED_BY_MERGE, other_id=keep.id, text=keep.name
            )
            w.emit(
                ev.AccountsMerged,
                account_id=keep.id,
                merged_id=other.id,
                contact_ids=tuple(c.id for c in contacts),
                opportunity_ids=tuple(o.id for o in opportunities),
                conversion_ids=tuple(c.id for c in conversions),
            )
            w.uow.commit()
            return kept
