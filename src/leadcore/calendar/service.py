"""Deprecated: this module moved to :mod:`leadcore.services.calendar`.

Every name still answers from here for one release, with a ``DeprecationWarning``
that names its new home: the service in :mod:`leadcore.services.calendar`, the
settings and outcome records in :mod:`leadcore.calendar`.
"""

from leadcore._moved import moved_module, moved_names

_RECORDS = moved_names(
    "leadcore.calendar.service",
    dict.fromkeys(
        (
            "DEFAULT_STATUSES",
            "DEFAULT_TYPES",
            "Booking",
            "CalendarImport",
            "CalendarSettings",
            "ConflictPolicy",
            "ScheduleConflict",
            "SharedCalendars",
        ),
        "leadcore.calendar",
    ),
)
_SERVICE = moved_module("leadcore.calendar.service", "leadcore.services.calendar")


def __getattr__(name: str) -> object:
    try:
        return _RECORDS(name)
    except AttributeError:
        return _SERVICE(name)
