"""The memory repository of the calendar (wired into :class:`MemoryUnitOfWork`).

Each organisation has one table of activity rows. A row keeps, beside the
activity, what a window query filters on: the span (computed once, when the
activity is written), the participants and the linked clients. A query scans
the organisation's rows; a series is one row however long it runs.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

import attrs

from leadcore.calendar._model import Activity, ActivityStatus, ActivityType, ClientRef
from leadcore.calendar._terms import ActivityWindow, checker
from leadcore.errors import ConflictError, NotFound
from leadcore.storage._calendar_ports import ActivitySpan, activity_span, duplicate_uid
from leadcore.storage._memory_tx import Repo

if TYPE_CHECKING:
    from leadcore.calendar import CalendarSettings

__all__ = ["MemoryCalendar"]


@attrs.frozen
class _Row:
    activity: Activity
    span: ActivitySpan


def _row(activity: Activity) -> _Row:
    return _Row(activity, activity_span(activity))


def _order(row: _Row) -> tuple[datetime, str]:
    return row.span.first, row.activity.id


class MemoryCalendar(Repo[_Row]):
    """Activities (one row per activity, series included), types, statuses and settings."""

    table, kind = "calendar_activities", "activity"
    _CATALOGUE = "calendar_catalogue"
    # iCalendar UID -> activity id, per organisation: one activity per UID. Two units of
    # work claiming one UID both write its row, and the second commit is refused.
    _UIDS = "calendar_ical_uids"

    def _claim(self, activity: Activity, old: Activity | None) -> None:
        org, uid = activity.organization_id, activity.ical_uid
        before = None if old is None else old.ical_uid
        if uid == before:
            return
        if uid is not None:
            holder = self._tx.read(self._UIDS, org, uid)
            if holder is not None and holder != activity.id:
                raise ConflictError(duplicate_uid(uid))
            self._tx.write(self._UIDS, org, uid, activity.id)
        if before is not None:
            self._tx.delete(self._UIDS, org, before)

    def add(self, activity: Activity) -> None:
        """Store a new activity; ``ConflictError`` if its id or its ``ical_uid`` is taken."""
        if self._get(activity.organization_id, activity.id) is None:
            self._claim(activity, None)
        self._add(activity.organization_id, activity.id, _row(activity))

    def get(self, organization_id: str, activity_id: str) -> Activity | None:
        """The activity, or ``None``."""
        row = self._get(organization_id, activity_id)
        return None if row is None else row.activity

    def update(self, activity: Activity, *, expected_version: int) -> None:
        """Compare-and-set on ``version``."""
        org = activity.organization_id
        stored = self._get(org, activity.id)
        if stored is None:
            raise NotFound(self.kind, activity.id)
        if stored.activity.version != expected_version:
            raise ConflictError(
                f"activity {activity.id!r} is at version {stored.activity.version}, "
                f"not {expected_version}: it was changed meanwhile"
            )
        self._claim(activity, stored.activity)
        self._tx.write(self.table, org, activity.id, _row(activity))

    def activities_between(
        self,
        organization_id: str,
        start: datetime | None,
        end: datetime | None,
        *,
        user_ids: Collection[str] | None = None,
        clients: Collection[ClientRef] | None = None,
    ) -> list[Activity]:
        """Activities whose span may overlap the window, by span start, then id."""
        check = checker(ActivityWindow(start, end, user_ids=user_ids, clients=clients).terms)
        rows: list[_Row] = [
            row
            for row in self._tx.scan(self.table, organization_id)
            if check(row.activity, row.span)
        ]
        rows.sort(key=_order)
        return [row.activity for row in rows]

    def in_use(
        self, organization_id: str, *, type_id: str | None = None, status_id: str | None = None
    ) -> bool:
        """Whether an activity or an edited occurrence uses the type or the status."""
        for row in self._tx.scan(self.table, organization_id):
            a = row.activity
            if type_id is not None and a.type_id == type_id:
                return True
            if status_id is not None:
                if a.status_id == status_id:
                    return True
                overrides = a.recurrence.overrides if a.recurrence is not None else ()
                if any(o.status_id == status_id for o in overrides):
                    return True
        return False

    def by_ical_uid(self, organization_id: str, uids: Collection[str]) -> dict[str, Activity]:
        """The activities imported from these UIDs, by UID."""
        found: dict[str, Activity] = {}
        for uid in dict.fromkeys(uids):
            activity_id = self._tx.read(self._UIDS, organization_id, uid)
            row = None if activity_id is None else self._get(organization_id, activity_id)
            if row is not None:
                found[uid] = row.activity
        return found

    def types(self, organization_id: str) -> Sequence[ActivityType] | None:
        """The stored types, or ``None``."""
        found: tuple[ActivityType, ...] | None = self._tx.read(
            self._CATALOGUE, organization_id, "types"
        )
        return found

    def put_types(self, organization_id: str, types: Sequence[ActivityType]) -> None:
        """Store the types."""
        self._tx.write(self._CATALOGUE, organization_id, "types", tuple(types))

    def statuses(self, organization_id: str) -> Sequence[ActivityStatus] | None:
        """The stored statuses, or ``None``."""
        found: tuple[ActivityStatus, ...] | None = self._tx.read(
            self._CATALOGUE, organization_id, "statuses"
        )
        return found

    def put_statuses(self, organization_id: str, statuses: Sequence[ActivityStatus]) -> None:
        """Store the statuses."""
        self._tx.write(self._CATALOGUE, organization_id, "statuses", tuple(statuses))

    def settings(self, organization_id: str) -> CalendarSettings | None:
        """The stored settings, or ``None``."""
        found: CalendarSettings | None = self._tx.read(self._CATALOGUE, organization_id, "settings")
        return found

    def put_settings(self, organization_id: str, settings: CalendarSettings) -> None:
        """Store the settings."""
        self._tx.write(self._CATALOGUE, organization_id, "settings", settings)
