"""Publishing a workflow version on live data: leads leave removed statuses in one unit of work."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from leadcore import Leadcore
from leadcore.clock import ManualClock
from leadcore.core import Session
from leadcore.errors import Forbidden, MigrationInvalid, ValidationError
from leadcore.ids import SequentialIds
from leadcore.leads import HistoryKind, Lead
from leadcore.storage._memory_leads import MemoryLeads
from leadcore.storage.memory import MemoryStorage, MemoryUnitOfWork
from leadcore.tenancy import Permission
from leadcore.workflow import MigrationPlan, sample_workflow

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


class FlakyStorage(MemoryStorage):
    """Memory storage whose lead updates fail once ``updates_left`` runs out."""

    def __init__(self) -> None:
        super().__init__()
        self.updates_left: int | None = None

    def unit_of_work(self) -> MemoryUnitOfWork:
        uow = super().unit_of_work()
        uow.leads = _FlakyLeads(uow.tx, self)
        return uow


class _FlakyLeads(MemoryLeads):
    def __init__(self, tx: Any, storage: FlakyStorage) -> None:
        super().__init__(tx)
        self._storage = storage

    def update(self, lead: Lead, *, expected_version: int) -> None:
        left = self._storage.updates_left
        if left is not None:
            if left == 0:
                raise OSError("the disk is full")
            self._storage.updates_left = left - 1
        super().update(lead, expected_version=expected_version)


@pytest.fixture
def storage() -> FlakyStorage:
    return FlakyStorage()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def s(storage: FlakyStorage, clock: ManualClock) -> Session:
    core = Leadcore(storage=storage, clock=clock, ids=SequentialIds())
    _, admin = core.create_organization("Agency", admin_name="Dana", default_region="IL")
    return core.session(admin.id)


def without(*removed: str) -> dict[str, Any]:
    """The sample workflow without some statuses (and the edges to them)."""
    data: dict[str, Any] = sample_workflow().to_dict()
    data["status"] = [st for st in data["status"] if st["id"] not in removed]
    for st in data["status"]:
        st["next"] = [n for n in st["next"] if n not in removed]
    return data


@pytest.fixture
def leads(s: Session) -> dict[str, Lead]:
    made = {}
    for name, status in [
        ("a", "no_answer"),
        ("b", "no_answer"),
        ("c", "new"),
        ("d", "not_relevant"),
    ]:
        lead = s.leads.create(name)
        made[name] = s.leads.change_status(lead.id, status)
    return made


def everything(s: Session, leads: dict[str, Lead]) -> object:
    return (
        s.workflow.versions(),
        [s.leads.get(x.id) for x in leads.values()],
        [s.leads.history(x.id).items for x in leads.values()],
    )


def test_leads_of_a_removed_status_move_to_its_target_with_history(
    s: Session, leads: dict[str, Lead], clock: ManualClock
) -> None:
    clock.advance(timedelta(hours=1))
    published = s.workflow.publish(without("no_answer"), migration={"no_answer": "new"})
    assert published.version == 2
    assert "no_answer" not in s.workflow.current()
    for name in ("a", "b"):
        moved = s.leads.get(leads[name].id)
        assert (moved.status_id, moved.workflow_version) == ("new", 2)
        assert moved.version == leads[name].version + 1
        entry = s.leads.history(moved.id).items[0]
        assert entry.kind is HistoryKind.MIGRATED
        assert (entry.from_status, entry.to_status) == ("no_answer", "new")
        assert (entry.actor_id, entry.at) == (s.user_id, START + timedelta(hours=1))
    untouched = s.leads.get(leads["c"].id)
    assert untouched == leads["c"]
    assert s.leads.status_counts()["new"] == 3


def test_a_plan_object_works_like_a_mapping(s: Session, leads: dict[str, Lead]) -> None:
    plan = MigrationPlan(from_version=1, to_version=2, moves={"no_answer": "callback_free"})
    data = without("no_answer")
    data["status"].insert(
        1,
        {
            "id": "callback_free",
            "name": "Try again",
            "color": "#90CAF9",
            "category": "todo",
            "next": ["contacted", "not_relevant"],
        },
    )
    data["status"][0]["next"].append("callback_free")
    s.workflow.publish(data, migration=plan)
    assert s.leads.get(leads["a"].id).status_id == "callback_free"


def test_a_removed_status_without_leads_needs_no_mapping(
    s: Session, leads: dict[str, Lead]
) -> None:
    s.workflow.publish(without("meeting"))
    assert s.workflow.current().version == 2
    assert all(s.leads.get(x.id) == x for x in leads.values())


def test_an_incomplete_plan_publishes_nothing(s: Session, leads: dict[str, Lead]) -> None:
    before = everything(s, leads)
    with pytest.raises(MigrationInvalid) as err:
        s.workflow.publish(without("no_answer", "not_relevant"), migration={"no_answer": "new"})
    assert any("'not_relevant' is removed" in p for p in err.value.problems)
    with pytest.raises(MigrationInvalid, match="not a status of the new version"):
        s.workflow.publish(without("no_answer"), migration={"no_answer": "gone"})
    assert everything(s, leads) == before


@pytest.mark.parametrize(("target", "needs"), [("contacted", "note"), ("callback", "task")])
def test_a_target_that_requires_a_note_or_task_is_refused(
    s: Session, leads: dict[str, Lead], target: str, needs: str
) -> None:
    before = everything(s, leads)
    with pytest.raises(MigrationInvalid, match=f"requires a {needs}"):
        s.workflow.publish(without("no_answer"), migration={"no_answer": target})
    assert everything(s, leads) == before


def test_a_failure_in_the_middle_of_a_migration_writes_nothing(
    s: Session, storage: FlakyStorage, leads: dict[str, Lead]
) -> None:
    before = everything(s, leads)
    storage.updates_left = 1  # the second lead's move fails
    with pytest.raises(OSError, match="disk is full"):
        s.workflow.publish(without("no_answer"), migration={"no_answer": "new"})
    storage.updates_left = None
    assert everything(s, leads) == before


def test_converted_leads_in_a_removed_status_move_too_and_stay_converted(
    s: Session, leads: dict[str, Lead]
) -> None:
    s.leads.convert(leads["c"].id, status_id="not_relevant")
    s.workflow.publish(without("not_relevant"), migration={"not_relevant": "do_not_call"})
    for name in ("c", "d"):
        lead = s.leads.get(leads[name].id)
        assert lead.status_id == "do_not_call"
    assert s.leads.get(leads["c"].id).converted


def test_after_a_migration_the_removed_status_is_gone_from_filters(
    s: Session, leads: dict[str, Lead]
) -> None:
    s.workflow.publish(without("no_answer"), migration={"no_answer": "new"})
    with pytest.raises(ValidationError, match="'no_answer' is not a status"):
        s.leads.list(status_ids=["no_answer"])
    assert "no_answer" not in s.leads.status_counts()
    moved = s.leads.change_status(leads["a"].id, "contacted", note="reached")
    assert (moved.status_id, moved.workflow_version) == ("contacted", 2)


def test_publishing_needs_manage_workflow(s: Session, storage: FlakyStorage) -> None:
    core = Leadcore(storage=storage, clock=ManualClock(START), ids=SequentialIds())
    agent = s.users.create("Avi", "qualifier")
    with pytest.raises(Forbidden, match="manage_workflow"):
        core.session(agent.id).workflow.publish(without("meeting"))
    assert len(s.workflow.versions()) == 1


def test_a_migration_moves_converted_leads_too(s: Session, leads: dict[str, Lead]) -> None:
    conversion = s.leads.convert(leads["c"].id, status_id="won")
    s.workflow.publish(without("won"), migration={"won": "not_relevant"})
    moved = s.leads.get(leads["c"].id)
    assert (moved.status_id, moved.conversion_id) == ("not_relevant", conversion.id)
    entry = s.leads.history(moved.id).items[0]
    assert entry.kind is HistoryKind.MIGRATED
    assert (entry.from_status, entry.to_status) == ("won", "not_relevant")


def test_a_migration_is_not_a_move_of_the_publisher_so_no_restriction_applies(
    s: Session, leads: dict[str, Lead]
) -> None:
    s.users.grant(s.user_id, Permission.RESTRICT_TO_NEXT_STAGES)
    s.workflow.publish(without("no_answer"), migration={"no_answer": "new"})
    assert s.leads.get(leads["a"].id).status_id == "new"
