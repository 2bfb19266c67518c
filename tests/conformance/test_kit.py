"""The conformance kit itself: skips name their flag; a missing factory says what to do."""

from __future__ import annotations

import pytest

from leadcore import ValidationError
from leadcore.storage import Capabilities
from leadcore.storage.memory import MemoryStorage
from leadcore.testing.conformance import Records, StorageConformance, require_capability


class _Durable(MemoryStorage):
    @property
    def capabilities(self) -> Capabilities:
        return Capabilities(durable=True, multi_process=False, concurrent_units_of_work=True)


def test_a_missing_capability_skips_with_a_reason_naming_the_flag() -> None:
    with pytest.raises(pytest.skip.Exception, match=r"needs Capabilities\.durable.*MemoryStorage"):
        require_capability(MemoryStorage(), "durable")


def test_a_declared_capability_runs_the_check() -> None:
    require_capability(_Durable(), "durable")
    require_capability(MemoryStorage(), "concurrent_units_of_work")


def test_an_unknown_capability_is_a_mistake_of_the_suite_not_a_skip() -> None:
    with pytest.raises(ValidationError, match="'durible' is not a capability"):
        require_capability(MemoryStorage(), "durible")


def test_a_suite_without_a_storage_factory_says_what_to_override() -> None:
    class Incomplete(StorageConformance[MemoryStorage]):
        pass

    with pytest.raises(NotImplementedError, match=r"must override make_storage\(\)"):
        Incomplete().make_storage()
    with pytest.raises(NotImplementedError, match=r"override open_again\(storage\)"):
        Incomplete().open_again(MemoryStorage())


def test_sample_ids_differ_between_tests_but_names_repeat() -> None:
    one, two = Records(), Records()
    assert one.organization(1).id != two.organization(1).id
    assert one.user("a", 1).name == two.user("b", 1).name
