"""A calendar search's filters stated once, as terms every adapter reads.

An :class:`ActivityWindow` (what :meth:`CalendarRepository.activities_between
<leadcore.storage.protocols.CalendarRepository.activities_between>` is asked)
and an :class:`~leadcore.calendar.ActivityQuery` (what a search asks) describe
their filters as :class:`ActivityTerm` values: a field of the activity and
the value it is tested against. Python checks an activity by evaluating them
(:func:`holds`); a SQL adapter compiles the same values into its ``WHERE``
clause. One description, every reader: a filter cannot be added to one side
and forgotten on another.

>>> from datetime import UTC, datetime
>>> window = ActivityWindow(datetime(2026, 3, 2, tzinfo=UTC), None, user_ids={"dana"})
>>> [(t.field.value, t.value) for t in window.terms]
[('span', (datetime.datetime(2026, 3, 2, 0, 0, tzinfo=datetime.timezone.utc), None)), ('participant_ids', frozenset({'dana'}))]
"""  # noqa: E501

from __future__ import annotations

import enum
from collections.abc import Callable, Collection
from datetime import datetime
from typing import Any, Final, TypeAlias

import attrs

from leadcore.calendar._model import Activity, ClientRef
from leadcore.calendar._span import ActivitySpan, activity_span

__all__ = [
    "ActivityField",
    "ActivityTerm",
    "ActivityWindow",
    "Check",
    "checker",
    "holds",
    "text_matches",
]


class ActivityField(enum.Enum):
    """The attribute of an activity an :class:`ActivityTerm` tests, and how."""

    SPAN = "span"
    """The activity's span (see :func:`activity_span`) overlaps the value, a
    ``(start, end)`` pair of UTC instants (``None``: open on that side)."""
    PARTICIPANT_IDS = "participant_ids"
    """The responsible user or one of the other users is in the value (a set)."""
    CLIENTS = "clients"
    """A linked client or the contact is in the value (a set of :class:`ClientRef`
    or bare client ids)."""
    TYPE_ID = "type_id"
    """The activity's type is in the value (a set)."""
    STATUS_ID = "status_id"
    """The activity's status is in the value (a set)."""
    TEXT = "text"
    """The title, the notes or the location contains the value, ignoring case
    (blank text: every activity)."""


@attrs.frozen
class ActivityTerm:
    """One test of an activity: its attribute ``field`` against ``value``."""

    field: ActivityField
    """The attribute tested (it also says how)."""
    value: Any
    """What it is tested against."""


Terms: TypeAlias = tuple[ActivityTerm, ...]
"""Terms that must all hold."""

Check: TypeAlias = Callable[[Activity, ActivitySpan], bool]
"""A compiled check: the activity and its span (adapters keep the span computed)."""


def text_matches(text: str, activity: Activity) -> bool:
    """Whether the text search ``text`` finds ``activity`` (blank text finds every one)."""
    needle = text.strip().casefold()
    return not needle or any(
        needle in field.casefold() for field in (activity.title, activity.notes, activity.location)
    )


def _links(activity: Activity, clients: Collection[ClientRef | str]) -> bool:
    return any(activity.involves_client(c) for c in clients)


_TESTS: Final[dict[ActivityField, Callable[[Activity, Any], bool]]] = {
    ActivityField.PARTICIPANT_IDS: lambda a, ids: not frozenset(ids).isdisjoint(a.participant_ids),
    ActivityField.CLIENTS: _links,
    ActivityField.TYPE_ID: lambda a, ids: a.type_id in ids,
    ActivityField.STATUS_ID: lambda a, ids: a.status_id in ids,
    ActivityField.TEXT: lambda a, text: text_matches(text, a),
}


def _compiled(term: ActivityTerm) -> Check:
    if term.field is ActivityField.SPAN:
        start, end = term.value
        return lambda _, span: span.overlaps(start, end)
    test, value = _TESTS[term.field], term.value
    return lambda activity, _: test(activity, value)


def checker(terms: Terms) -> Check:
    """One function checking every one of ``terms``: built once, run for many activities."""
    tests = tuple(_compiled(term) for term in terms)

    def check(activity: Activity, span: ActivitySpan) -> bool:
        # A plain loop: this runs once per stored activity of a window query.
        for test in tests:  # noqa: SIM110
            if not test(activity, span):
                return False
        return True

    return tests[0] if len(tests) == 1 else check


def holds(term: ActivityTerm, activity: Activity, span: ActivitySpan | None = None) -> bool:
    """Whether ``activity`` passes ``term`` (``span``: its span, computed if needed)."""
    if span is None and term.field is ActivityField.SPAN:
        span = activity_span(activity)
    return _compiled(term)(activity, span)  # type: ignore[arg-type]


def _optional_set(value: Collection[str] | None) -> frozenset[str] | None:
    return None if value is None else frozenset(value)


def _optional_clients(value: Collection[ClientRef] | None) -> tuple[ClientRef, ...] | None:
    return None if value is None else tuple(dict.fromkeys(value))


@attrs.frozen
class ActivityWindow:
    """The activities a window query asks for; ``None`` filters nothing.

    Those whose span may overlap ``[start, end)``, that one of ``user_ids``
    takes part in, and that are linked to one of ``clients``.
    """

    start: datetime | None = None
    """Open on the left when ``None``."""
    end: datetime | None = None
    """Open on the right when ``None``."""
    user_ids: frozenset[str] | None = attrs.field(default=None, converter=_optional_set)
    """Activities one of these users takes part in (responsible or other user)."""
    clients: tuple[ClientRef, ...] | None = attrs.field(default=None, converter=_optional_clients)
    """Activities linked to one of these clients (as a client or as the contact)."""

    @property
    def terms(self) -> Terms:
        """The window as terms that must all hold: the one description adapters read."""
        out = [ActivityTerm(ActivityField.SPAN, (self.start, self.end))]
        if self.user_ids is not None:
            out.append(ActivityTerm(ActivityField.PARTICIPANT_IDS, self.user_ids))
        if self.clients is not None:
            out.append(ActivityTerm(ActivityField.CLIENTS, self.clients))
        return tuple(out)

    def matches(self, activity: Activity, span: ActivitySpan | None = None) -> bool:
        """Whether ``activity`` passes every term (``span``: its span, if at hand)."""
        return checker(self.terms)(activity, span or activity_span(activity))
