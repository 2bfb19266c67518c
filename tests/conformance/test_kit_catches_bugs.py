"""The mutation check of the conformance kit: it passes an honest proxy and fails every bug.

:class:`~tests.conformance.broken_storage.BrokenStorage` delegates to
MemoryStorage; without a bug it runs the whole kit (``TestHonestProxy``);
with each bug of :data:`~tests.conformance.broken_storage.BUGS` injected, the
check named for that bug must fail. The count is the catch rate docs/adapters.md
reports.
"""

from __future__ import annotations

import inspect

import pytest
from tests.conformance.broken_storage import BUGS, BrokenStorage

from leadcore.testing.conformance import Records, StorageConformance


class TestHonestProxy(StorageConformance[BrokenStorage]):
    def make_storage(self) -> BrokenStorage:
        return BrokenStorage()


class _Suite(StorageConformance[BrokenStorage]):
    """The kit on a proxy with one bug (not collected: it is run check by check)."""

    def __init__(self, bug: str | None) -> None:
        self.bug = bug

    def make_storage(self) -> BrokenStorage:
        return BrokenStorage(self.bug)


def run_check(bug: str | None, check: str) -> BaseException | None:
    """Run one check of the kit on a proxy with ``bug``; return how it failed, or ``None``."""
    method = getattr(_Suite(bug), check)
    storage = BrokenStorage(bug)
    arguments = {"storage": storage, "records": Records()}
    wanted = [p for p in inspect.signature(method).parameters if p in arguments]
    try:
        method(**{name: arguments[name] for name in wanted})
    except pytest.skip.Exception:
        raise
    except (Exception, pytest.fail.Exception) as failure:
        return failure
    finally:
        storage.close()
    return None


def test_every_bug_names_a_check_of_the_kit() -> None:
    checks = {name for name in dir(StorageConformance) if name.startswith("test_")}
    assert len(BUGS) >= 28
    assert {bug.caught_by for bug in BUGS.values()} <= checks


@pytest.mark.parametrize("bug", sorted(BUGS))
def test_the_kit_catches_the_injected_bug(bug: str) -> None:
    check = BUGS[bug].caught_by
    assert run_check(None, check) is None, f"{check} fails on the honest proxy"
    assert run_check(bug, check) is not None, f"the kit let {bug!r} through: {BUGS[bug].what}"
