"""Who may see an activity in detail; everything else is shown as busy time only."""

from __future__ import annotations

from collections.abc import Callable, Set
from typing import TypeAlias

from leadcore.calendar._model import Activity, Privacy

__all__ = ["Visibility", "can_see", "visibility_for"]

#: A rule telling which activities a viewer may see in detail: a predicate, a
#: set of activity ids, or ``None`` for "everything".
Visibility: TypeAlias = Callable[[Activity], bool] | Set[str] | None


def can_see(visible: Visibility, activity: Activity) -> bool:
    """Whether the rule ``visible`` lets the viewer see ``activity`` in detail."""
    if visible is None:
        return True
    if isinstance(visible, Set):
        return activity.id in visible
    return bool(visible(activity))


def visibility_for(
    viewer_id: str,
    *,
    calendars: Set[str] = frozenset(),
    all_calendars: bool = False,
) -> Callable[[Activity], bool]:
    """The usual rule: participants, and viewers of a participant's calendar.

    Participants always see their activities in detail; others see public
    ones of the users whose calendars they may see (``calendars``, or all of
    them with ``all_calendars``). Private activities are seen in detail by their participants only.

    >>> rule = visibility_for("dana", calendars={"avi"})
    >>> rule.__doc__
    "Whether 'dana' may see the activity in detail."
    """

    def rule(activity: Activity) -> bool:
        participants = activity.participant_ids
        if viewer_id in participants:
            return True
        if activity.privacy is Privacy.PRIVATE:
            return False
        return all_calendars or any(p in calendars for p in participants)

    rule.__doc__ = f"Whether {viewer_id!r} may see the activity in detail."
    return rule
