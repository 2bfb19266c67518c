"""Two organisations with look-alike leads (same phones, names, statuses) never see each other."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from leadcore import Leadcore
from leadcore.clock import ManualClock
from leadcore.core import Session
from leadcore.errors import NotFound, ValidationError
from leadcore.leads import LeadSettings, TaskDraft
from leadcore.workflow import sample_workflow

PHONE = "050-555-1234"


def _org(core: Leadcore, name: str) -> Session:
    _, admin = core.create_organization(name, admin_name="Dana", default_region="IL")
    return core.session(admin.id)


@pytest.fixture
def a(core: Leadcore) -> Session:
    return _org(core, "Alpha")


@pytest.fixture
def b(core: Leadcore) -> Session:
    return _org(core, "Beta")


def populate(s: Session, clock: ManualClock) -> dict[str, str]:
    """The same story in each organisation: returns the ids it made."""
    lead = s.leads.create("Yossi", phones=[PHONE], emails=["y@example.com"], channel="facebook")
    s.leads.change_status(lead.id, "new")
    s.leads.change_status(lead.id, "contacted", note="same words")
    task = s.leads.add_task(lead.id, TaskDraft("Call", due_in=timedelta(minutes=5)))
    other = s.leads.create("Dana", phones=["052-345-6789"], channel="facebook")
    conversion = s.leads.convert(other.id, account_name="Cohen Ltd", opportunity_name="Deal")
    project = s.leads.create_project("Outbound")
    return {
        "lead": lead.id,
        "task": task.id,
        "converted": other.id,
        "account": conversion.account_id,
        "project": project.id,
        "user": s.user_id,
    }


def test_duplicates_never_match_across_organisations(a: Session, b: Session) -> None:
    original = a.leads.create("Yossi", phones=[PHONE], emails=["y@example.com"])
    a.leads.set_settings(LeadSettings(duplicate_fields={"phone", "email", "name"}))
    b.leads.set_settings(LeadSettings(duplicate_fields={"phone", "email", "name"}))
    twin = b.leads.create("Yossi", phones=[PHONE], emails=["y@example.com"])
    assert twin.duplicate_of is None
    report = b.leads.import_many([{"name": "Yossi", "phone": PHONE}])
    assert report.rows[0].duplicate_of == twin.id
    assert a.leads.create("Yossi", phones=[PHONE]).duplicate_of == original.id


def test_the_do_not_call_list_and_settings_are_per_organisation(a: Session, b: Session) -> None:
    a.leads.add_blocked_number(PHONE)
    a.leads.set_settings(LeadSettings(duplicate_window=None))
    assert b.leads.blocked_numbers() == []
    assert b.leads.settings() == LeadSettings()
    assert not b.leads.create("Yossi", phones=[PHONE]).do_not_call
    assert a.leads.create("Yossi", phones=[PHONE]).do_not_call


def test_lists_counts_history_and_reports_show_only_ones_own_data(
    a: Session, b: Session, clock: ManualClock
) -> None:
    mine = populate(a, clock)
    theirs = populate(b, clock)
    clock.advance(timedelta(hours=1))
    for s, own in ((a, mine), (b, theirs)):
        listed = {lead.id for lead in s.leads.list(include_done=True).items}
        assert listed == {own["lead"], own["converted"]}
        assert {lead.organization_id for lead in s.leads.list(include_done=True).items} == {
            s.organization_id
        }
        assert sum(s.leads.status_counts(include_done=True).values()) == 2
        assert s.leads.list(text="yossi").items[0].id == own["lead"]
        assert len(s.leads.list(text=PHONE).items) == 1
        history = s.leads.history(own["lead"]).items
        assert {e.organization_id for e in history} == {s.organization_id}
        assert [t.id for t in s.leads.due_reminders()] == [own["task"]]
        assert [p.id for p in s.leads.projects()] == [own["project"]]
        [total] = s.reports.funnel(by="all")
        assert (total.leads, total.converted, total.accounts, total.opportunities) == (2, 1, 1, 1)
        assert sum(r.count for r in s.reports.transitions()) == 3
        assert sum(r.stays for r in s.reports.time_in_status()) == 3
        assert [x.id for x in s.leads.account_leads(own["account"])] == [own["converted"]]


READS: list[tuple[str, Callable[[Session, dict[str, str]], object]]] = [
    ("get", lambda s, x: s.leads.get(x["lead"])),
    ("history", lambda s, x: s.leads.history(x["lead"]).items),
    ("notes", lambda s, x: s.leads.notes(x["lead"])),
    ("tasks", lambda s, x: s.leads.tasks(x["lead"])),
    ("lineage", lambda s, x: s.leads.lineage(x["converted"])),
    ("change_status", lambda s, x: s.leads.change_status(x["lead"], "qualified")),
    ("add_note", lambda s, x: s.leads.add_note(x["lead"], "peek")),
    ("update", lambda s, x: s.leads.update(x["lead"], name="Mine now")),
    ("assign", lambda s, x: s.leads.assign(x["lead"], [])),
    ("convert", lambda s, x: s.leads.convert(x["lead"])),
    ("unconvert", lambda s, x: s.leads.unconvert(x["converted"], reason="peek")),
    ("complete_task", lambda s, x: s.leads.complete_task(x["task"])),
    ("account_leads", lambda s, x: s.leads.account_leads(x["account"])),
    ("project", lambda s, x: s.leads.project(x["project"])),
]


@pytest.mark.parametrize(("name", "action"), READS, ids=[r[0] for r in READS])
def test_another_organisations_record_is_answered_like_a_missing_one(
    a: Session,
    b: Session,
    clock: ManualClock,
    name: str,
    action: Callable[[Session, dict[str, str]], object],
) -> None:
    theirs = populate(b, clock)
    populate(a, clock)
    before = [b.leads.get(theirs["lead"]), b.leads.history(theirs["lead"]).items]
    missing = {k: f"{v}-404" for k, v in theirs.items()}
    with pytest.raises(NotFound) as foreign:
        action(a, theirs)
    with pytest.raises(NotFound) as absent:
        action(a, missing)
    assert (foreign.value.kind, type(foreign.value)) == (absent.value.kind, type(absent.value))
    assert str(foreign.value).replace("-404", "") == str(absent.value).replace("-404", "")
    assert [b.leads.get(theirs["lead"]), b.leads.history(theirs["lead"]).items] == before


def test_another_organisations_users_projects_and_accounts_cannot_be_referenced(
    a: Session, b: Session, clock: ManualClock
) -> None:
    theirs = populate(b, clock)
    mine = populate(a, clock)
    with pytest.raises(ValidationError) as err:
        a.leads.create("X", project_id=theirs["project"], assignee_ids=[theirs["user"]])
    assert len(err.value.problems) == 2
    with pytest.raises(NotFound):
        a.leads.assign(mine["lead"], [theirs["user"]])
    with pytest.raises(NotFound):
        a.leads.add_task(mine["lead"], TaskDraft("Call", assignee_id=theirs["user"]))
    with pytest.raises(NotFound, match="account"):
        a.leads.convert(mine["lead"], account_id=theirs["account"])
    # A same-named account of the other organisation is no conflict (only one's own is).
    fresh = b.leads.create("Fresh")
    assert b.leads.convert(fresh.id, account_name="Alpha only").account_created


def test_publishing_a_workflow_migrates_only_ones_own_leads(
    a: Session, b: Session, clock: ManualClock
) -> None:
    mine = populate(a, clock)
    theirs = populate(b, clock)
    data: dict[str, Any] = sample_workflow().to_dict()
    data["status"] = [st for st in data["status"] if st["id"] != "contacted"]
    for st in data["status"]:
        st["next"] = [n for n in st["next"] if n != "contacted"]
    a.workflow.publish(data, migration={"contacted": "qualified"})
    assert a.leads.get(mine["lead"]).status_id == "qualified"
    assert b.leads.get(theirs["lead"]).status_id == "contacted"
    assert b.workflow.current().version == 1
