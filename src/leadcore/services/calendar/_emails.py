"""The e-mail log (``s.emails``): e-mails sent and received, kept beside the activities."""

from __future__ import annotations

import base64
import binascii
import builtins
from collections.abc import Iterable
from datetime import datetime

import attrs

from leadcore._arguments import checked_arguments
from leadcore._text import checks_text
from leadcore.calendar._emails import Email, EmailDirection, excerpt_of
from leadcore.calendar._visibility import can_see
from leadcore.errors import NotFound, ValidationError
from leadcore.events import EmailLogged
from leadcore.services._shared import Writer
from leadcore.services.calendar._base import ClientInput, _CalendarBase
from leadcore.storage._email_ports import email_order

__all__ = ["EmailPage", "EmailsService"]


@attrs.frozen
class EmailPage:
    """One page of the e-mail log and the cursor of the next page (``None`` at the end)."""

    items: tuple[Email, ...]
    """The e-mails of this page, newest first."""
    next: str | None = None
    """Pass it as ``after`` for the next page; ``None`` on the last page."""


def _cursor(email: Email) -> str:
    raw = f"{email.sent_at.isoformat()}|{email.id}".encode()
    return base64.urlsafe_b64encode(raw).decode("ascii")


def _position(cursor: str) -> tuple[float, str]:
    try:
        when, ident = base64.urlsafe_b64decode(cursor.encode("ascii")).decode().split("|", 1)
        at = datetime.fromisoformat(when)
        if at.utcoffset() is None:
            raise ValueError("naive")
    except (ValueError, UnicodeError, binascii.Error):
        raise ValidationError(
            "the e-mail list is invalid",
            [f"after: {cursor!r} is not a cursor returned by an earlier page"],
        ) from None
    return -at.timestamp(), ident


@checks_text
@checked_arguments
class EmailsService(_CalendarBase):
    """The organisation's log of e-mails sent and received (``s.emails``).

    leadcore sends no mail: a host logs what was sent or received. An
    e-mail linked to activities is seen by those who may see one of them in
    detail; an e-mail linked to no activity, by every user of the
    organisation.
    """

    def create(
        self,
        direction: EmailDirection | str,
        sender: str,
        to: Iterable[str],
        subject: str,
        sent_at: datetime,
        *,
        cc: Iterable[str] = (),
        body: str = "",
        attachments: Iterable[str] = (),
        clients: Iterable[ClientInput] = (),
        activity_ids: Iterable[str] = (),
    ) -> Email:
        """Log an e-mail; the body is kept as an excerpt of bounded length.

        ``clients`` are leads, contacts or accounts of the organisation and
        ``activity_ids`` activities the user may see (``NotFound``
        otherwise). Bad values raise one ``ValidationError`` naming each.
        """
        with self._work() as w:
            refs = tuple(self._client(w, c, f"clients[{i}]") for i, c in enumerate(clients))
            linked = tuple(dict.fromkeys(activity_ids))
            if linked:
                rule = self._rule(w, self._catalogue(w.uow, w.org).settings)
                for activity_id in linked:
                    self._visible(w, rule, activity_id)
            email = Email(
                id=self._ctx.ids.new("email"),
                organization_id=w.org,
                direction=direction,
                sender=sender,
                to=tuple(to),
                subject=subject,
                sent_at=sent_at,
                cc=tuple(cc),
                excerpt=excerpt_of(body),
                attachments=tuple(attachments),
                clients=tuple(dict.fromkeys(refs)),
                activity_ids=linked,
                created_by=w.actor.user.id,
            )
            w.uow.emails.add(email)
            w.emit(
                EmailLogged,
                email_id=email.id,
                direction=str(email.direction),
                clients=[str(c) for c in email.clients],
                activity_ids=list(email.activity_ids),
            )
            w.uow.commit()
            return email

    def get(self, email_id: str) -> Email:
        """One e-mail the user may see; ``NotFound`` otherwise."""
        with self._work() as w:
            found = w.uow.emails.get(w.org, email_id)
            if found is None or not self._may_see(w, [found]):
                raise NotFound("e-mail", email_id)
            return found

    def list(
        self,
        *,
        client: ClientInput | None = None,
        activity_id: str | None = None,
        limit: int = 50,
        after: str | None = None,
    ) -> EmailPage:
        """The e-mails the user may see, newest first, a page of ``limit`` (1 to 1000) at a time.

        ``client`` keeps those linked to that lead, contact or account,
        ``activity_id`` those linked to that activity.
        """
        if not isinstance(limit, int) or not 1 <= limit <= 1000:
            raise ValidationError(
                "the e-mail list is invalid", [f"limit: {limit!r} is not 1 to 1000"]
            )
        floor = None if after is None else _position(after)
        with self._work() as w:
            ref = None if client is None else self._client(w, client, "client")
            found = w.uow.emails.list(w.org, client=ref, activity_id=activity_id)
            seen = self._may_see(w, found)
        items = [e for e in seen if floor is None or email_order(e) > floor]
        page = tuple(items[:limit])
        return EmailPage(page, _cursor(page[-1]) if len(items) > limit else None)

    def _may_see(self, w: Writer, emails: Iterable[Email]) -> builtins.list[Email]:
        """The e-mails the user may see: unlinked ones, or with one linked activity seen."""
        emails = builtins.list(emails)
        if not any(e.activity_ids for e in emails):
            return emails
        rule = self._rule(w, self._catalogue(w.uow, w.org).settings)
        shown: dict[str, bool] = {}

        def sees(activity_id: str) -> bool:
            if activity_id not in shown:
                activity = w.uow.calendar.get(w.org, activity_id)
                shown[activity_id] = activity is not None and can_see(rule, activity)
            return shown[activity_id]

        return [e for e in emails if not e.activity_ids or any(map(sees, e.activity_ids))]
