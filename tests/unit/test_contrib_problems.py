"""Every error leadcore raises has an HTTP problem of its own (leadcore.contrib._problems)."""

from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys

from hypothesis import given
from hypothesis import strategies as st

import leadcore
from leadcore import errors
from leadcore.contrib._problems import PROBLEMS, problem_details, problem_for
from leadcore.errors import LeadcoreError, NotFound, ValidationError

# The test kit's errors end a test, never a request.
NOT_SERVED = ("leadcore.testing", "leadcore.__main__", "leadcore.contrib.")


def _every_error_class() -> set[type[LeadcoreError]]:
    for info in pkgutil.walk_packages(leadcore.__path__, "leadcore."):
        if info.name.startswith(NOT_SERVED):
            continue
        try:
            importlib.import_module(info.name)
        except ModuleNotFoundError as exc:  # an optional extra that is not installed
            if (exc.name or "").startswith("leadcore"):
                raise
    found: set[type[LeadcoreError]] = set()
    todo: list[type[LeadcoreError]] = [LeadcoreError]
    while todo:
        cls = todo.pop()
        found.add(cls)
        todo.extend(cls.__subclasses__())
    return {
        c
        for c in found
        if not c.__name__.startswith("_") and not c.__module__.startswith(NOT_SERVED)
    }


def test_every_public_error_class_has_a_problem_of_its_own() -> None:
    missing = sorted(
        f"{c.__module__}.{c.__qualname__}" for c in _every_error_class() if c not in PROBLEMS
    )
    assert missing == [], f"add these to leadcore.contrib._problems.PROBLEMS: {missing}"
    for name in errors.__all__:
        assert getattr(errors, name) in PROBLEMS


def test_statuses_follow_the_kind_of_error() -> None:
    assert problem_for(ValidationError).status == 422
    assert problem_for(NotFound).status == 404
    assert problem_for(errors.Forbidden).status == 403
    assert problem_for(errors.ConflictError).status == 409
    assert problem_for(errors.LeaseLost).status == 409
    assert len({p.slug for p in PROBLEMS.values()}) == len(PROBLEMS)


def test_a_subclass_not_listed_takes_its_base_s_problem() -> None:
    class Special(NotFound):
        pass

    assert problem_for(Special) == PROBLEMS[NotFound]


@given(
    summary=st.text(st.characters(codec="utf-8"), min_size=1),
    problems=st.lists(st.text(st.characters(codec="utf-8"))),
)
def test_a_validation_problem_carries_every_finding_and_the_message(
    summary: str, problems: list[str]
) -> None:
    error = ValidationError(summary, problems)
    doc = problem_details(error)
    assert doc["problems"] == problems
    assert doc["detail"] == str(error)
    assert doc["status"] == 422
    assert {"type", "title", "status", "detail"} <= doc.keys()


def test_importing_contrib_imports_no_framework() -> None:
    # A fresh interpreter: this one may have imported the frameworks for other tests.
    code = (
        "import sys, leadcore.contrib, leadcore.contrib._problems; "
        "print(sorted({n.split('.')[0] for n in sys.modules} & {'fastapi', 'django', 'starlette'}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
