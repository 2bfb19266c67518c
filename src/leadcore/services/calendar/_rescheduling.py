"""Moving activities, one occurrence, or one occurrence and the following ones."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import attrs

from leadcore import events as ev
from leadcore._arguments import checked_arguments
from leadcore._limits import load_zone
from leadcore._text import checks_text
from leadcore.calendar._instants import later
from leadcore.calendar._model import (
    Activity,
    Recurrence,
    When,
)
from leadcore.calendar._outcomes import Booking
from leadcore.calendar._series import key_of
from leadcore.calendar._shifting import shifted
from leadcore.errors import ValidationError
from leadcore.services._shared import Writer
from leadcore.services.calendar._base import (
    UNSET,
    _aware_problem,
    _CalendarBase,
    _is_aware,
    _recurrence,
    _Unset,
    _utc,
    _zone_of,
)


@checks_text
@checked_arguments
class _Rescheduling(_CalendarBase):
    """Move an activity, one occurrence, or it and the following ones."""

    def reschedule(
        self,
        activity_id: str,
        start: When,
        end: When | None = None,
        *,
        tz: str | None = None,
        recurrence: Recurrence | str | _Unset | None = UNSET,
        occurrence: When | None = None,
        following: bool = False,
        expected_version: int | None = None,
    ) -> Booking:
        """Move an activity, one occurrence, or one occurrence and the following ones.

        ``end`` defaults to keeping the duration. Moving a whole series moves
        its exclusions, extra dates and edited occurrences along by the same
        wall-clock difference, unless ``recurrence`` gives the new one (or
        ``None``, to stop repeating). With ``occurrence`` (an original
        start), only that occurrence moves; with ``following=True`` too, it
        and the later ones move as a new series. Conflicts the move
        introduces are checked as when scheduling.
        """
        with self._work() as w:
            cat = self._catalogue(w.uow, w.org)
            rule = self._rule(w, cat.settings)
            old = self._visible(w, rule, activity_id)
            self._check_version(old, expected_version)
            if occurrence is not None and not following:
                self._occurrence(old, occurrence)
                if recurrence is not UNSET or tz is not None:
                    raise ValidationError(
                        f"activity {old.id!r}: cannot move one occurrence",
                        ["recurrence, tz: change them for the series, or pass following=True"],
                    )
                # As instants: ``==`` would take 01:30 of the repeated hour's second
                # run for the first one's, and drop the move.
                same = (
                    key_of(start) == key_of(occurrence)
                    if _is_aware(start) and _is_aware(occurrence)
                    else start == occurrence
                )
                new = self._edit(
                    old, occurrence, start=None if same and end is None else start, end=end
                )
                found = self._conflicts(w, cat, rule, new, before=[old])
                self._enforce(w, cat, found)
                saved = self._save(w, old, new)
                w.emit(
                    ev.ActivityRescheduled,
                    activity_id=old.id,
                    start=_utc(start, old),
                    end=_end_at(old, start, end),
                    occurrence=_utc(occurrence, old),
                    conflicts=len(found),
                )
                w.uow.commit()
                return Booking(saved, found)
            head: Activity | None = None
            base = old
            if occurrence is not None:
                self._occurrence(old, occurrence)
                if not self._is_first(old, occurrence):
                    head, base = self._split(old, occurrence)
            new = self._moved(w, base, start, end, tz, recurrence)
            self._may_hold(w, rule, new)
            found = self._conflicts(
                w,
                cat,
                rule,
                new,
                before=[base],
                others=[head] if head is not None else [],
                skip_ids=[old.id] if head is not None else [],
            )
            self._enforce(w, cat, found)
            kept: Activity | None = None
            if head is None:
                saved = self._save(w, old, new)
            else:
                kept = self._save(w, old, head)
                w.uow.calendar.add(new)
                saved = new
            w.emit(
                ev.ActivityRescheduled,
                activity_id=old.id,
                start=_utc(saved.start, saved),
                end=_utc(saved.end, saved),
                occurrence=_utc(occurrence, old) if occurrence is not None else None,
                following=head is not None,
                new_activity_id=new.id if head is not None else None,
                conflicts=len(found),
            )
            w.uow.commit()
            return Booking(saved, found, kept)

    def _moved(
        self,
        w: Writer,
        activity: Activity,
        start: When,
        end: When | None,
        tz: str | None,
        recurrence: Recurrence | str | _Unset | None,
    ) -> Activity:
        where = f"activity {activity.id!r}: cannot move it"
        new_tz = tz or _zone_of(start) or activity.tz
        all_day = not isinstance(start, datetime)
        if end is None:
            if all_day != activity.all_day:
                raise ValidationError(
                    where, ["end: give the end when changing between all-day and timed"]
                )
            if isinstance(start, datetime) and isinstance(activity.start, datetime):
                end = later(start, activity.duration)
            elif isinstance(start, date):
                end = start + timedelta(days=activity.duration.days)
        rec: Recurrence | None
        if recurrence is not UNSET:
            rec = _recurrence(recurrence)
        elif activity.recurrence is None:
            rec = None
        else:
            old_rec = activity.recurrence
            zone, problem = load_zone(new_tz)
            if zone is None:
                raise ValidationError(where, [f"tz: {problem}"])
            if all_day != activity.all_day:
                if old_rec.exdates or old_rec.rdates or old_rec.overrides:
                    raise ValidationError(
                        where,
                        [
                            "recurrence: between all-day and timed, exclusions and edits "
                            "cannot move along; give the new recurrence"
                        ],
                    )
                rec = Recurrence(old_rec.rule)
            elif isinstance(start, datetime):
                problem = _aware_problem("start", start)
                if problem is not None:
                    raise ValidationError(where, [problem])
                assert isinstance(activity.start, datetime)
                old_wall = activity.start.replace(tzinfo=None)
                new_wall = start.astimezone(zone).replace(tzinfo=None)
                rec = shifted(old_rec, new_wall - old_wall, activity.zone, zone)
            else:
                assert isinstance(activity.start, date)
                rec = shifted(old_rec, start - activity.start, activity.zone, zone)
        assert end is not None
        return attrs.evolve(activity, start=start, end=end, tz=new_tz, recurrence=rec)


def _end_at(activity: Activity, start: When, end: When | None) -> datetime:
    """The end, as an instant, of an occurrence of ``activity`` moved to ``start``."""
    if end is not None:
        return _utc(end, activity)
    if isinstance(start, datetime):
        return _utc(start, activity) + activity.duration
    return _utc(start + timedelta(days=activity.duration.days), activity)
