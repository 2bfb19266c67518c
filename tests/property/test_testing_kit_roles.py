"""Role properties and check_migration over generated workflows, against a real leadcore."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from leadcore import Leadcore
from leadcore.errors import MigrationInvalid, WorkflowInvalid
from leadcore.leads import TaskDraft
from leadcore.tenancy import Permission, Role, RolePolicy
from leadcore.testing import check_migration
from leadcore.testing._role_moves import role_moves
from leadcore.testing._role_properties import check_roles
from leadcore.testing.strategies import workflows
from leadcore.workflow import Workflow

_TASK = TaskDraft("Call back", due_in=timedelta(days=1))
_UNRESTRICTED = (
    RolePolicy()
    .with_role(Role.QUALIFIER, {Permission.CHANGE_STATUS})
    .with_role(Role.SALESPERSON, {Permission.CHANGE_STATUS})
)
# The codes of hazards that s.workflow.publish itself refuses.
_PUBLISH_REFUSES = {
    "removed-unmapped",
    "mapping-not-removed",
    "mapping-unknown-target",
    "mapping-requires",
}


def _storable(wf: Workflow) -> bool:
    # NUL is refused at the public boundary (docs/limits.md); the kit's names may draw it.
    return "\x00" not in wf.name and all("\x00" not in s.name for s in wf.statuses)


@settings(max_examples=15, deadline=None)
@given(workflows(max_statuses=6))
def test_every_run_of_a_role_is_accepted_by_a_real_session_of_that_role(wf: Workflow) -> None:
    core = Leadcore.open()
    assume(_storable(wf))
    _, admin = core.create_organization("Agency", admin_name="Dana", workflow=wf)
    s = core.session(admin.id)
    for moves in role_moves(wf, roles=[Role.QUALIFIER, Role.SALES_MANAGER]):
        user = s.users.create(f"A {moves.role}", moves.role)
        s.users.grant(user.id, Permission.SEE_ALL_LEADS)
        agent = core.session(user.id)
        for status, path in moves.entered().items():
            lead = agent.leads.create(f"Lead for {status}")
            for target in path[1:]:
                assert target is not None
                agent.leads.change_status(lead.id, target, note="Spoke to them", task=_TASK)
            assert agent.leads.get(lead.id).status_id == status


@settings(max_examples=25, deadline=None)
@given(workflows(clean=True, max_statuses=8))
def test_every_workflow_without_warnings_keeps_every_role_property(wf: Workflow) -> None:
    assert check_roles(wf) == ()


@settings(max_examples=25, deadline=None)
@given(workflows(max_statuses=8))
def test_no_lead_is_stranded_when_no_role_is_restricted(wf: Workflow) -> None:
    assert check_roles(wf, policy=_UNRESTRICTED) == ()


@st.composite
def _versions(draw: st.DrawFn) -> tuple[Workflow, Workflow, dict[str, str]]:
    old = draw(workflows(min_statuses=2, max_statuses=6))
    gone = draw(st.sampled_from(old.status_ids))
    d: dict[str, Any] = dict(old.to_dict())
    d["status"] = [s for s in d["status"] if s["id"] != gone]
    for s in d["status"]:
        s["next"] = [n for n in s["next"] if n != gone]
    d["entry"] = [e for e in d["entry"] if e != gone] or None
    if d["entry"] is None:
        del d["entry"]
    try:
        new = Workflow.from_dict(d)
    except WorkflowInvalid:
        assume(False)
        raise
    targets = st.sampled_from([*new.status_ids, "nowhere"])
    mapping = draw(st.dictionaries(st.sampled_from(old.status_ids), targets, max_size=2))
    return old, new, mapping


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(_versions())
def test_check_migration_refuses_what_publish_refuses(
    versions: tuple[Workflow, Workflow, dict[str, str]],
) -> None:
    old, new, mapping = versions
    core = Leadcore.open()
    assume(_storable(old) and _storable(new))
    _, admin = core.create_organization("Agency", admin_name="Dana", workflow=old)
    s = core.session(admin.id)
    for status in old.status_ids:  # a lead in every status: every status holds leads
        lead = s.leads.create(f"Lead in {status}")
        s.leads.change_status(lead.id, status, note="Spoke to them", task=_TASK)
    report = check_migration(old, new, mapping)
    refused = {f.code for f in report.errors} & _PUBLISH_REFUSES
    if refused:
        with pytest.raises(MigrationInvalid):
            s.workflow.publish(new, migration=mapping)
    else:
        s.workflow.publish(new, migration=mapping)
