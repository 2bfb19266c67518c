"""A wrong-typed argument of a public call is a ValidationError naming it: the cases people hit.

The same answers on every adapter: on memory and on SQLite (the walk over
every public method is ``tests/unit/test_arguments.py``).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from leadcore import Leadcore
from leadcore.clock import ManualClock
from leadcore.core import Session
from leadcore.errors import ConflictError, ValidationError
from leadcore.ids import SequentialIds
from leadcore.storage.sql import SqlStorage

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _core(storage: str) -> Leadcore:
    store = SqlStorage("sqlite://", create=True) if storage == "sqlite" else None
    return Leadcore(store, ManualClock(START), SequentialIds())


@pytest.fixture(params=["memory", "sqlite"])
def core(request: pytest.FixtureRequest) -> Iterator[Leadcore]:
    with _core(request.param) as opened:
        yield opened


@pytest.fixture
def s(core: Leadcore) -> Session:
    _, admin = core.create_organization("Agency", admin_name="Dana", default_region="IL")
    return core.session(admin.id)


# -- the cases people hit, on memory and on SQLite ---------------------------------------------


def test_a_version_from_a_form_is_refused_by_name_not_as_a_conflict(s: Session) -> None:
    lead = s.leads.create("Yossi")
    with pytest.raises(ValidationError) as caught:
        s.leads.update(lead.id, name="x", expected_version="1")  # type: ignore[arg-type]
    assert not isinstance(caught.value, ConflictError)
    assert caught.value.problems == (
        "expected_version: expected a whole number of 1 or more (the version read), or None; "
        "got str '1'",
    )
    assert s.leads.get(lead.id) == lead
    assert len(s.leads.history(lead.id).items) == 1


@pytest.mark.parametrize("version", [True, False, 0, -1, 1.0, "1"])
def test_a_version_must_be_a_whole_number_of_one_or_more(s: Session, version: object) -> None:
    lead = s.leads.create("Yossi")
    for call in (
        lambda: s.leads.update(lead.id, name="x", expected_version=version),  # type: ignore[arg-type]
        lambda: s.leads.change_status(lead.id, "new", expected_version=version),  # type: ignore[arg-type]
        lambda: s.leads.assign(lead.id, [], expected_version=version),  # type: ignore[arg-type]
        lambda: s.leads.convert(lead.id, expected_version=version),  # type: ignore[arg-type]
    ):
        with pytest.raises(ValidationError, match="expected_version"):
            call()
    assert s.leads.get(lead.id) == lead


def test_a_flag_from_a_form_is_refused(s: Session) -> None:
    with pytest.raises(ValidationError, match=r"include_done: expected True or False; got str"):
        s.leads.list(include_done="no")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match=r"converted: expected True, False or None"):
        s.leads.list(converted=1)  # type: ignore[arg-type]


def test_a_list_of_ids_that_is_one_string_or_not_ids_is_refused(s: Session) -> None:
    with pytest.raises(ValidationError, match=r"member_ids: expected a list of text; got str"):
        s.leads.create_project("Spring", member_ids=s.user_id)
    with pytest.raises(ValidationError, match=r"member_ids: expected a list of text; got list"):
        s.leads.create_project("Spring", member_ids=[5])  # type: ignore[list-item]
    assert s.leads.projects() == []


def test_an_iterator_of_ids_is_read_once_and_still_works(s: Session) -> None:
    project = s.leads.create_project("Spring", member_ids=iter([s.user_id]))
    assert project.member_ids == frozenset({s.user_id})


def test_every_wrong_argument_is_named_at_once(s: Session) -> None:
    with pytest.raises(ValidationError) as caught:
        s.leads.history(5, limit="10", after="x")  # type: ignore[arg-type]
    assert [p.split(":")[0] for p in caught.value.problems] == ["lead_id", "limit", "after"]


def test_an_enum_argument_takes_a_member_or_its_value(s: Session) -> None:
    from leadcore import Role

    assert s.users.create("Omer", Role.QUALIFIER).role is Role.QUALIFIER
    assert s.users.create("Noa", "qualifier").role is Role.QUALIFIER
    with pytest.raises(ValidationError, match=r"role: expected text \(one of account_manager, "):
        s.users.create("Eli", 5)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match=r"permissions\[1\]: expected text \(one of "):
        s.users.grant(s.user_id, "see_reports", 3)  # type: ignore[arg-type]


def test_a_dispatch_token_is_a_whole_number(s: Session) -> None:
    lead = s.leads.create("Yossi")
    for token in ("1", True, 1.0):
        with pytest.raises(ValidationError, match=r"^wrong argument type"):
            s.dispatch.add_note(lead.id, token, "x")  # type: ignore[arg-type]
        with pytest.raises(ValidationError, match=r"token: expected a whole number"):
            s.dispatch.release(lead.id, token)  # type: ignore[arg-type]


def test_the_facade_checks_its_arguments_too(core: Leadcore) -> None:
    with pytest.raises(ValidationError, match=r"user_id: expected text; got int 5"):
        core.session(5)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match=r"admin_name: expected text"):
        core.create_organization("Agency", admin_name=None)  # type: ignore[arg-type]
