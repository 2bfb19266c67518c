"""The adapter conformance suite, run against the reference in-memory storage."""

from __future__ import annotations

import inspect

import attrs
import pytest

from leadcore.storage.memory import MemoryStorage
from leadcore.storage.protocols import Capabilities
from leadcore.testing.conformance import (
    CalendarRepositoryTests,
    ComparisonWithMemory,
    DispatchRepositoryTests,
    ForwardingRepositoryTests,
    Records,
    StorageConformance,
)


class TestMemoryStorage(StorageConformance[MemoryStorage]):
    def make_storage(self) -> MemoryStorage:
        return MemoryStorage()


def test_the_suite_compares_every_adapter_with_memory_storage() -> None:
    # TestMemoryStorage runs it: memory against memory is the smoke test of the machine.
    assert issubclass(StorageConformance, ComparisonWithMemory)
    assert "test_every_answer_equals_the_memory_storage_s" in dir(TestMemoryStorage)


class _Partial(MemoryStorage):
    """A storage that declares neither dispatch, nor the calendar, nor forwarding."""

    @property
    def capabilities(self) -> Capabilities:
        return attrs.evolve(super().capabilities, dispatch=False, calendar=False, forwarding=False)


def test_the_memory_storage_declares_every_area() -> None:
    caps = MemoryStorage().capabilities
    assert (caps.dispatch, caps.calendar, caps.forwarding) == (True, True, True)


@pytest.mark.parametrize(
    ("part", "flag"),
    [
        (DispatchRepositoryTests, "dispatch"),
        (CalendarRepositoryTests, "calendar"),
        (ForwardingRepositoryTests, "forwarding"),
    ],
)
def test_every_check_of_an_undeclared_area_skips_naming_its_flag(part: type, flag: str) -> None:
    checks = [name for name in dir(part) if name.startswith("test_")]
    assert checks
    for name in checks:
        with pytest.raises(pytest.skip.Exception, match=rf"needs Capabilities\.{flag}\b"):
            getattr(part(), name)(_Partial(), Records())


def test_no_two_parts_of_the_suite_share_a_check_name() -> None:
    # A shared name would let one part's check silently hide another's.
    seen: dict[str, str] = {}
    for part in StorageConformance.__mro__:
        for name, value in vars(part).items():
            if name.startswith("test_") and inspect.isfunction(value):
                assert name not in seen, f"{name} is in {part.__name__} and {seen[name]}"
                seen[name] = part.__name__
