"""Record ids and definition ids."""

from __future__ import annotations

import threading

import pytest

from leadcore.ids import ID_PATTERN, IdFactory, RandomIds, SequentialIds, is_valid_id


def test_sequential_ids_count_per_kind() -> None:
    ids = SequentialIds()
    assert [ids.new("lead"), ids.new("lead"), ids.new("user"), ids.new("lead")] == [
        "lead-1",
        "lead-2",
        "user-1",
        "lead-3",
    ]
    assert SequentialIds().new("lead") == "lead-1"


def test_sequential_ids_are_unique_across_threads() -> None:
    ids = SequentialIds()
    made: list[str] = []
    lock = threading.Lock()

    def work() -> None:
        mine = [ids.new("lead") for _ in range(500)]
        with lock:
            made.extend(mine)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(made) == sorted(f"lead-{i}" for i in range(1, 4001))


def test_random_ids_are_prefixed_and_unique() -> None:
    ids = RandomIds()
    made = {ids.new("lead") for _ in range(1000)}
    assert len(made) == 1000
    assert all(i.startswith("lead-") and len(i) == 5 + 32 for i in made)


def test_both_factories_are_id_factories() -> None:
    assert isinstance(RandomIds(), IdFactory)
    assert isinstance(SequentialIds(), IdFactory)


@pytest.mark.parametrize("value", ["new", "a", "no_answer", "do-not-call", "2nd", "x" * 64, "_"])
def test_valid_definition_ids(value: str) -> None:
    assert is_valid_id(value)
    assert ID_PATTERN.fullmatch(value)


@pytest.mark.parametrize(
    "value",
    ["", "New", "has space", "x" * 65, "dé", "a.b", "new\n", "חדש", None, 5, b"new", ["new"]],
    ids=repr,
)
def test_invalid_definition_ids(value: object) -> None:
    assert not is_valid_id(value)
