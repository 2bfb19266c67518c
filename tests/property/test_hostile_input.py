"""The hostile-input check of the testing kit, on the reference MemoryStorage.

Memory against memory is the smoke test of the check itself: every entry
point answers hostile text and ids with a leadcore error or a result, and
writes nothing when it refuses. The SQL backends run the same check in
``tests/integration/test_sql_hostile_input.py``.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from leadcore.errors import LeadcoreError
from leadcore.storage.memory import MemoryStorage
from leadcore.storage.protocols import Storage
from leadcore.testing.hostile import (
    ENTRY_POINTS,
    HOSTILE_VALUES,
    NAMED_VALUES,
    EntryPoint,
    HostileInputChecks,
    check_entry_point,
    open_world,
)


class TestMemoryStorageHostileInput(HostileInputChecks[MemoryStorage]):
    def make_storage(self) -> MemoryStorage:
        return MemoryStorage()


def test_every_entry_point_names_a_kind_of_hostile_value() -> None:
    names = [e.name for e in ENTRY_POINTS]
    assert len(names) == len(set(names))
    assert {e.kind for e in ENTRY_POINTS} <= set(HOSTILE_VALUES) == set(NAMED_VALUES)


def test_a_refusal_that_writes_is_caught() -> None:
    # A call that writes and then raises a leadcore error breaks "nothing written".
    reference, subject = open_world(MemoryStorage()), open_world(MemoryStorage())

    def write_then_refuse(w: object, value: object) -> object:
        assert hasattr(w, "session")
        w.session.leads.create("Written")
        raise LeadcoreError(f"refused {value!r}")

    with pytest.raises(AssertionError, match="wrote on MemoryStorage"):
        check_entry_point(reference, subject, EntryPoint("writes", "text", write_then_refuse), "x")


def test_different_answers_are_caught() -> None:
    worlds = [open_world(MemoryStorage()), open_world(MemoryStorage())]
    answers: list[Callable[[], object]] = [lambda: "one", lambda: "two"]

    def answer(w: object, value: object) -> object:
        return answers[worlds.index(w)]()  # type: ignore[arg-type]

    with pytest.raises(AssertionError, match="answered 'two' on the adapter but 'one'"):
        check_entry_point(worlds[0], worlds[1], EntryPoint("differs", "text", answer), "x")


def test_a_raw_exception_fails_the_check() -> None:
    reference, subject = open_world(MemoryStorage()), open_world(MemoryStorage())

    def crash(w: object, value: object) -> object:
        raise UnicodeEncodeError("utf-8", "\ud800", 0, 1, "surrogates not allowed")

    with pytest.raises(UnicodeEncodeError):
        check_entry_point(reference, subject, EntryPoint("crashes", "text", crash), "x")


def test_the_check_needs_an_open_storage() -> None:
    checks: HostileInputChecks[Storage] = HostileInputChecks()
    with pytest.raises(NotImplementedError, match="must override make_storage"):
        checks.make_storage()
