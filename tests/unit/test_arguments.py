"""A wrong-typed argument of any public call is a ValidationError naming it, and writes nothing.

Values from web forms and JSON bodies are often of the wrong type: ``"1"``
for a version, ``"no"`` for a flag, ``5`` for an id. Every public method of
every service of a session (and of the facade) answers them the same way,
before it reads or writes anything, on every adapter.
"""

from __future__ import annotations

import enum
import inspect
import types
import typing
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leadcore import Leadcore
from leadcore._arguments import check_for, checked_arguments
from leadcore.clock import ManualClock
from leadcore.core import Session
from leadcore.errors import ValidationError
from leadcore.ids import SequentialIds
from leadcore.storage.protocols import UnitOfWork

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SERVICES = (
    "users",
    "partners",
    "workflow",
    "leads",
    "reports",
    "dispatch",
    "deliveries",
    "routing",
    "calendar",
)


# -- every public method, every plainly typed parameter -------------------------------------


class _Sentinel(enum.Enum):
    X = "x"


def _resolved(fn: Callable[..., object], p: inspect.Parameter) -> object:
    namespace = {**vars(typing), **inspect.unwrap(fn).__globals__}
    try:
        return eval(p.annotation, namespace) if isinstance(p.annotation, str) else p.annotation
    except Exception:
        return None


def _members(annotation: object) -> tuple[object, ...]:
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return typing.get_args(annotation)
    return (annotation,)


def _wrong_values(annotation: object) -> list[object]:
    """Values of a type the annotation does not allow (those a form or JSON body may carry)."""
    members = _members(annotation)
    wrong: list[object] = []
    text_like = any(
        (isinstance(m, type) and issubclass(m, enum.Enum)) or typing.get_origin(m) is typing.Literal
        for m in members
    )
    if str not in members and not text_like:  # an enum's or a literal's value is checked later
        wrong.append("1")
    if int not in members and float not in members:
        wrong.append(5)
    if bool not in members:
        wrong.append(True)
    if type(None) not in members:
        wrong.append(None)
    if any(typing.get_args(m) == (str,) for m in members):
        wrong.append([7])
    return wrong


def _placeholder(annotation: object) -> object:
    """A value of the declared type (never read: the wrong argument is refused first)."""
    for m in _members(annotation):
        if m is str:
            return "x"
        if m is type(None):
            return None
        if m is bool:
            return False
        if m is int:
            return 1
    return None


def _cases() -> list[tuple[str, str, str, object]]:
    cases: list[tuple[str, str, str, object]] = []
    owners: list[tuple[str, type]] = [("core", Leadcore)]
    session = _any_session()
    owners += [(name, type(getattr(session, name))) for name in SERVICES]
    for owner, cls in owners:
        for name, fn in inspect.getmembers(cls, inspect.isfunction):
            if name.startswith("_"):
                continue
            for p in list(inspect.signature(fn).parameters.values())[1:]:
                annotation = _resolved(fn, p)
                if annotation is None or check_for(annotation, p.name) is None:
                    continue
                for value in _wrong_values(annotation):
                    cases.append((owner, name, p.name, value))
    return cases


def _any_session() -> Session:
    core = Leadcore.open(clock=ManualClock(START), ids=SequentialIds())
    _, admin = core.create_organization("Agency", admin_name="Dana")
    return core.session(admin.id)


CASES = _cases()


def test_the_walk_finds_the_parameters_people_get_wrong() -> None:
    found = {(owner, method, param) for owner, method, param, _ in CASES}
    assert {
        ("leads", "update", "expected_version"),
        ("leads", "list", "converted"),
        ("leads", "list", "limit"),
        ("dispatch", "set_pools", "order"),
        ("dispatch", "add_note", "token"),
        ("users", "create", "role"),
        ("users", "grant", "permissions"),
        ("calendar", "search", "limit"),
        ("core", "session", "user_id"),
    } <= found
    assert len(found) > 200


@pytest.mark.parametrize(
    ("owner", "method", "param", "value"),
    CASES,
    ids=[f"{o}.{m}-{p}-{v!r}" for o, m, p, v in CASES],
)
def test_a_wrong_typed_argument_is_a_validation_error_naming_it(
    owner: str, method: str, param: str, value: object
) -> None:
    core = Leadcore.open(clock=ManualClock(START), ids=SequentialIds())
    _, admin = core.create_organization("Agency", admin_name="Dana")
    target: Any = core if owner == "core" else getattr(core.session(admin.id), owner)
    fn = getattr(target, method)
    opened: list[object] = []
    open_unit_of_work = core.storage.unit_of_work

    def counting() -> UnitOfWork:
        opened.append(True)
        return open_unit_of_work()

    core.storage.unit_of_work = counting  # type: ignore[method-assign]
    args: list[object] = []
    kwargs: dict[str, object] = {}
    sig = inspect.signature(fn)
    for p in sig.parameters.values():
        given_value = value if p.name == param else None
        if p.name != param:
            if p.default is not p.empty:
                continue
            given_value = _placeholder(_resolved(getattr(type(target), method), p))
        if p.kind is p.KEYWORD_ONLY:
            kwargs[p.name] = given_value
        else:
            args.append(given_value)
    with pytest.raises(ValidationError) as caught:
        fn(*args, **kwargs)
    assert any(
        problem.startswith((f"{param}:", f"{param}[")) for problem in caught.value.problems
    ), str(caught.value)
    assert not opened  # refused before anything was read or written


# -- the checker itself -----------------------------------------------------------------------


@checked_arguments
class _Example:
    def call(
        self,
        ident: str,
        *more: int,
        flag: bool = False,
        sentinel: str | _Sentinel = _Sentinel.X,
        limit: int | None = None,
        kind: typing.Literal["a", "b"] = "a",
    ) -> tuple[object, ...]:
        return (ident, more, flag, sentinel, limit, kind)


@settings(max_examples=60)
@given(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(allow_nan=False),
        st.text(max_size=3),
        st.binary(max_size=3),
        st.lists(st.integers(), max_size=2),
    )
)
def test_a_value_passes_exactly_when_it_has_the_declared_type(value: object) -> None:
    if value is None or (isinstance(value, int) and not isinstance(value, bool)):
        assert _Example().call("x", 1, limit=value)[4] == value
        return
    with pytest.raises(ValidationError) as caught:
        _Example().call("x", 1, limit=value)  # type: ignore[arg-type]
    assert caught.value.problems[0].startswith("limit: expected a whole number or None; got ")


def test_the_example_checks_star_arguments_sentinels_and_literals() -> None:
    assert _Example().call("x", 1, 2, sentinel="y", kind="b")[3] == "y"
    assert _Example().call("x")[3] is _Sentinel.X
    with pytest.raises(ValidationError) as caught:
        _Example().call(1, 2, "3", flag=0, kind=3)  # type: ignore[arg-type]
    assert caught.value.problems == (
        "ident: expected text; got int 1",
        "more[1]: expected a whole number; got str '3'",
        "flag: expected True or False; got int 0",
        "kind: expected text (one of a, b); got int 3",
    )


class _Clock(typing.Protocol):
    def now(self) -> int: ...


def test_a_parameter_of_a_type_it_cannot_check_is_left_to_the_use_case() -> None:
    assert check_for(_Clock) is None
    assert check_for(int | _Clock) is None
    assert check_for(typing.Any) is None


def test_a_callback_must_be_callable() -> None:
    check = check_for(typing.Callable[[int, int | None], object] | None)
    assert check is not None
    assert check.problem(print, "progress") is None
    assert check.problem(None, "progress") is None
    assert check.problem(5, "progress") == (
        "progress: expected a function (a callable) or None; got int 5"
    )
