"""Every error subclasses LeadcoreError and the builtin a caller would naturally catch."""

from __future__ import annotations

import builtins
import inspect

import pytest

import leadcore
from leadcore import errors
from leadcore.errors import (
    ConflictError,
    Forbidden,
    LeadConverted,
    LeadcoreError,
    LeaseLost,
    MigrationInvalid,
    NotFound,
    ValidationError,
    WorkflowInvalid,
)
from leadcore.workflow import Finding, LintCode, Severity

ERROR_CLASSES = [
    obj
    for name in errors.__all__
    if inspect.isclass(obj := getattr(errors, name)) and obj is not LeadcoreError
]

CONTRACT: list[tuple[type[LeadcoreError], type[Exception]]] = [
    (WorkflowInvalid, ValueError),
    (MigrationInvalid, ValueError),
    (ValidationError, ValueError),
    (NotFound, LookupError),
    (Forbidden, PermissionError),
    (LeadConverted, PermissionError),
    (ConflictError, RuntimeError),
    (LeaseLost, RuntimeError),
]


def test_the_base_error_is_an_exception() -> None:
    assert issubclass(LeadcoreError, Exception)
    assert "LeadcoreError" in errors.__all__


@pytest.mark.parametrize("cls", ERROR_CLASSES, ids=lambda c: c.__name__)
def test_every_error_subclasses_leadcore_error_and_a_builtin(cls: type[Exception]) -> None:
    assert issubclass(cls, LeadcoreError)
    builtin_bases = [
        base
        for base in cls.__mro__
        if base.__module__ == "builtins" and base not in (Exception, BaseException, object)
    ]
    assert builtin_bases, f"{cls.__name__} subclasses no builtin exception"
    assert all(getattr(builtins, b.__name__) is b for b in builtin_bases)
    assert cls.__doc__


@pytest.mark.parametrize(("cls", "builtin"), CONTRACT, ids=lambda c: c.__name__)
def test_the_documented_builtin_of_each_error(
    cls: type[LeadcoreError], builtin: type[Exception]
) -> None:
    assert issubclass(cls, builtin)


def _finding(code: LintCode, path: str, message: str) -> Finding:
    return Finding(
        code,
        Severity.ERROR if code is not LintCode.UNREACHABLE else Severity.WARNING,
        message,
        path,
    )


def test_workflow_invalid_lists_every_error_and_keeps_warnings() -> None:
    findings = [
        _finding(LintCode.BAD_COLOR, "status[0].color", "colour 'x' is not #RRGGBB"),
        _finding(LintCode.UNREACHABLE, "status[1]", "cannot be reached"),
        _finding(LintCode.SELF_LOOP, "status[2].next[0]", "lists itself"),
    ]
    err = WorkflowInvalid(findings, source="workflow 'sales'")
    assert err.findings == tuple(findings)
    assert err.errors == (findings[0], findings[2])
    assert str(err) == (
        "workflow 'sales' is invalid (2 errors):\n"
        "  status[0].color: bad-color error: colour 'x' is not #RRGGBB\n"
        "  status[2].next[0]: self-loop error: lists itself"
    )
    with pytest.raises(ValueError, match="is invalid"):
        raise err


def test_validation_error_names_every_problem() -> None:
    assert str(ValidationError("lead is invalid")) == "lead is invalid"
    err = ValidationError("lead is invalid", ["phones[0]: not a phone", "email: no @"])
    assert err.problems == ("phones[0]: not a phone", "email: no @")
    assert str(err) == ("lead is invalid (2 problems):\n  phones[0]: not a phone\n  email: no @")


def test_migration_invalid_names_every_problem() -> None:
    assert str(MigrationInvalid(["a"])) == "migration plan is invalid (1 problem):\n  a"
    assert MigrationInvalid(["a", "b"]).problems == ("a", "b")


def test_not_found_reads_the_same_for_any_organisation() -> None:
    err = NotFound("lead", "lead-7")
    assert (err.kind, err.ident) == ("lead", "lead-7")
    assert str(err) == "lead 'lead-7' not found"
    with pytest.raises(LookupError):
        raise err


def test_forbidden_keeps_the_permission() -> None:
    err = Forbidden("user 'u-1' may not publish workflows", permission="workflow.publish")
    assert err.permission == "workflow.publish"
    assert str(err) == "user 'u-1' may not publish workflows"
    assert Forbidden("inactive").permission is None


@pytest.mark.parametrize("cls", [ConflictError, LeadConverted, LeaseLost])
def test_plain_errors_carry_their_message(cls: type[LeadcoreError]) -> None:
    with pytest.raises(LeadcoreError, match="stale version 3"):
        raise cls("stale version 3")


def _leadcore_errors() -> list[type[LeadcoreError]]:
    """Every public error class defined in ``leadcore.errors``, listed in ``__all__`` or not."""
    return [
        obj
        for _, obj in inspect.getmembers(errors, inspect.isclass)
        if issubclass(obj, LeadcoreError)
        and obj.__module__ == errors.__name__
        and not obj.__name__.startswith("_")
    ]


def test_the_errors_module_defines_the_errors_this_test_knows() -> None:
    names = {cls.__name__ for cls in _leadcore_errors()}
    assert {"LeadcoreError", "TransitionRefused", "ValidationError", "NotFound"} <= names


@pytest.mark.parametrize("cls", _leadcore_errors(), ids=lambda c: c.__name__)
def test_every_public_error_is_importable_from_the_package(cls: type[LeadcoreError]) -> None:
    # A new error is public by being in leadcore.errors: it must not be forgotten in the
    # package's names (which also make the re-export table of the API reference).
    assert cls.__name__ in errors.__all__
    assert cls.__name__ in leadcore.__all__
    assert getattr(leadcore, cls.__name__) is cls


def test_transition_refused_is_importable_from_the_package() -> None:
    from leadcore import TransitionRefused

    assert issubclass(TransitionRefused, LeadcoreError)
