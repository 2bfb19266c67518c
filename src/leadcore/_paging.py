"""The one cursor of every keyset-paged list: lead lists, lead history, calendar search.

A list is ordered by an instant and an id (a lead's creation time, an
activity's start, a history entry's time); a page ends at the position of
its last item, and the next page starts after it. That position is the
:class:`Cursor` a page hands out as ``.next`` and a call takes back as
``after=``. ``str(cursor)`` is an opaque token fit for a URL;
:meth:`Cursor.parse` reads one back.

>>> from datetime import UTC, datetime
>>> cursor = Cursor(datetime(2026, 3, 2, 9, tzinfo=UTC), "lead-7")
>>> Cursor.parse(str(cursor)) == cursor
True
"""

from __future__ import annotations

import base64
import binascii
import warnings
from datetime import datetime
from typing import Protocol

import attrs

from leadcore.errors import ValidationError

__all__ = ["Cursor", "cursor_argument"]


class _Dated(Protocol):
    @property
    def created_at(self) -> datetime: ...

    @property
    def id(self) -> str: ...


def _old_name(old: str, new: str) -> None:
    warnings.warn(
        f"Cursor.{old} is renamed Cursor.{new}; the old name will be removed in the next release",
        DeprecationWarning,
        stacklevel=3,
    )


@attrs.frozen
class Cursor:
    """Where the next page starts: the position of the last item of a page.

    Pass a page's ``.next`` as ``after=`` for the next page. ``str(cursor)``
    is an opaque token (URL-safe); :meth:`parse` turns it back into a cursor.
    """

    at: datetime
    """The instant the list is ordered by, of the page's last item."""
    id: str
    """The id of the page's last item."""

    @property
    def position(self) -> tuple[datetime, str]:
        """``(at, id)``, as the list compares positions."""
        return self.at, self.id

    def before(self, lead: _Dated) -> bool:
        """Whether ``lead`` comes after this position in a newest-first lead list."""
        return (lead.created_at, lead.id) < (self.at, self.id)

    @property
    def created_at(self) -> datetime:
        """Deprecated name of :attr:`at` (one release)."""
        _old_name("created_at", "at")
        return self.at

    @property
    def lead_id(self) -> str:
        """Deprecated name of :attr:`id` (one release)."""
        _old_name("lead_id", "id")
        return self.id

    def __str__(self) -> str:
        raw = f"{self.at.isoformat()}|{self.id}".encode()
        return base64.urlsafe_b64encode(raw).decode("ascii")

    @classmethod
    def parse(cls, token: str, *, path: str = "after") -> Cursor:
        """The cursor ``str(cursor)`` gave; ``ValidationError`` naming ``path`` otherwise."""
        try:
            raw = base64.urlsafe_b64decode(token.encode("ascii")).decode()
            when, ident = raw.split("|", 1)
            at = datetime.fromisoformat(when)
            if at.tzinfo is None:
                raise ValueError("naive")
        except (ValueError, UnicodeError, binascii.Error, AttributeError):
            raise ValidationError(
                "the cursor is invalid",
                [f"{path}: {token!r} is not a cursor returned by an earlier page"],
            ) from None
        return cls(at, ident)


def cursor_argument(
    after: Cursor | str | None, *, where: str, problem: str = "the cursor is invalid"
) -> Cursor | None:
    """``after`` as a cursor; a token string is read with a ``DeprecationWarning`` (one release).

    ``where`` names the call in the warning (``"search"``); a string that is
    no token raises ``ValidationError`` with the message ``problem``.
    """
    if after is None or isinstance(after, Cursor):
        return after
    if isinstance(after, str):
        try:
            cursor = Cursor.parse(after)
        except ValidationError as error:
            raise ValidationError(problem, error.problems) from None
        warnings.warn(
            f"{where}(after=<str>) takes a Cursor (page.next, or Cursor.parse(token)); "
            "the string form will be removed in the next release",
            DeprecationWarning,
            stacklevel=3,
        )
        return cursor
    raise ValidationError(problem, [f"after: {after!r} is not a cursor (pass page.next)"])
