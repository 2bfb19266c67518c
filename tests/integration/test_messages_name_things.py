"""Messages shown to people name leads, users, projects and pools by name; the ids stay in fields.

On memory and on SQLite (the messages are made by the services, the same for
every adapter). Ids from :class:`~leadcore.ids.SequentialIds` (``lead-1``,
``user-2``, ``project-1``) must not appear in the text, and must be in the
structured fields of the error or the explanation.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from leadcore import Leadcore, Session
from leadcore.clock import ManualClock
from leadcore.dispatch import Pool, PoolKind, ProjectRules
from leadcore.errors import (
    ConflictError,
    LeadConverted,
    LeadcoreError,
    TransitionRefused,
    ValidationError,
)
from leadcore.ids import SequentialIds
from leadcore.leads import Lead, Project
from leadcore.storage.sql import SqlStorage

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)


@pytest.fixture(params=["memory", "sqlite"])
def core(request: pytest.FixtureRequest) -> Iterator[Leadcore]:
    storage = SqlStorage("sqlite://", create=True) if request.param == "sqlite" else None
    with Leadcore(storage, ManualClock(T0), SequentialIds()) as opened:
        yield opened


@pytest.fixture
def s(core: Leadcore) -> Session:
    _, admin = core.create_organization("Call centre", admin_name="Dana")
    return core.session(admin.id)


@pytest.fixture
def project(s: Session) -> Project:
    project = s.leads.create_project(
        "Spring campaign",
        rules=ProjectRules(force_notes_on_status_change=True),
        member_ids=[s.user_id],
    )
    s.dispatch.set_pools(project.id, [Pool("hot", PoolKind.PROJECT, "Hot leads")])
    return project


def _no_ids(text: str, *ids: str) -> None:
    for ident in ids:
        assert ident not in text, (ident, text)


def _raised(call: object) -> LeadcoreError:
    assert callable(call)
    with pytest.raises(LeadcoreError) as caught:
        call()
    return caught.value


def test_the_explanation_names_the_agent_the_lead_and_the_pool(
    s: Session, project: Project
) -> None:
    empty = s.dispatch.explain(project.id)
    assert empty.text() == ("No lead for Dana: none of 0 is eligible.\nEmpty pools: Hot leads.")
    assert (empty.agent_id, empty.agent_name, empty.empty_pools) == (s.user_id, "Dana", ("hot",))
    lead = s.leads.create("Yossi Cohen", project_id=project.id, pool_id="hot")
    why = s.dispatch.explain(project.id)
    assert why.text().startswith("Dana gets Yossi Cohen: from pool Hot leads, tier 1 of 1;")
    _no_ids(why.text(), s.user_id, lead.id, project.id)
    assert why.choice is not None
    assert (why.choice.lead_id, why.choice.pool_id, why.lead_name) == (lead.id, "hot", lead.name)


def test_a_forced_note_refusal_names_the_project(s: Session, project: Project) -> None:
    lead = s.leads.create("Yossi Cohen", project_id=project.id, pool_id="hot")
    claim = s.dispatch.next(project.id)
    assert claim is not None
    err = _raised(lambda: s.dispatch.log_call(lead.id, claim.token, outcome="no answer"))
    assert isinstance(err, ValidationError)
    assert err.problems == (
        "note: project 'Spring campaign' forces notes (force_notes_on_status_change): "
        "log the call with a note",
    )
    _no_ids(str(err), project.id, lead.id)
    assert dict(err.ids) == {"project_id": project.id, "lead_id": lead.id}


@pytest.fixture
def converted(s: Session) -> Lead:
    lead = s.leads.create("Yossi Cohen")
    s.leads.convert(lead.id)
    return s.leads.get(lead.id)


def test_a_converted_lead_is_named_in_every_refusal(s: Session, converted: Lead) -> None:
    for call in (
        lambda: s.leads.add_note(converted.id, "one more thing"),
        lambda: s.leads.change_status(converted.id, "new"),
        lambda: s.leads.update(converted.id, name="Yossi C."),
        lambda: s.leads.assign(converted.id, [s.user_id]),
    ):
        err = _raised(call)
        assert isinstance(err, LeadConverted)
        assert str(err).startswith("lead 'Yossi Cohen' is converted")
        _no_ids(str(err), converted.id)
        assert err.ids["lead_id"] == converted.id


def test_a_stale_version_names_the_lead(s: Session) -> None:
    lead = s.leads.create("Yossi Cohen")
    s.leads.update(lead.id, name="Yossi C.")
    err = _raised(lambda: s.leads.update(lead.id, name="x", expected_version=lead.version))
    assert isinstance(err, ConflictError)
    assert str(err) == "lead 'Yossi C.' is at version 2, not 1: it was changed meanwhile"
    assert err.ids == {"lead_id": lead.id}


def test_a_refused_move_names_the_lead(s: Session) -> None:
    lead = s.leads.create("Yossi Cohen")
    err = _raised(lambda: s.leads.change_status(lead.id, "contacted"))
    assert isinstance(err, TransitionRefused)
    assert str(err).startswith("lead 'Yossi Cohen': moving to 'contacted' is refused")
    assert (err.lead_id, err.lead_name, err.ids["lead_id"]) == (lead.id, "Yossi Cohen", lead.id)


def test_un_converting_a_lead_that_is_not_converted_names_it(s: Session) -> None:
    lead = s.leads.create("Yossi Cohen")
    err = _raised(lambda: s.leads.unconvert(lead.id, reason="by mistake"))
    assert isinstance(err, ValidationError)
    assert err.problems == ("lead 'Yossi Cohen' is not converted",)
    assert err.ids == {"lead_id": lead.id}


def test_forwarding_a_lead_twice_names_it(s: Session) -> None:
    partner, _ = s.partners.add_advertiser("Buyers Ltd", admin_name="Avi")
    lead = s.leads.create("Yossi Cohen", phones=["+972505551234"])
    first = s.leads.forward(lead.id, partner.id)
    err = _raised(lambda: s.leads.forward(lead.id, partner.id))
    assert isinstance(err, ValidationError)
    assert err.problems[0].startswith("lead_id: lead 'Yossi Cohen' was already sent to ")
    assert err.ids == {"lead_id": lead.id, "delivery_id": first.id}


def test_an_error_without_names_has_no_ids() -> None:
    assert dict(LeadcoreError("x").ids) == {}
    assert dict(ValidationError("x", ["y"]).ids) == {}
