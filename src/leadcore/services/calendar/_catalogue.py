"""Activity types, statuses and calendar settings (``s.calendar``, the catalogue part)."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import TypeVar

import attrs

from leadcore import events as ev
from leadcore._arguments import checked_arguments
from leadcore._text import checks_text
from leadcore.calendar._model import (
    ActivityStatus,
    ActivityType,
    StatusMeaning,
)
from leadcore.calendar._settings import CalendarSettings
from leadcore.errors import NotFound, ValidationError
from leadcore.services.calendar._base import _CalendarBase
from leadcore.tenancy import Permission


@checks_text
@checked_arguments
class _TypesAndSettings(_CalendarBase):
    """Activity types, statuses and the calendar settings."""

    def types(self) -> builtins.list[ActivityType]:
        """The organisation's activity types, in order."""
        with self._work() as w:
            return list(self._catalogue(w.uow, w.org).types)

    def statuses(self) -> builtins.list[ActivityStatus]:
        """The organisation's activity statuses, in order."""
        with self._work() as w:
            return list(self._catalogue(w.uow, w.org).statuses)

    def settings(self) -> CalendarSettings:
        """The organisation's calendar settings."""
        with self._work() as w:
            return self._catalogue(w.uow, w.org).settings

    def save_type(self, activity_type: ActivityType) -> ActivityType:
        """Add an activity type, or replace the one with its id (needs ``manage_calendar``)."""
        if not isinstance(activity_type, ActivityType):
            raise ValidationError(
                "cannot save the activity type",
                [f"activity_type: must be an ActivityType, got {activity_type!r}"],
            )
        with self._work(Permission.MANAGE_CALENDAR, "manage activity types") as w:
            cat = self._catalogue(w.uow, w.org)
            types = _put_by_id(cat.types, activity_type)
            self._check_types(types)
            self._seed(w, cat)
            w.uow.calendar.put_types(w.org, types)
            w.emit(ev.CalendarSettingsChanged, fields=["types"])
            w.uow.commit()
        return activity_type

    def remove_type(self, type_id: str) -> None:
        """Remove an activity type no activity uses (needs ``manage_calendar``)."""
        with self._work(Permission.MANAGE_CALENDAR, "manage activity types") as w:
            cat = self._catalogue(w.uow, w.org)
            if cat.type(type_id) is None:
                raise NotFound("activity type", type_id)
            if w.uow.calendar.in_use(w.org, type_id=type_id):
                raise ValidationError(
                    f"cannot remove activity type {type_id!r}",
                    ["activities have this type; change their type first"],
                )
            types = [t for t in cat.types if t.id != type_id]
            self._check_types(types)
            self._seed(w, cat)
            w.uow.calendar.put_types(w.org, types)
            w.emit(ev.CalendarSettingsChanged, fields=["types"])
            w.uow.commit()

    @staticmethod
    def _check_types(types: Sequence[ActivityType]) -> None:
        ids = {t.id for t in types}
        problems = [
            f"types[{i}].next_type_id: {t.next_type_id!r} is not an activity type"
            for i, t in enumerate(types)
            if t.next_type_id is not None and t.next_type_id not in ids
        ]
        if not types:
            problems.append("types: keep at least one activity type")
        if problems:
            raise ValidationError("the activity types are invalid", problems)

    def save_status(self, status: ActivityStatus) -> ActivityStatus:
        """Add an activity status, or replace the one with its id (needs ``manage_calendar``)."""
        if not isinstance(status, ActivityStatus):
            raise ValidationError(
                "cannot save the activity status",
                [f"status: must be an ActivityStatus, got {status!r}"],
            )
        with self._work(Permission.MANAGE_CALENDAR, "manage activity statuses") as w:
            cat = self._catalogue(w.uow, w.org)
            statuses = _put_by_id(cat.statuses, status)
            self._check_statuses(statuses)
            self._seed(w, cat)
            w.uow.calendar.put_statuses(w.org, statuses)
            w.emit(ev.CalendarSettingsChanged, fields=["statuses"])
            w.uow.commit()
        return status

    def remove_status(self, status_id: str) -> None:
        """Remove an activity status no activity uses (needs ``manage_calendar``)."""
        with self._work(Permission.MANAGE_CALENDAR, "manage activity statuses") as w:
            cat = self._catalogue(w.uow, w.org)
            if cat.status(status_id) is None:
                raise NotFound("activity status", status_id)
            if w.uow.calendar.in_use(w.org, status_id=status_id):
                raise ValidationError(
                    f"cannot remove activity status {status_id!r}",
                    ["activities (or edited occurrences) have this status; change it first"],
                )
            statuses = [s for s in cat.statuses if s.id != status_id]
            self._check_statuses(statuses)
            self._seed(w, cat)
            w.uow.calendar.put_statuses(w.org, statuses)
            w.emit(ev.CalendarSettingsChanged, fields=["statuses"])
            w.uow.commit()

    @staticmethod
    def _check_statuses(statuses: Sequence[ActivityStatus]) -> None:
        if not any(s.meaning is StatusMeaning.OPEN for s in statuses):
            raise ValidationError(
                "the activity statuses are invalid",
                ["statuses: keep at least one open status (new activities take the first one)"],
            )

    def set_settings(self, settings: CalendarSettings) -> CalendarSettings:
        """Replace the calendar settings (needs ``manage_calendar``)."""
        if not isinstance(settings, CalendarSettings):
            raise ValidationError(
                "invalid calendar settings",
                [f"settings: must be CalendarSettings, got {settings!r}"],
            )
        problems = settings.problems()
        if problems:
            raise ValidationError("invalid calendar settings", problems)
        with self._work(Permission.MANAGE_CALENDAR, "change calendar settings") as w:
            for user_id in settings.working_hours:
                self._user(w, user_id)
            old = self._catalogue(w.uow, w.org).settings
            w.uow.calendar.put_settings(w.org, settings)
            changed = [
                f.name
                for f in attrs.fields(CalendarSettings)
                if getattr(old, f.name) != getattr(settings, f.name)
            ]
            if changed:
                w.emit(ev.CalendarSettingsChanged, fields=changed)
            w.uow.commit()
        return settings


_I = TypeVar("_I", ActivityType, ActivityStatus)


def _put_by_id(items: Sequence[_I], item: _I) -> list[_I]:
    """``items`` with ``item`` replacing the one of the same id in place, or appended."""
    out = list(items)
    for i, existing in enumerate(out):
        if existing.id == item.id:
            out[i] = item
            return out
    out.append(item)
    return out
