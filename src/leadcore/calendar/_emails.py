"""E-mail records: messages sent and received, logged beside the activities.

leadcore sends no mail: it keeps what a host tells it was sent or received,
linked to clients (leads, contacts, accounts) and to activities, so that a
client's timeline and the activity list show the e-mails with the meetings
and calls. A record holds the headers, an excerpt of the body of bounded
length and the names of the attachments, never their content.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import datetime

import attrs

from leadcore._limits import shown
from leadcore.calendar._model import ClientRef
from leadcore.errors import ValidationError

__all__ = [
    "MAX_ADDRESS",
    "MAX_ADDRESSES",
    "MAX_ATTACHMENT_NAME",
    "MAX_EXCERPT",
    "MAX_SUBJECT",
    "Email",
    "EmailDirection",
    "excerpt_of",
]

MAX_EXCERPT = 2000
"""The longest body excerpt kept, in characters; a longer body is cut."""
MAX_SUBJECT = 998
"""The longest subject accepted (RFC 5322's line length)."""
MAX_ADDRESS = 320
"""The longest e-mail address accepted."""
MAX_ADDRESSES = 100
"""The most addresses in ``to`` or ``cc``, attachments, clients or activities of one e-mail."""
MAX_ATTACHMENT_NAME = 255
"""The longest attachment name accepted."""


class EmailDirection(enum.StrEnum):
    """Whether the organisation received the e-mail or sent it."""

    INCOMING = "in"
    OUTGOING = "out"


def excerpt_of(body: str) -> str:
    """The excerpt kept of ``body``: its first :data:`MAX_EXCERPT` characters, trimmed."""
    return body.strip()[:MAX_EXCERPT]


def _strs(value: Iterable[str]) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else tuple(value)


def _refs(value: Iterable[ClientRef]) -> tuple[ClientRef, ...]:
    return tuple(value)


def _direction(value: EmailDirection | str) -> EmailDirection:
    try:
        return EmailDirection(value)
    except ValueError:
        return value  # type: ignore[return-value]  # reported by validation


def _address_problems(path: str, values: tuple[str, ...], *, required: bool) -> list[str]:
    problems = []
    if required and not values:
        problems.append(f"{path}: give at least one address")
    if len(values) > MAX_ADDRESSES:
        problems.append(f"{path}: {len(values)} addresses, at most {MAX_ADDRESSES}")
    for i, value in enumerate(values[:MAX_ADDRESSES]):
        if not isinstance(value, str) or "@" not in value or len(value) > MAX_ADDRESS:
            problems.append(
                f"{path}[{i}]: must be an e-mail address of at most {MAX_ADDRESS} "
                f"characters, got {shown(value)}"
            )
    return problems


@attrs.frozen
class Email:
    """One e-mail, as logged: headers, an excerpt of the body, attachment names, links.

    Every problem is reported at once, as a
    :class:`~leadcore.errors.ValidationError`.
    """

    id: str
    """The record's id."""
    organization_id: str
    """The organisation that logged it."""
    direction: EmailDirection = attrs.field(converter=_direction)
    """``in`` (received) or ``out`` (sent)."""
    sender: str
    """The From address."""
    to: tuple[str, ...] = attrs.field(converter=_strs)
    """The To addresses (at least one)."""
    subject: str
    """The subject line."""
    sent_at: datetime
    """When it was sent (an aware datetime)."""
    cc: tuple[str, ...] = attrs.field(default=(), converter=_strs)
    """The Cc addresses."""
    excerpt: str = ""
    """The start of the body, at most :data:`MAX_EXCERPT` characters."""
    attachments: tuple[str, ...] = attrs.field(default=(), converter=_strs)
    """The names of the attached files (their content is not kept)."""
    clients: tuple[ClientRef, ...] = attrs.field(default=(), converter=_refs)
    """The leads, contacts and accounts it concerns."""
    activity_ids: tuple[str, ...] = attrs.field(default=(), converter=_strs)
    """The activities it belongs to."""
    created_by: str | None = None
    """The user who logged it."""

    def __attrs_post_init__(self) -> None:
        problems = []
        if not isinstance(self.direction, EmailDirection):
            problems.append(f"direction: must be in or out, got {shown(self.direction)}")
        problems += [
            p.replace("sender[0]", "sender", 1)
            for p in _address_problems("sender", (self.sender,), required=True)
        ]
        problems += _address_problems("to", self.to, required=True)
        problems += _address_problems("cc", self.cc, required=False)
        if not isinstance(self.subject, str) or len(self.subject) > MAX_SUBJECT:
            problems.append(f"subject: must be text of at most {MAX_SUBJECT} characters")
        if not isinstance(self.sent_at, datetime) or self.sent_at.utcoffset() is None:
            problems.append(
                f"sent_at: must be a timezone-aware datetime, got {shown(self.sent_at)}"
            )
        if not isinstance(self.excerpt, str) or len(self.excerpt) > MAX_EXCERPT:
            problems.append(f"excerpt: must be text of at most {MAX_EXCERPT} characters")
        for name, values in (
            ("attachments", self.attachments),
            ("clients", self.clients),
            ("activity_ids", self.activity_ids),
        ):
            if len(values) > MAX_ADDRESSES:
                problems.append(f"{name}: {len(values)} given, at most {MAX_ADDRESSES}")
        for i, attachment in enumerate(self.attachments[:MAX_ADDRESSES]):
            if not isinstance(attachment, str) or not attachment.strip():
                problems.append(f"attachments[{i}]: must be a file name, got {shown(attachment)}")
            elif len(attachment) > MAX_ATTACHMENT_NAME:
                problems.append(
                    f"attachments[{i}]: {len(attachment)} characters, at most {MAX_ATTACHMENT_NAME}"
                )
        for i, client in enumerate(self.clients[:MAX_ADDRESSES]):
            if not isinstance(client, ClientRef):
                problems.append(f"clients[{i}]: must be a ClientRef, got {shown(client)}")
        if problems:
            raise ValidationError("the e-mail is invalid", problems)

    def involves_client(self, client: ClientRef) -> bool:
        """Whether the e-mail is linked to ``client``."""
        return client in self.clients
