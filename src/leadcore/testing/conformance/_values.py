"""Checks that values survive storage unchanged: times, long and non-Latin text, custom fields.

What a record equality check alone misses: an aware datetime in ``+02:00``
stored as if it were UTC (or without its microseconds), text cut at 255
characters or stripped of what a narrow character set cannot hold, custom
fields whose values change type (``3`` and ``3.0`` and ``True`` compare
equal in Python), and an update that writes the lead but not its changed
custom fields.

The stated semantics: an aware datetime comes back as the same instant with
the same UTC offset and microseconds; every list and filter over times
(newest first, ``between``, due before) compares instants, never wall-clock
readings; text comes back character for character; a custom field comes
back with the value and the type it was stored with.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any, Final, TypeVar, cast

import attrs

from leadcore.leads import (
    Account,
    Cursor,
    HistoryEntry,
    HistoryKind,
    Lead,
    LeadQuery,
    Note,
    Project,
    Task,
)
from leadcore.storage.protocols import Storage
from leadcore.testing.conformance._base import StorageFixtures
from leadcore.testing.conformance._leads import lead, store_leads
from leadcore.testing.conformance._records import T0, Records
from leadcore.testing.conformance._scope import Scope as Ids

__all__ = ["LONG_HEBREW", "LONG_TEXT", "ValueTests"]

S = TypeVar("S", bound=Storage)

PLUS_2: Final = timezone(timedelta(hours=2), "IST")
MINUS_5: Final = timezone(timedelta(hours=-5))
PLUS_5_30: Final = timezone(timedelta(hours=5, minutes=30))

#: 300 characters: longer than the 255 a ``VARCHAR(255)`` keeps.
LONG_TEXT: Final = ("Ștefan Großmann, 4th floor, call after 16:00. " * 7)[:300]
#: Hebrew with niqqud (combining marks), longer than 255 characters.
LONG_HEBREW: Final = ("שָׁלוֹם, נא לחזור אל הלקוח אחרי הצהריים. " * 9)[:320]
#: What narrow character sets and padded columns lose: a four-byte emoji (utf8mb3),
#: a decomposed accent (NFD), trailing blanks, a tab and a line break.
TRICKY_TEXT: Final = "Dana 😀 Cafe\u0301  \tline\nbreak  "


def _instants(ids: Ids) -> list[Lead]:
    """Three leads whose wall-clock order is the reverse of their instants' order."""
    return [
        # 10:00 in +02:00 is 08:00 UTC: the oldest, although its reading is the latest.
        attrs.evolve(
            lead(ids, "l-plus2"),
            created_at=datetime(2026, 3, 1, 10, 0, 0, 123456, tzinfo=PLUS_2),
            updated_at=datetime(2026, 3, 1, 10, 0, 0, 123456, tzinfo=PLUS_2),
        ),
        # 03:45 in -05:00 is 08:45 UTC.
        attrs.evolve(
            lead(ids, "l-minus5"),
            created_at=datetime(2026, 3, 1, 3, 45, 0, 1, tzinfo=MINUS_5),
            updated_at=datetime(2026, 3, 1, 3, 45, 0, 1, tzinfo=MINUS_5),
        ),
        # 09:00 UTC: the newest.
        attrs.evolve(
            lead(ids, "l-utc"),
            created_at=datetime(2026, 3, 1, 9, 0, tzinfo=UTC),
            updated_at=datetime(2026, 3, 1, 9, 0, tzinfo=UTC),
        ),
    ]


def _offsets(value: object) -> list[tuple[str, timedelta | None, int]]:
    """Every datetime field of a record: its name, UTC offset and microseconds."""
    found: list[tuple[str, timedelta | None, int]] = []
    for name, item in attrs.asdict(cast(Any, value), recurse=False).items():
        if isinstance(item, datetime):
            found.append((name, item.utcoffset(), item.microsecond))
    return found


class ValueTests(StorageFixtures[S]):
    """Times, text and custom fields come back exactly as stored."""

    def test_aware_datetimes_come_back_as_the_same_instant_with_their_offset(
        self, storage: S, records: Records
    ) -> None:
        ids = Ids(records)
        leads = _instants(ids)
        store_leads(storage, *leads)
        when = datetime(2026, 3, 1, 11, 30, 0, 250000, tzinfo=PLUS_2)
        entry = HistoryEntry(ids("h1"), ids.org, ids("l-utc"), HistoryKind.NOTE, when, "user-1")
        note = Note(ids("n1"), ids.org, ids("l-utc"), "user-1", "x", when.astimezone(PLUS_5_30))
        task = Task(
            ids("t1"), ids.org, ids("l-utc"), "Call", when.astimezone(MINUS_5), "u", "u", when
        )
        with storage.unit_of_work() as uow:
            uow.history.add(entry)
            uow.notes.add(note)
            uow.tasks.add(task)
            uow.commit()
        with storage.unit_of_work() as uow:
            for stored in leads:
                got = uow.leads.get(ids.org, stored.id)
                assert got == stored
                assert _offsets(got) == _offsets(stored), (
                    f"lead {stored.id}: times came back in another offset or without microseconds"
                )
            for got_one, stored_one in (
                (uow.history.for_lead(ids.org, ids("l-utc"))[0], entry),
                (uow.notes.get(ids.org, ids("n1")), note),
                (uow.tasks.get(ids.org, ids("t1")), task),
            ):
                assert got_one == stored_one
                assert _offsets(got_one) == _offsets(stored_one)

    def test_times_in_other_offsets_are_ordered_and_filtered_as_instants(
        self, storage: S, records: Records
    ) -> None:
        ids = Ids(records)
        store_leads(storage, *_instants(ids))
        entries = [
            HistoryEntry(ids(f"h{i}"), ids.org, ids("l-utc"), HistoryKind.NOTE, when, "user-1")
            for i, when in enumerate(
                [
                    datetime(2026, 3, 1, 10, 30, tzinfo=PLUS_2),  # 08:30 UTC
                    datetime(2026, 3, 1, 8, 45, tzinfo=UTC),
                    datetime(2026, 3, 1, 3, 15, tzinfo=MINUS_5),  # 08:15 UTC
                ]
            )
        ]
        due = [
            Task(ids(f"t{i}"), ids.org, ids("l-utc"), "Call", when, "agent", "u", T0)
            for i, when in enumerate(
                [
                    datetime(2026, 3, 1, 10, 30, tzinfo=PLUS_2),  # 08:30 UTC
                    datetime(2026, 3, 1, 8, 45, tzinfo=UTC),
                ]
            )
        ]
        with storage.unit_of_work() as uow:
            for entry in entries:
                uow.history.add(entry)
            for task in due:
                uow.tasks.add(task)
            uow.commit()
        with storage.unit_of_work() as uow:
            newest_first = [x.id for x in uow.leads.query(ids.org, LeadQuery())]
            assert newest_first == [ids("l-utc"), ids("l-minus5"), ids("l-plus2")], (
                "leads were ordered by their wall-clock reading, not by the instant"
            )
            # 10:40 in +02:00 is 08:40 UTC: only the lead of 08:00 UTC was created before it.
            bound = datetime(2026, 3, 1, 10, 40, tzinfo=PLUS_2)
            before = uow.leads.query(ids.org, LeadQuery(created_until=bound))
            assert [x.id for x in before] == [ids("l-plus2")]
            after = uow.leads.query(ids.org, LeadQuery(created_from=bound))
            assert [x.id for x in after] == [ids("l-utc"), ids("l-minus5")]
            cursor = Cursor(datetime(2026, 3, 1, 3, 45, 0, 1, tzinfo=MINUS_5), ids("l-minus5"))
            page = uow.leads.query(ids.org, LeadQuery(after=cursor, limit=5))
            assert [x.id for x in page] == [ids("l-plus2")]
            assert [e.id for e in uow.history.between(ids.org, None, None)] == [
                ids("h2"),
                ids("h0"),
                ids("h1"),
            ]
            window = uow.history.between(ids.org, bound - timedelta(minutes=20), bound)
            assert [e.id for e in window] == [ids("h0")]
            open_tasks = uow.tasks.open_for(ids.org, ["agent"], bound)
            assert [t.id for t in open_tasks] == [ids("t0")]
            assert [t.id for t in uow.tasks.for_lead(ids.org, ids("l-utc"))] == [
                ids("t0"),
                ids("t1"),
            ]

    def test_long_text_hebrew_and_emoji_come_back_character_for_character(
        self, storage: S, records: Records
    ) -> None:
        ids = Ids(records)
        texts = {"long": LONG_TEXT, "hebrew": LONG_HEBREW, "tricky": TRICKY_TEXT}
        leads = [attrs.evolve(lead(ids, f"l-{k}"), name=v) for k, v in texts.items()]
        stored_lead = attrs.evolve(
            lead(ids, "l-fields"), fields={"comment": LONG_HEBREW, "address": TRICKY_TEXT}
        )
        notes = [
            Note(ids(f"n-{k}"), ids.org, ids("l-fields"), "user-1", v * 4, T0)
            for k, v in texts.items()
        ]
        entry = HistoryEntry(
            ids("h1"), ids.org, ids("l-fields"), HistoryKind.NOTE, T0, "user-1", text=LONG_HEBREW
        )
        task = Task(ids("t1"), ids.org, ids("l-fields"), LONG_TEXT, T0, "u", "u", T0)
        project = Project(ids("p1"), ids.org, LONG_HEBREW, T0)
        account = Account(ids("acc-1"), ids.org, TRICKY_TEXT, T0)
        store_leads(storage, *leads, stored_lead)
        with storage.unit_of_work() as uow:
            for note in notes:
                uow.notes.add(note)
            uow.history.add(entry)
            uow.tasks.add(task)
            uow.projects.add(project)
            uow.accounts.add(account)
            uow.commit()
        with storage.unit_of_work() as uow:
            for expected in [*leads, stored_lead]:
                got = uow.leads.get(ids.org, expected.id)
                assert got is not None
                assert (got.name, dict(got.fields)) == (expected.name, dict(expected.fields)), (
                    f"lead {expected.id}: text did not come back character for character"
                )
            for note in notes:
                got_note = uow.notes.get(ids.org, note.id)
                assert got_note is not None
                assert got_note.text == note.text, f"note {note.id}: its text changed"
            assert list(uow.history.for_lead(ids.org, ids("l-fields"))) == [entry]
            assert uow.tasks.get(ids.org, ids("t1")) == task
            assert uow.projects.get(ids.org, ids("p1")) == project
            assert list(uow.accounts.list(ids.org)) == [account]

    def test_an_update_writes_changed_custom_fields_with_their_types(
        self, storage: S, records: Records
    ) -> None:
        ids = Ids(records)
        original = attrs.evolve(
            lead(ids, "l1"),
            fields={"city": "Haifa", "budget": 3, "score": 2.5, "vip": False, "gone": "x"},
        )
        store_leads(storage, original)
        changed = attrs.evolve(
            original,
            fields={
                "city": "תל אביב",
                "budget": 4,
                "score": 3.0,
                "vip": True,
                "since": date(2026, 3, 1),
                "note": None,
                "code": "007",
            },
            phones=("+972505551234",),
            assignee_ids=("user-1", "user-2"),
            project_id="project-1",
            pool_id="hot",
            status_id="won",
            workflow_version=1,
            version=2,
            updated_at=datetime(2026, 3, 1, 12, 0, tzinfo=PLUS_2),
        )
        with storage.unit_of_work() as uow:
            uow.leads.update(changed, expected_version=1)
            uow.commit()
        with storage.unit_of_work() as uow:
            got = uow.leads.get(ids.org, ids("l1"))
            assert got == changed, "the update did not write every changed field of the lead"
            assert got is not None
            types = {k: type(v) for k, v in got.fields.items()}
            assert types == {k: type(v) for k, v in changed.fields.items()}, (
                "custom fields came back with other types"
            )
