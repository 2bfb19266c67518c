"""The examples in the docstrings of every module of the installed package run as shown."""

from __future__ import annotations

import doctest
import importlib
import io
import pkgutil
from types import ModuleType

import hypothesis
import pytest

import leadcore

# Running this module would run the command line.
NOT_IMPORTED = {"leadcore.__main__"}


def _is_optional_dependency(exc: ImportError) -> bool:
    # A module behind an extra (``sql``, ``ical``) may need a package that is not installed;
    # a missing leadcore module is a real failure.
    name = getattr(exc, "name", None) or ""
    return isinstance(exc, ModuleNotFoundError) and not name.startswith("leadcore")


def _module_names() -> list[str]:
    broken: list[str] = []
    names = ["leadcore"]
    for info in pkgutil.walk_packages(leadcore.__path__, "leadcore.", onerror=broken.append):
        if info.name not in NOT_IMPORTED:
            names.append(info.name)
    # walk_packages reports a package it could not import; importing it again below fails
    # the test for that package with the real error.
    return sorted(set(names) | set(broken))


MODULES = _module_names()


def _import(name: str) -> ModuleType:
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        if _is_optional_dependency(exc):
            pytest.skip(f"{name} needs {exc.name}, which is not installed")
        raise


def _doctests(module: ModuleType) -> list[doctest.DocTest]:
    return doctest.DocTestFinder(exclude_empty=True).find(module, module.__name__)


def test_the_walk_finds_the_package_modules() -> None:
    assert {"leadcore", "leadcore.workflow", "leadcore.workflow._model", "leadcore.cli"} <= set(
        MODULES
    )
    assert "leadcore.__main__" not in MODULES


def test_the_package_has_doctests() -> None:
    examples = 0
    for name in MODULES:
        try:
            module = importlib.import_module(name)
        except ImportError as exc:
            if _is_optional_dependency(exc):
                continue
            raise
        examples += sum(len(t.examples) for t in _doctests(module))
    assert examples >= 1


@pytest.mark.parametrize("name", MODULES)
def test_the_doctests_of_the_module_pass(name: str) -> None:
    module = _import(name)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    report = io.StringIO()
    # Examples that call hypothesis' ``find`` show what it finds from scratch when
    # derandomised (as in CI): a random seed, or an example database left by earlier
    # runs, may shrink to another minimal example.
    profile = hypothesis.settings.get_current_profile_name()
    hypothesis.settings.register_profile(
        "doctests", hypothesis.settings.get_profile(profile), derandomize=True, database=None
    )
    hypothesis.settings.load_profile("doctests")
    try:
        for test in _doctests(module):
            runner.run(test, out=report.write)
    finally:
        hypothesis.settings.load_profile(profile)
    assert runner.failures == 0, report.getvalue()
