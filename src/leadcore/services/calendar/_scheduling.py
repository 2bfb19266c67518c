"""Scheduling, changing, status changes and cancelling of activities (``s.calendar``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

import attrs

from leadcore import events as ev
from leadcore._arguments import checked_arguments
from leadcore._text import checks_text
from leadcore.calendar._availability import Conflict
from leadcore.calendar._model import (
    Activity,
    Privacy,
    Recurrence,
    StatusMeaning,
    When,
)
from leadcore.calendar._outcomes import Booking
from leadcore.calendar._recurrence import split_series
from leadcore.errors import ValidationError
from leadcore.services._shared import (
    Writer,
    retry_on_conflict,
)
from leadcore.services.calendar._base import (
    _ATTEMPTS,
    UNSET,
    ClientInput,
    _CalendarBase,
    _changed,
    _recurrence,
    _Unset,
    _utc,
)


@checks_text
@checked_arguments
class _Scheduling(_CalendarBase):
    """Schedule, read, change, move to a status and cancel activities."""

    def create(
        self,
        title: str,
        *,
        start: When,
        end: When,
        tz: str | None = None,
        type_id: str | None = None,
        status_id: str | None = None,
        responsible_user_id: str | None = None,
        user_ids: Sequence[str] = (),
        client: ClientInput | None = None,
        contact_id: str | None = None,
        more_clients: Sequence[ClientInput] = (),
        location: str = "",
        notes: str = "",
        privacy: Privacy | str = Privacy.PUBLIC,
        reminders: Sequence[timedelta] = (),
        recurrence: Recurrence | str | None = None,
    ) -> Booking:
        """Put an activity in the calendar.

        ``start``/``end`` are aware datetimes, or dates for an all-day
        activity (``end`` exclusive). ``tz`` (an IANA name) defaults to the
        zone of ``start`` if it is a :class:`~zoneinfo.ZoneInfo`, else the
        responsible user's, else the organisation's. The responsible user
        (default: the acting user) must be an active user of the
        organisation; clients are leads, contacts or accounts of it
        (:class:`~leadcore.calendar.ClientRef`, ``"lead:lead-7"`` or a bare
        id). ``type_id`` defaults to the first type, ``status_id`` to the
        first open status. Participants' conflicts are checked (a repeating
        activity for a year ahead): rejected with :class:`ScheduleConflict`
        or reported in :attr:`Booking.conflicts`, as the organisation's
        settings say.
        """

        def run() -> Booking:
            with self._work() as w:
                booking = self._schedule(
                    w,
                    title=title,
                    start=start,
                    end=end,
                    tz=tz,
                    type_id=type_id,
                    status_id=status_id,
                    responsible_user_id=responsible_user_id,
                    user_ids=user_ids,
                    client=client,
                    contact_id=contact_id,
                    more_clients=more_clients,
                    location=location,
                    notes=notes,
                    privacy=privacy,
                    reminders=reminders,
                    recurrence=recurrence,
                )
                w.uow.commit()
                return booking

        # Two first uses storing the default types at once: run again to see them.
        return retry_on_conflict(run, _ATTEMPTS)

    def _schedule(
        self,
        w: Writer,
        *,
        title: str,
        start: When,
        end: When,
        tz: str | None,
        type_id: str | None,
        status_id: str | None,
        responsible_user_id: str | None,
        user_ids: Sequence[str],
        client: ClientInput | None,
        contact_id: str | None,
        more_clients: Sequence[ClientInput],
        location: str,
        notes: str,
        privacy: Privacy | str,
        reminders: Sequence[timedelta],
        recurrence: Recurrence | str | None,
    ) -> Booking:
        cat = self._catalogue(w.uow, w.org)
        rule = self._rule(w, cat.settings)
        responsible = responsible_user_id or w.actor.user.id
        first_open = cat.first(StatusMeaning.OPEN)
        assert first_open is not None  # the statuses always keep one
        refs = [self._client(w, c, f"more_clients[{i}]") for i, c in enumerate(more_clients)]
        activity = Activity(
            id=self._ctx.ids.new("activity"),
            organization_id=w.org,
            type_id=type_id or cat.types[0].id,
            status_id=status_id or first_open.id,
            title=title.strip() if isinstance(title, str) else title,
            notes=notes,
            responsible_user_id=responsible,
            user_ids=user_ids,
            client=self._client(w, client, "client") if client is not None else None,
            contact_id=contact_id,
            more_clients=refs,
            location=location,
            start=start,
            end=end,
            tz=self._time_zone(w, start, tz, responsible),
            privacy=privacy,
            reminders=reminders,
            recurrence=_recurrence(recurrence),
        )
        self._check_refs(w, cat, activity, None)
        self._may_hold(w, rule, activity)
        found = self._conflicts(w, cat, rule, activity)
        self._enforce(w, cat, found)
        self._seed(w, cat)
        w.uow.calendar.add(activity)
        self._scheduled(w, activity, len(found), "schedule")
        return Booking(activity, found)

    def get(self, activity_id: str) -> Activity:
        """One activity the user may see (``NotFound`` for any other)."""
        with self._work() as w:
            cat = self._catalogue(w.uow, w.org)
            return self._visible(w, self._rule(w, cat.settings), activity_id)

    def update(
        self,
        activity_id: str,
        *,
        title: str | _Unset = UNSET,
        notes: str | _Unset = UNSET,
        location: str | _Unset = UNSET,
        type_id: str | _Unset = UNSET,
        responsible_user_id: str | _Unset = UNSET,
        user_ids: Sequence[str] | _Unset = UNSET,
        client: ClientInput | _Unset | None = UNSET,
        contact_id: str | _Unset | None = UNSET,
        more_clients: Sequence[ClientInput] | _Unset = UNSET,
        privacy: Privacy | str | _Unset = UNSET,
        reminders: Sequence[timedelta] | _Unset = UNSET,
        occurrence: When | None = None,
        following: bool = False,
        expected_version: int | None = None,
    ) -> Booking:
        """Change an activity's details; what is not given stays as it is.

        With ``occurrence`` (the original start of one occurrence of a
        series), only that occurrence changes, and only its title, notes and
        location may; with ``following=True`` too, that occurrence and the
        later ones become a new series (:attr:`Booking.activity`) with the
        changes, and the original ends before it (:attr:`Booking.previous`).
        New participants are checked for conflicts.
        """
        changes: dict[str, object] = {
            name: value
            for name, value in (
                ("title", title),
                ("notes", notes),
                ("location", location),
                ("type_id", type_id),
                ("responsible_user_id", responsible_user_id),
                ("user_ids", user_ids),
                ("client", client),
                ("contact_id", contact_id),
                ("more_clients", more_clients),
                ("privacy", privacy),
                ("reminders", reminders),
            )
            if value is not UNSET
        }
        if isinstance(changes.get("title"), str):
            changes["title"] = str(changes["title"]).strip()
        with self._work() as w:
            cat = self._catalogue(w.uow, w.org)
            rule = self._rule(w, cat.settings)
            old = self._visible(w, rule, activity_id)
            self._check_version(old, expected_version)
            if not isinstance(client, _Unset) and client is not None:
                changes["client"] = self._client(w, client, "client")
            if not isinstance(more_clients, _Unset):
                changes["more_clients"] = [
                    self._client(w, c, f"more_clients[{i}]") for i, c in enumerate(more_clients)
                ]
            if occurrence is not None and not following:
                one_only = {"title", "notes", "location"}
                extra = sorted(set(changes) - one_only)
                if extra:
                    raise ValidationError(
                        f"activity {old.id!r}: cannot change one occurrence",
                        [
                            f"{name}: only title, notes and location change for one "
                            "occurrence; change the series, or pass following=True"
                            for name in extra
                        ],
                    )
                self._occurrence(old, occurrence)
                new = self._edit(old, occurrence, **changes)
                saved = self._save(w, old, new)
                w.emit(
                    ev.ActivityUpdated,
                    activity_id=old.id,
                    fields=sorted(changes),
                    occurrence=_utc(occurrence, old),
                )
                w.uow.commit()
                return Booking(saved)
            head: Activity | None = None
            base = old
            if occurrence is not None:
                self._occurrence(old, occurrence)
                if not self._is_first(old, occurrence):
                    head, base = self._split(old, occurrence)
            new = attrs.evolve(base, **changes)  # type: ignore[arg-type]
            if head is None and not _changed(old, new):
                return Booking(old)  # nothing to change: no new version, no event
            self._check_refs(w, cat, new, base)
            self._may_hold(w, rule, new)
            found: tuple[Conflict, ...] = ()
            if set(new.participant_ids) - set(base.participant_ids):
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
            if head is None:
                saved = self._save(w, old, new)
                w.emit(ev.ActivityUpdated, activity_id=old.id, fields=_changed(old, new))
                w.uow.commit()
                return Booking(saved, found)
            kept = self._save(w, old, head)
            w.uow.calendar.add(new)
            assert occurrence is not None
            w.emit(
                ev.ActivityUpdated,
                activity_id=old.id,
                fields=_changed(base, new),
                occurrence=_utc(occurrence, old),
                following=True,
                new_activity_id=new.id,
            )
            w.uow.commit()
            return Booking(new, found, kept)

    def change_status(
        self,
        activity_id: str,
        status_id: str,
        *,
        occurrence: When | None = None,
        following: bool = False,
        expected_version: int | None = None,
    ) -> Activity:
        """Move an activity (or one occurrence, or it and the following ones) to a status.

        The event records the follow-up type the activity's type suggests
        when the new status completes it (``done`` or ``succeeded``).
        Returns the activity holding the changed occurrences.
        """
        with self._work() as w:
            cat = self._catalogue(w.uow, w.org)
            rule = self._rule(w, cat.settings)
            old = self._visible(w, rule, activity_id)
            self._check_version(old, expected_version)
            status = cat.status(status_id)
            if status is None:
                known = ", ".join(s.id for s in cat.statuses)
                raise ValidationError(
                    f"cannot change the status of activity {old.id!r}",
                    [f"status_id: {status_id!r} is not an activity status (known: {known})"],
                )
            head: Activity | None = None
            from_status = old.status_id
            if occurrence is not None and not following:
                self._occurrence(old, occurrence)
                current = old.recurrence.override_for(occurrence) if old.recurrence else None
                if current is not None and current.status_id is not None:
                    from_status = current.status_id
                value = None if status_id == old.status_id else status_id
                # A cancelled occurrence leaves views and availability, as cancel() does.
                dropped = status.meaning is StatusMeaning.CANCELLED
                edited = self._edit(old, occurrence, status_id=value, cancelled=dropped)
                saved = self._save(w, old, edited)
                result = saved
            else:
                base = old
                if occurrence is not None:
                    self._occurrence(old, occurrence)
                    if not self._is_first(old, occurrence):
                        head, base = self._split(old, occurrence)
                new = attrs.evolve(base, status_id=status_id)
                if head is None:
                    result = self._save(w, old, new)
                else:
                    self._save(w, old, head)
                    w.uow.calendar.add(new)
                    result = new
            kind = cat.type(old.type_id)
            suggested = (
                kind.next_type_id if kind is not None and status.meaning.is_completed else None
            )
            w.emit(
                ev.ActivityStatusChanged,
                activity_id=old.id,
                from_status=from_status,
                to_status=status_id,
                meaning=str(status.meaning),
                occurrence=_utc(occurrence, old) if occurrence is not None else None,
                following=head is not None,
                new_activity_id=result.id if head is not None else None,
                next_type_id=suggested,
            )
            w.uow.commit()
            return result

    def cancel(
        self,
        activity_id: str,
        *,
        occurrence: When | None = None,
        following: bool = False,
        status_id: str | None = None,
        expected_version: int | None = None,
    ) -> Activity:
        """Cancel an activity, one occurrence of a series, or it and the following ones.

        A whole activity takes a cancelled status (``status_id``, default the
        first status meaning cancelled) and stays in the calendar's records:
        views and availability leave it out, reports count it. One
        occurrence is marked cancelled; "this and the following" ends the
        series before the occurrence.
        """
        with self._work() as w:
            cat = self._catalogue(w.uow, w.org)
            rule = self._rule(w, cat.settings)
            old = self._visible(w, rule, activity_id)
            self._check_version(old, expected_version)
            if occurrence is not None:
                self._occurrence(old, occurrence)
            whole = occurrence is None or (following and self._is_first(old, occurrence))
            chosen: str | None = None
            if whole:
                status = cat.status(status_id) if status_id else cat.first(StatusMeaning.CANCELLED)
                if status is None or status.meaning is not StatusMeaning.CANCELLED:
                    cancelled = ", ".join(sorted(cat.cancelled_ids)) or "none"
                    raise ValidationError(
                        f"cannot cancel activity {old.id!r}",
                        [
                            f"status_id: {status_id!r} is not a cancelled status "
                            f"(cancelled statuses: {cancelled}; add one with save_status)"
                        ],
                    )
                chosen = status.id
                saved = self._save(w, old, attrs.evolve(old, status_id=status.id))
            elif following:
                assert occurrence is not None
                head, _ = split_series(old, occurrence, new_id=f"{old.id}-cancelled")
                saved = self._save(w, old, head)
            else:
                assert occurrence is not None
                saved = self._save(w, old, self._edit(old, occurrence, cancelled=True))
            w.emit(
                ev.ActivityCancelled,
                activity_id=old.id,
                occurrence=_utc(occurrence, old) if occurrence is not None else None,
                following=following and occurrence is not None,
                status_id=chosen,
            )
            w.uow.commit()
            return saved
