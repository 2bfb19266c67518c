"""The examples in the calendar's docstrings run and say what they show."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "leadcore.calendar",
    "leadcore.calendar._availability",
    "leadcore.calendar._ical",
    "leadcore.calendar._model",
    "leadcore.calendar._recurrence",
    "leadcore.calendar._reports",
    "leadcore.calendar._rule",
    "leadcore.calendar._visibility",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
    assert result.attempted > 0
