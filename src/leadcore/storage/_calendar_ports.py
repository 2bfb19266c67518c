"""Repository port of the calendar (re-exported by :mod:`leadcore.storage.protocols`).

An activity is stored once, however often it repeats: a series is one record,
expanded by the service for the window a view asks. What an adapter needs to
answer a window query without expanding anything is the activity's *span*:
the first instant any occurrence can start and the last instant any can end
(``None`` for a series without end). :func:`activity_span` (from
:mod:`leadcore.calendar._span`) computes it; an SQL adapter keeps it in two
indexed columns, next to the participants and the linked clients. What a
window query asks is stated once, as the terms of an
:class:`~leadcore.calendar._terms.ActivityWindow`.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from leadcore.calendar._model import Activity, ActivityStatus, ActivityType, ClientRef
from leadcore.calendar._span import ActivitySpan, activity_span

if TYPE_CHECKING:
    from leadcore.calendar import CalendarSettings

__all__ = ["ActivitySpan", "CalendarRepository", "activity_span", "duplicate_uid"]


def duplicate_uid(uid: str) -> str:
    """The message of the ``ConflictError`` for a UID another activity holds."""
    return f"an activity with iCalendar UID {uid!r} already exists"


class CalendarRepository(Protocol):
    """Activities, activity types and statuses, and calendar settings of organisations.

    Activities are compared and replaced by ``version`` (compare-and-set), as
    leads are. Types, statuses and settings are ``None`` until the
    organisation first stores them; the service seeds its defaults then.
    """

    def add(self, activity: Activity) -> None:
        """Store a new activity; ``ConflictError`` if its id is taken in its organisation."""
        ...

    def get(self, organization_id: str, activity_id: str) -> Activity | None:
        """The activity, or ``None`` (also for another organisation's activity)."""
        ...

    def update(self, activity: Activity, *, expected_version: int) -> None:
        """Replace an activity if its stored ``version`` is ``expected_version``.

        ``ConflictError`` when the stored version differs, ``NotFound`` when
        the activity is not stored in ``activity.organization_id``.
        """
        ...

    def activities_between(
        self,
        organization_id: str,
        start: datetime | None,
        end: datetime | None,
        *,
        user_ids: Collection[str] | None = None,
        clients: Collection[ClientRef] | None = None,
    ) -> Sequence[Activity]:
        """Activities whose span (see :func:`activity_span`) may overlap ``[start, end)``.

        ``None`` leaves that side open. With ``user_ids``, only activities one
        of these users takes part in (responsible or other user); with
        ``clients``, only activities linked to one of these clients (see
        :meth:`Activity.involves_client <leadcore.calendar.Activity.involves_client>`).
        Ordered by the span's first instant, then id. A series whose span
        overlaps the window comes back whole: expanding it is the caller's job.
        """
        ...

    def in_use(
        self, organization_id: str, *, type_id: str | None = None, status_id: str | None = None
    ) -> bool:
        """Whether some activity (or edited occurrence) has this type or this status."""
        ...

    def by_ical_uid(self, organization_id: str, uids: Collection[str]) -> Mapping[str, Activity]:
        """The activities imported from these iCalendar UIDs, by UID (those found only).

        Matches :attr:`Activity.ical_uid <leadcore.calendar.Activity.ical_uid>`
        exactly (case and spaces count), in ``organization_id`` only. A UID is
        held by one activity of an organisation at most: :meth:`add` and
        :meth:`update` raise ``ConflictError`` (:func:`duplicate_uid`) for a
        UID another activity holds, and of two units of work that give one UID
        to two activities, the second to commit is refused with
        ``ConflictError``.
        """
        ...

    def types(self, organization_id: str) -> Sequence[ActivityType] | None:
        """The organisation's activity types in their order, or ``None`` if never stored."""
        ...

    def put_types(self, organization_id: str, types: Sequence[ActivityType]) -> None:
        """Store the organisation's activity types (the whole list, in order)."""
        ...

    def statuses(self, organization_id: str) -> Sequence[ActivityStatus] | None:
        """The organisation's activity statuses in their order, or ``None`` if never stored."""
        ...

    def put_statuses(self, organization_id: str, statuses: Sequence[ActivityStatus]) -> None:
        """Store the organisation's activity statuses (the whole list, in order)."""
        ...

    def settings(self, organization_id: str) -> CalendarSettings | None:
        """The organisation's calendar settings, or ``None`` when it keeps the defaults."""
        ...

    def put_settings(self, organization_id: str, settings: CalendarSettings) -> None:
        """Store the organisation's calendar settings."""
        ...
