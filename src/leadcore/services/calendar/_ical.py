"""iCalendar export and import of calendars (``s.calendar``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import attrs

from leadcore import events as ev
from leadcore._arguments import checked_arguments
from leadcore._text import MAX_DOCUMENT, checks_text, text_limits
from leadcore.calendar._availability import Conflict
from leadcore.calendar._ical import IcsImport, export_source, from_ics, to_ics
from leadcore.calendar._ical_import import same_instants
from leadcore.calendar._ical_zones import iana_zone
from leadcore.calendar._model import Activity
from leadcore.calendar._outcomes import CalendarImport
from leadcore.errors import Forbidden, NotFound, ValidationError
from leadcore.ids import is_valid_id
from leadcore.services._shared import (
    Writer,
    retry_on_conflict,
)
from leadcore.services.calendar._base import (
    _ATTEMPTS,
    ClientInput,
    Rule,
    _aware_problem,
    _CalendarBase,
    _Catalogue,
    _changed,
)


@checks_text
@checked_arguments
class _Ical(_CalendarBase):
    """iCalendar export and import."""

    @staticmethod
    def _source(w: Writer) -> str | None:
        org = w.uow.organizations.get(w.org)
        return None if org is None else export_source(org.id, org.created_at)

    @staticmethod
    def _addresses(w: Writer) -> dict[str, str]:
        return {u.id: f"mailto:{u.email}" for u in w.uow.users.list(w.org) if u.email}

    def export_ics(
        self,
        *,
        user_id: str | None = None,
        client: ClientInput | None = None,
        activity_id: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        name: str | None = None,
    ) -> str:
        """A calendar as iCalendar text (needs the ``ical`` extra).

        Give one of ``user_id`` (a user's calendar; the default is the acting
        user's), ``client`` (a client's timeline) or ``activity_id`` (one
        activity). ``start``/``end`` keep the activities that may take place
        in that range. Activities the user may not see are exported as busy
        time only.
        """
        chosen = [
            n
            for n, v in (("user_id", user_id), ("client", client), ("activity_id", activity_id))
            if v is not None
        ]
        if len(chosen) > 1:
            raise ValidationError(
                "the export is invalid",
                [f"{', '.join(chosen)}: give one of user_id, client or activity_id"],
            )
        problems = [
            p
            for p in (
                _aware_problem("start", start) if start is not None else None,
                _aware_problem("end", end) if end is not None else None,
            )
            if p
        ]
        if problems:
            raise ValidationError("the export is invalid", problems)
        with self._work() as w:
            cat = self._catalogue(w.uow, w.org)
            rule = self._rule(w, cat.settings)
            activities: Sequence[Activity]
            if activity_id is not None:
                activities = [self._visible(w, rule, activity_id)]
            elif client is not None:
                ref = self._client(w, client, "client")
                activities = w.uow.calendar.activities_between(w.org, start, end, clients=[ref])
            else:
                who = self._user(w, user_id or w.actor.user.id)
                activities = w.uow.calendar.activities_between(w.org, start, end, user_ids=[who.id])
            return to_ics(
                activities,
                cat.statuses,
                now=w.now,
                visible=rule,
                addresses=self._addresses(w),
                name=name,
                source=self._source(w),
            )

    @text_limits(text=MAX_DOCUMENT)
    def import_ics(
        self,
        text: str | bytes,
        *,
        type_id: str | None = None,
        responsible_user_id: str | None = None,
        default_tz: str | None = None,
    ) -> CalendarImport:
        """Import the events of an iCalendar file (needs the ``ical`` extra).

        ``text`` is UTF-8 (bytes may start with a byte-order mark). Events
        this organisation exported keep their type, status, users and
        clients; others take ``type_id`` (default: the first type), a status
        from their STATUS, as responsible user the one whose e-mail address
        is their ORGANIZER's (else an ATTENDEE's, else
        ``responsible_user_id``, default: the acting user), and
        ``default_tz`` for floating times (default: the acting user's zone).
        A UID imported before updates the activity it made (see
        :class:`CalendarImport`). Each event is checked as :meth:`create`
        checks an activity, conflicts included; one that fails is reported
        and the others are still imported. A file that is not UTF-8 or not
        iCalendar raises :class:`~leadcore.errors.ValidationError` and
        imports nothing. Two imports of one file at once make its activities
        once: the later one runs again and finds them.
        """

        def run() -> CalendarImport:
            return self._import(text, type_id, responsible_user_id, default_tz)

        return retry_on_conflict(run, _ATTEMPTS)

    def _import(
        self,
        text: str | bytes,
        type_id: str | None,
        responsible_user_id: str | None,
        default_tz: str | None,
    ) -> CalendarImport:
        with self._work() as w:
            cat = self._catalogue(w.uow, w.org)
            rule = self._rule(w, cat.settings)
            if type_id is not None and cat.type(type_id) is None:
                raise ValidationError(
                    "the import is invalid", [f"type_id: {type_id!r} is not an activity type"]
                )
            if responsible_user_id is not None:
                self._user(w, responsible_user_id)
            if default_tz is not None and iana_zone(default_tz) is None:
                raise ValidationError(
                    "the import is invalid",
                    [
                        f"default_tz: {default_tz!r} is not an IANA time zone "
                        "(such as 'Europe/London')"
                    ],
                )
            parsed = from_ics(
                text,
                organization_id=w.org,
                type_id=type_id or cat.types[0].id,
                statuses=cat.statuses,
                responsible_user_id=responsible_user_id or w.actor.user.id,
                addresses=self._addresses(w),
                user_ids=[u.id for u in w.uow.users.list(w.org)],
                type_ids=[t.id for t in cat.types],
                default_tz=default_tz or self._home_tz(w),
                source=self._source(w),
            )
            problems = [str(p) for p in parsed.problems]
            created: list[Activity] = []
            updated: list[Activity] = []
            unchanged: list[str] = []
            clashes: list[Conflict] = []
            added: list[Activity] = []
            known = w.uow.calendar.by_ical_uid(w.org, [a.id for a in parsed.activities])
            for incoming in parsed.activities:
                try:
                    target = known.get(incoming.id) or self._exported_here(w, incoming, parsed)
                    outcome = self._import_one(w, cat, rule, incoming, target, added)
                except (ValidationError, NotFound, Forbidden) as exc:
                    problems.append(f"UID {incoming.id!r}: {exc}")
                    continue
                kind, activity, found = outcome
                clashes.extend(found)
                if kind == "created":
                    created.append(activity)
                    added.append(activity)
                elif kind == "updated":
                    updated.append(activity)
                else:
                    unchanged.append(activity.id)
            if created or updated:
                self._seed(w, cat)
            w.uow.commit()
        return CalendarImport(
            tuple(created),
            tuple(updated),
            tuple(unchanged),
            tuple(problems),
            tuple(clashes),
            tuple(str(m) for m in parsed.mapped),
        )

    @staticmethod
    def _exported_here(w: Writer, incoming: Activity, parsed: IcsImport) -> Activity | None:
        """The activity of ours an event of this organisation's own export was written from."""
        if incoming.id not in parsed.exported_here or not is_valid_id(incoming.id):
            return None
        found = w.uow.calendar.get(w.org, incoming.id)
        # Only an activity made here exports its id as UID; one imported (this one
        # included) exports its file's UID, which ``by_ical_uid`` finds.
        return found if found is not None and found.ical_uid is None else None

    def _import_one(
        self,
        w: Writer,
        cat: _Catalogue,
        rule: Rule,
        incoming: Activity,
        existing: Activity | None,
        added: Sequence[Activity],
    ) -> tuple[str, Activity, tuple[Conflict, ...]]:
        if existing is not None and not rule(existing):
            raise Forbidden(
                "this event was imported before as an activity you may not see; not imported"
            )
        if existing is not None:
            same = attrs.evolve(incoming, id=existing.id, version=existing.version)
            same = attrs.evolve(same, ical_uid=existing.ical_uid)
            if same == existing and same_instants(same, existing):
                return "unchanged", existing, ()
            self._check_refs(w, cat, same, existing)
            self._may_hold(w, rule, same)
            found = self._conflicts(w, cat, rule, same, before=[existing], others=added)
            self._enforce(w, cat, found)
            saved = self._save(w, existing, same)
            w.emit(ev.ActivityUpdated, activity_id=saved.id, fields=_changed(existing, saved))
            return "updated", saved, found
        # Ids are the organisation's own: a file's UID never becomes one.
        fresh = attrs.evolve(incoming, id=self._ctx.ids.new("activity"), version=1)
        self._check_refs(w, cat, fresh, None)
        self._may_hold(w, rule, fresh)
        found = self._conflicts(w, cat, rule, fresh, others=added)
        self._enforce(w, cat, found)
        w.uow.calendar.add(fresh)
        self._scheduled(w, fresh, len(found), "import")
        return "created", fresh, found
