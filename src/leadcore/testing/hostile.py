r"""Hostile input for every public call: the values, and a check that adapters answer alike.

Invariant 9 of leadcore: no input reaches a dependency's raw exception. Every
public call answers bad input with a :class:`~leadcore.errors.LeadcoreError`
(a :class:`~leadcore.errors.ValidationError` for values, a
:class:`~leadcore.errors.NotFound` for ids), writes nothing, and answers the
same on every adapter. This module checks that on any storage:

- :data:`HOSTILE_TEXTS` names the strings that break storages (lone
  surrogates, NUL, megabytes, control characters, right-to-left text,
  combining marks, ``LIKE`` wildcards, SQL, blanks); :func:`hostile_text` and
  :func:`hostile_ids` are hypothesis strategies built on them.
- :data:`HOSTILE_VALUES` maps a *kind* of argument (``"text"``, ``"id"``) to
  the strategy of its hostile values; :data:`ENTRY_POINTS` lists the public
  calls, each with the kind of the argument it fills. A new kind (integers,
  dates, time zones) is one entry in :data:`HOSTILE_VALUES` plus the entry
  points that take it.
- :func:`check_entry_point` makes one call on a reference world (on
  :class:`~leadcore.storage.memory.MemoryStorage`) and on the adapter's, and
  asserts: a leadcore error or success, the same answer on both (equal
  results, or the same error type and message), and after a refusal the
  stored data of both unchanged.
- :class:`HostileInputChecks` runs it from pytest: every entry point with
  every named hostile string, and a hypothesis search over generated ones.

Use it against your adapter like the conformance suite::

    from leadcore.testing.hostile import HostileInputChecks

    class TestMyStorageHostileInput(HostileInputChecks[MyStorage]):
        def make_storage(self) -> MyStorage:
            return MyStorage()  # a new, empty storage each time it is called
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar, Final, Generic, TypeVar

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leadcore._limits import MAX_DURATION, safe_repr
from leadcore._text import MAX_NAME, MAX_SEARCH_TEXT, MAX_TEXT
from leadcore.clock import ManualClock
from leadcore.core import Leadcore
from leadcore.errors import LeadcoreError
from leadcore.ids import SequentialIds
from leadcore.storage.memory import MemoryStorage
from leadcore.storage.protocols import Storage
from leadcore.testing._hostile_calls import (
    ENTRY_POINTS,
    START,
    EntryPoint,
    HostileWorld,
    build_world,
)
from leadcore.testing._hostile_values import (
    EDGE_DAYS,
    EDGE_INTEGERS,
    HOSTILE_TIME_ZONES,
    edge_dates,
    edge_datetimes,
    edge_durations,
    hostile_time_zones,
    huge_integers,
)

__all__ = [
    "ENTRY_POINTS",
    "HOSTILE_IDS",
    "HOSTILE_TEXTS",
    "HOSTILE_VALUES",
    "NAMED_VALUES",
    "EntryPoint",
    "HostileInputChecks",
    "HostileWorld",
    "Outcome",
    "build_world",
    "check_entry_point",
    "hostile_ids",
    "hostile_text",
    "open_world",
]

S = TypeVar("S", bound=Storage)

#: Strings that have broken storages, by what they are.
HOSTILE_TEXTS: Final[Mapping[str, str]] = {
    "lone surrogate": "\ud800",
    "lone surrogate in a word": "Dana\udfff",
    "NUL": "\x00",
    "NUL in a word": "Da\x00na",
    "one megabyte": "x" * 1_000_000,
    "just over the name bound": "n" * (MAX_NAME + 1),
    "just over the search bound": "s" * (MAX_SEARCH_TEXT + 1),
    "just over the text bound": "t" * (MAX_TEXT + 1),
    "control characters": "\x01\x07\x1b[31m\x7f\x9f",
    "line breaks and tabs": "\r\n\t\v\f",
    "Hebrew, right to left": "שלום עולם",
    "bidirectional override": "\u202eabc\u202c",
    "combining marks": "e\u0301\u0301\u0301a\u0308",
    "LIKE wildcards": "%_\\",
    "percent": "%",
    "underscore": "_",
    "backslash": "\\",
    "SQL quote": "' OR '1'='1",
    "SQL statement": "'); DROP TABLE leadcore_leads; --",
    "empty": "",
    "whitespace": "   ",
    "zero width": "\u200b\ufeff",
    "emoji sequence": "👩\u200d👩\u200d👧 🇮🇱",
    "noncharacters": "\uffff\U0010ffff",
    "mixed scripts and marks": "שלום e\u0301 Ștefan",
    "wildcards in SQL": "%_\\' OR '1'='1' --",
}


def _some(*names: str) -> dict[str, str]:
    return {name: HOSTILE_TEXTS[name] for name in names}


#: Ids that look like real ones but cannot exist, by what they are.
HOSTILE_IDS: Final[Mapping[str, str]] = {
    **_some("lone surrogate", "NUL in a word", "one megabyte", "LIKE wildcards", "empty"),
    "id with NUL": "lead-1\x00",
    "id with a surrogate": "user-1\udc80",
    "id with a space": "lead-1 ",
    "id in capitals": "LEAD-1",
    "id as a LIKE pattern": "lead-%",
    "over-long id": "lead-" + "9" * 200,
}


def _characters() -> st.SearchStrategy[str]:
    # Every code point, surrogates included (hypothesis leaves them out by default).
    return st.characters(codec=None, exclude_categories=())


def hostile_text() -> st.SearchStrategy[str]:
    r"""Hostile strings: the named ones, named ones inside ordinary text, and any code points.

    >>> from hypothesis import find
    >>> find(hostile_text(), lambda s: "\x00" in s)
    '\x00'
    """
    named = st.sampled_from(list(HOSTILE_TEXTS.values()))
    embedded = st.tuples(st.text(max_size=4), named, st.text(max_size=4)).map("".join)
    anything = st.text(_characters(), max_size=24)
    return st.one_of(named, embedded, anything)


def hostile_ids() -> st.SearchStrategy[str]:
    """Hostile ids: the named ones and any code points (none names a stored record)."""
    named = st.sampled_from(list(HOSTILE_IDS.values()))
    return st.one_of(named, st.text(_characters(), max_size=24))


#: The hostile values of each kind of argument an entry point fills.
#: Add a kind with one line, e.g. ``"integer": hostile_integers``, and entry points taking it.
HOSTILE_VALUES: dict[str, Callable[[], st.SearchStrategy[Any]]] = {
    "text": hostile_text,
    "id": hostile_ids,
    "integer": huge_integers,
    "date": edge_dates,
    "datetime": edge_datetimes,
    "duration": edge_durations,
    "time zone": hostile_time_zones,
}

#: The named values of each kind that every entry point of that kind is tried with
#: (one of each sort; the generated values cover the rest).
NAMED_VALUES: dict[str, Mapping[str, object]] = {
    "text": _some(
        "lone surrogate in a word",
        "NUL in a word",
        "one megabyte",
        "just over the name bound",
        "control characters",
        "mixed scripts and marks",
        "wildcards in SQL",
        "whitespace",
    ),
    "id": {k: v for k, v in HOSTILE_IDS.items() if k not in ("lone surrogate", "id with NUL")},
    "integer": {f"{n.bit_length()}-bit {'minus' if n < 0 else 'plus'}": n for n in EDGE_INTEGERS},
    "date": {str(d): d for d in EDGE_DAYS},
    "datetime": {
        "year 1": datetime(1, 1, 2, tzinfo=UTC),
        "year 9999": datetime(9999, 12, 30, tzinfo=UTC),
    },
    "duration": {
        "999,999,999 days": timedelta(days=999_999_999),
        "minus one day": -timedelta(days=1),
        "just over the bound": MAX_DURATION + timedelta(seconds=1),
    },
    "time zone": {repr(z)[:40]: z for z in HOSTILE_TIME_ZONES},
}


@attrs.frozen
class Outcome:
    """What a call answered: a comparable form of its result, or its error type and message."""

    result: object
    error: tuple[str, str] | None

    @classmethod
    def of(cls, call: Callable[[], object]) -> Outcome:
        """Run ``call``; a :class:`~leadcore.errors.LeadcoreError` is an answer, others raise."""
        try:
            value = call()
        except LeadcoreError as exc:
            return cls(None, (type(exc).__name__, str(exc)))
        return cls(_comparable(value), None)


def _comparable(value: object) -> object:
    # Records compare by value; errors in a result (per-lead outcomes) by type and message;
    # objects without equality (a Session) by what they show.
    if isinstance(value, Exception):
        return (type(value).__name__, str(value))
    if isinstance(value, dict):
        return {k: _comparable(v) for k, v in value.items()}
    return value if type(value).__eq__ is not object.__eq__ else repr(value)


def open_world(storage: Storage) -> HostileWorld:
    """Build the world of the check on ``storage``, with the check's clock and ids."""
    core = Leadcore(storage=storage, clock=ManualClock(START), ids=SequentialIds())
    return build_world(core)


def check_entry_point(
    reference: HostileWorld, subject: HostileWorld, entry: EntryPoint, value: object
) -> Outcome:
    """Call ``entry`` with ``value`` on both worlds: the same answer, nothing written on refusal.

    A raw exception (not a :class:`~leadcore.errors.LeadcoreError`) propagates
    and fails the caller's test. Returns the reference's answer.
    """
    before = (reference.stored(), subject.stored())
    expected = Outcome.of(lambda: entry.call(reference, value))
    actual = Outcome.of(lambda: entry.call(subject, value))
    shown = _shown(value)
    assert actual == expected, (
        f"{entry} with {shown} answered {actual.error or actual.result!r:.300} on the adapter "
        f"but {expected.error or expected.result!r:.300} on MemoryStorage"
    )
    if expected.error is None:
        reference.changed()
        subject.changed()
        return expected
    after = (reference.snapshot(), subject.snapshot())
    assert after[0] == before[0], f"{entry} with {shown} wrote on MemoryStorage"
    assert after[1] == before[1], f"{entry} with {shown} wrote on the adapter"
    return expected


def _shown(value: object) -> str:
    text = safe_repr(value)
    return text if len(text) <= 60 else f"{text[:50]}... ({len(text)} characters)"


class HostileInputChecks(Generic[S]):
    """Every public call with hostile input answers on your adapter exactly as on MemoryStorage.

    Override :meth:`make_storage` to return a new, empty storage each time it
    is called, or, when building one needs fixtures (a database URL), the
    ``open_storage`` fixture, which returns such a callable.
    """

    #: How many generated examples the hypothesis search tries.
    hostile_examples: ClassVar[int] = 10
    #: How many calls each example makes (each on the same pair of worlds).
    hostile_calls: ClassVar[int] = 6
    #: Entry points to leave out, by name, each with the reason (e.g. a capability not claimed).
    skipped_entry_points: ClassVar[Mapping[str, str]] = {}

    def make_storage(self) -> S:
        """Return a new, empty storage of the adapter under test."""
        raise NotImplementedError(
            f"{type(self).__name__} must override make_storage() (or the 'open_storage' "
            "fixture) to return a new, empty storage of the adapter under test"
        )

    @pytest.fixture
    def open_storage(self) -> Iterator[Callable[[], Storage]]:
        """Opens a new, empty storage of the adapter; every one is closed after the test."""
        opened: list[Storage] = []

        def open_one() -> Storage:
            storage = self.make_storage()
            opened.append(storage)
            return storage

        yield open_one
        for storage in opened:
            storage.close()

    def _entry_points(self) -> Sequence[EntryPoint]:
        return [e for e in ENTRY_POINTS if e.name not in self.skipped_entry_points]

    def test_every_entry_point_answers_named_hostile_values_as_memory_does(
        self, open_storage: Callable[[], Storage]
    ) -> None:
        """Check every entry point with every named hostile value of its kind."""
        reference = open_world(MemoryStorage())
        subject = open_world(open_storage())
        for entry in self._entry_points():
            for value in NAMED_VALUES[entry.kind].values():
                check_entry_point(reference, subject, entry, value)

    def test_generated_hostile_values_get_the_same_answer_as_memory(
        self, open_storage: Callable[[], Storage]
    ) -> None:
        """Check entry points with generated hostile values, a new pair of worlds per example."""
        entries = self._entry_points()

        @settings(
            max_examples=self.hostile_examples,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        )
        @given(data=st.data())
        def run(data: st.DataObject) -> None:
            reference = open_world(MemoryStorage())
            subject = open_world(open_storage())
            for _ in range(self.hostile_calls):
                entry = data.draw(st.sampled_from(entries), label="entry point")
                value = data.draw(HOSTILE_VALUES[entry.kind](), label=entry.name)
                check_entry_point(reference, subject, entry, value)

        run()
