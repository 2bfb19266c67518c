"""Checks of the calendar repository: activities between a window, types, statuses, settings.

Every check needs ``Capabilities.calendar``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TypeVar

import attrs
import pytest

from leadcore.calendar import (
    Activity,
    ActivityStatus,
    ActivityType,
    CalendarSettings,
    ClientRef,
    Recurrence,
)
from leadcore.errors import ConflictError, NotFound
from leadcore.storage.protocols import Storage
from leadcore.testing.conformance._base import StorageFixtures, require_capability
from leadcore.testing.conformance._records import Records
from leadcore.testing.conformance._scope import Scope as Ids

__all__ = ["CalendarRepositoryTests"]

S = TypeVar("S", bound=Storage)

_DAY = datetime(2026, 3, 2, tzinfo=UTC)


def _hour(hour: int) -> datetime:
    return _DAY + timedelta(hours=hour)


def _activity(
    ids: Ids,
    name: str,
    start: int,
    end: int,
    *,
    user: str = "u1",
    other: bool = False,
    recurrence: str | None = None,
) -> Activity:
    return Activity(
        id=ids(name),
        organization_id=ids.other if other else ids.org,
        type_id="meeting",
        status_id="open",
        title=name,
        responsible_user_id=user,
        start=_hour(start),
        end=_hour(end),
        tz="UTC",
        client=ClientRef("lead", ids(f"lead-of-{name}")),
        recurrence=Recurrence(recurrence) if recurrence is not None else None,
    )


class CalendarRepositoryTests(StorageFixtures[S]):
    """``uow.calendar``: activities, their types and statuses, and settings."""

    def test_activities_between_a_window_by_first_instant_then_id(
        self, storage: S, records: Records
    ) -> None:
        require_capability(storage, "calendar")
        ids = Ids(records)
        stored = [
            _activity(ids, "b", 9, 10),
            _activity(ids, "a", 9, 10, user="u2"),
            _activity(ids, "early", 6, 7),
            _activity(ids, "late", 20, 21),
            _activity(ids, "daily", 1, 2, recurrence="FREQ=DAILY"),
            _activity(ids, "foreign", 9, 10, other=True),
        ]
        with storage.unit_of_work() as uow:
            for a in stored:
                uow.calendar.add(a)
            uow.commit()
        with storage.unit_of_work() as uow:
            every = uow.calendar.activities_between(ids.org, None, None)
            assert ids.names(every) == ["daily", "early", "a", "b", "late"]
            # [start, end): an activity ending at the start, or starting at the end, is out.
            window = uow.calendar.activities_between(ids.org, _hour(7), _hour(20))
            assert ids.names(window) == ["daily", "a", "b"]
            later = uow.calendar.activities_between(ids.org, _hour(48), None)
            assert ids.names(later) == ["daily"]
            mine = uow.calendar.activities_between(ids.org, None, None, user_ids={"u2"})
            assert ids.names(mine) == ["a"]
            client = ClientRef("lead", ids("lead-of-late"))
            linked = uow.calendar.activities_between(ids.org, None, None, clients=[client])
            assert ids.names(linked) == ["late"]
            assert uow.calendar.get(ids.org, ids("b")) == stored[0]
            daily = uow.calendar.get(ids.org, ids("daily"))
            assert daily == stored[4]

    def test_activities_are_invisible_from_another_organisation(
        self, storage: S, records: Records
    ) -> None:
        require_capability(storage, "calendar")
        ids = Ids(records)
        mine = _activity(ids, "mine", 9, 10)
        with storage.unit_of_work() as uow:
            uow.calendar.add(mine)
            uow.commit()
        with storage.unit_of_work() as uow:
            assert uow.calendar.get(ids.other, mine.id) is None
            assert uow.calendar.activities_between(ids.other, None, None) == []
            assert not uow.calendar.in_use(ids.other, type_id="meeting")
            assert uow.calendar.in_use(ids.org, type_id="meeting")
            assert uow.calendar.in_use(ids.org, status_id="open")
            assert not uow.calendar.in_use(ids.org, status_id="done")
            with pytest.raises(NotFound):
                uow.calendar.update(
                    attrs.evolve(mine, organization_id=ids.other, version=2), expected_version=1
                )

    def test_an_activity_update_is_a_compare_and_set_on_the_version(
        self, storage: S, records: Records
    ) -> None:
        require_capability(storage, "calendar")
        ids = Ids(records)
        original = _activity(ids, "a", 9, 10)
        with storage.unit_of_work() as uow:
            uow.calendar.add(original)
            uow.commit()
        moved = attrs.evolve(original, start=_hour(11), end=_hour(12), version=2)
        with storage.unit_of_work() as uow:
            with pytest.raises(ConflictError):
                uow.calendar.add(original)
            uow.calendar.update(moved, expected_version=1)
            uow.commit()
        with storage.unit_of_work() as uow:
            with pytest.raises(ConflictError):
                uow.calendar.update(attrs.evolve(moved, version=3), expected_version=1)
            with pytest.raises(NotFound):
                uow.calendar.update(_activity(ids, "missing", 1, 2), expected_version=1)
            assert uow.calendar.get(ids.org, ids("a")) == moved
            window = uow.calendar.activities_between(ids.org, _hour(9), _hour(10))
            assert window == []

    def test_types_statuses_and_settings_are_none_until_stored_and_per_organisation(
        self, storage: S, records: Records
    ) -> None:
        require_capability(storage, "calendar")
        ids = Ids(records)
        types = [ActivityType("call", "Call"), ActivityType("meeting", "Meeting", "call")]
        statuses = [ActivityStatus("open", "Open", "open"), ActivityStatus("done", "Done", "done")]
        settings = CalendarSettings(first_weekday=0)
        with storage.unit_of_work() as uow:
            assert uow.calendar.types(ids.org) is None
            assert uow.calendar.statuses(ids.org) is None
            assert uow.calendar.settings(ids.org) is None
            uow.calendar.put_types(ids.org, types)
            uow.calendar.put_statuses(ids.org, statuses)
            uow.calendar.put_settings(ids.org, settings)
            uow.commit()
        with storage.unit_of_work() as uow:
            assert list(uow.calendar.types(ids.org) or ()) == types
            assert list(uow.calendar.statuses(ids.org) or ()) == statuses
            assert uow.calendar.settings(ids.org) == settings
            assert uow.calendar.types(ids.other) is None
            assert uow.calendar.statuses(ids.other) is None
            assert uow.calendar.settings(ids.other) is None

    def test_activities_are_found_by_the_ical_uid_they_were_imported_from(
        self, storage: S, records: Records
    ) -> None:
        require_capability(storage, "calendar")
        ids = Ids(records)
        # A UID is free text of any length; it is matched exactly, case and spaces counting.
        long_uid = "040000008200E00074C5B7101A82E008" * 6 + ids("@outlook")
        imported = attrs.evolve(_activity(ids, "imported", 9, 10), ical_uid=long_uid)
        upper = attrs.evolve(_activity(ids, "upper", 9, 10), ical_uid=long_uid.upper())
        native = _activity(ids, "native", 9, 10)
        foreign = attrs.evolve(_activity(ids, "foreign", 9, 10, other=True), ical_uid=long_uid)
        with storage.unit_of_work() as uow:
            for a in (imported, upper, native, foreign):
                uow.calendar.add(a)
            staged = attrs.evolve(_activity(ids, "staged", 9, 10), ical_uid=ids("g@google.com"))
            uow.calendar.add(staged)
            # What this unit of work wrote is found before it commits.
            assert uow.calendar.by_ical_uid(ids.org, [ids("g@google.com")]) == {
                ids("g@google.com"): staged
            }
            uow.commit()
        with storage.unit_of_work() as uow:
            found = uow.calendar.by_ical_uid(
                ids.org, [long_uid, long_uid.upper(), native.id, ids("missing")]
            )
            assert found == {long_uid: imported, long_uid.upper(): upper}
            assert uow.calendar.by_ical_uid(ids.org, []) == {}
            assert uow.calendar.by_ical_uid(ids.other, [long_uid]) == {long_uid: foreign}
            # A change of the UID moves what it finds; the old UID then finds nothing.
            moved = attrs.evolve(imported, ical_uid=ids("new-uid"), version=2)
            uow.calendar.update(moved, expected_version=1)
            assert uow.calendar.by_ical_uid(ids.org, [long_uid, ids("new-uid")]) == {
                ids("new-uid"): moved
            }
            uow.commit()
        with storage.unit_of_work() as uow:
            assert uow.calendar.by_ical_uid(ids.org, [long_uid, ids("new-uid")]) == {
                ids("new-uid"): moved
            }
            # One activity per UID in an organisation.
            with pytest.raises(ConflictError, match="iCalendar UID"):
                uow.calendar.add(
                    attrs.evolve(_activity(ids, "twin", 9, 10), ical_uid=ids("new-uid"))
                )
            with pytest.raises(ConflictError, match="iCalendar UID"):
                uow.calendar.update(
                    attrs.evolve(upper, ical_uid=ids("new-uid"), version=2), expected_version=1
                )
            # The UID given up is free again.
            uow.calendar.add(attrs.evolve(_activity(ids, "heir", 9, 10), ical_uid=long_uid))
            uow.commit()

    def test_two_units_of_work_giving_one_ical_uid_to_two_activities_commit_one(
        self, storage: S, records: Records
    ) -> None:
        require_capability(storage, "calendar")
        ids = Ids(records)
        uid = ids("same-event@google.com")
        first, second = storage.unit_of_work(), storage.unit_of_work()
        with first, second:
            first.calendar.add(attrs.evolve(_activity(ids, "one", 9, 10), ical_uid=uid))
            second.calendar.add(attrs.evolve(_activity(ids, "two", 9, 10), ical_uid=uid))
            first.commit()
            with pytest.raises(ConflictError):
                second.commit()
        with storage.unit_of_work() as uow:
            assert ids.names(uow.calendar.by_ical_uid(ids.org, [uid]).values()) == ["one"]
            assert uow.calendar.get(ids.org, ids("two")) is None
