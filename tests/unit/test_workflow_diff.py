"""Comparing workflow versions and planning where the leads of removed statuses go."""

from __future__ import annotations

from typing import Any

import pytest

from leadcore.errors import LeadcoreError, MigrationInvalid
from leadcore.workflow import MigrationPlan, StatusChange, Workflow, sample_workflow


def s(sid: str, category: str = "todo", nxt: tuple[str, ...] = (), **extra: Any) -> dict[str, Any]:
    return {
        "id": sid,
        "name": extra.pop("name", sid.capitalize()),
        "color": extra.pop("color", "#1E88E5"),
        "category": category,
        "next": list(nxt),
        **extra,
    }


def wf(*statuses: dict[str, Any], version: int = 1, **top: Any) -> Workflow:
    return Workflow.from_dict(
        {"id": "sales", "name": "Sales", "version": version, "status": list(statuses), **top}
    )


OLD = wf(
    s("new", nxt=("contacted", "lost")),
    s("contacted", "in_progress", ("won", "lost")),
    s("stale", nxt=("lost",)),
    s("won", "done"),
    s("lost", "done"),
    entry=["new", "stale"],
)
NEW = wf(
    s("new", nxt=("contacted", "dropped"), color="#000000"),
    s("contacted", "in_progress", ("won", "dropped"), name="Spoke to"),
    s("dropped", "done", name="Dropped"),
    s("won", "done", requires="note"),
    version=2,
)


def test_a_version_compared_with_itself_is_empty() -> None:
    d = OLD.diff(OLD)
    assert d.is_empty
    assert (d.added, d.removed, d.renamed, d.changed) == ((), (), (), ())
    assert d.plan() == MigrationPlan(from_version=1, to_version=1, moves={})


def test_statuses_are_matched_by_id() -> None:
    d = OLD.diff(NEW)
    assert not d.is_empty
    assert d.added == ("dropped",)
    assert d.removed == ("stale", "lost")
    assert d.renamed == (("contacted", "Contacted", "Spoke to"),)
    assert [(c.id, c.fields) for c in d.changed] == [
        ("new", ("color", "next")),
        ("contacted", ("next",)),
        ("won", ("requires",)),
    ]
    change = d.changed[0]
    assert isinstance(change, StatusChange)
    assert change.old == OLD.status("new")
    assert change.new == NEW.status("new")
    assert d.edges_added == (("contacted", "dropped"), ("new", "dropped"))
    assert d.edges_removed == (("contacted", "lost"), ("new", "lost"), ("stale", "lost"))
    assert d.entry_changed
    assert not d.reordered
    assert d.old is OLD
    assert d.new is NEW


def test_a_rename_alone_is_neither_removal_nor_change() -> None:
    renamed = wf(
        s("new", nxt=("contacted", "lost")),
        s("contacted", "in_progress", ("won", "lost"), name="Reached"),
        s("stale", nxt=("lost",)),
        s("won", "done"),
        s("lost", "done"),
        entry=["new", "stale"],
    )
    d = OLD.diff(renamed)
    assert d.renamed == (("contacted", "Contacted", "Reached"),)
    assert (d.added, d.removed, d.changed, d.edges_added, d.edges_removed) == ((),) * 5
    assert not d.reordered
    assert not d.entry_changed
    assert not d.is_empty


def test_moving_a_kept_status_is_a_reorder() -> None:
    statuses = [st.to_dict() for st in OLD.statuses]
    statuses[3], statuses[4] = statuses[4], statuses[3]
    moved = wf(*statuses, entry=list(OLD.entry))
    d = OLD.diff(moved)
    assert d.reordered
    assert (d.added, d.removed, d.renamed, d.changed) == ((), (), (), ())
    assert not d.is_empty


def test_adding_a_status_is_not_a_reorder() -> None:
    statuses: list[dict[str, Any]] = [st.to_dict() for st in OLD.statuses]
    statuses.insert(1, s("fresh", nxt=("won",)))
    statuses[0]["next"].append("fresh")
    d = OLD.diff(wf(*statuses, entry=list(OLD.entry)))
    assert d.added == ("fresh",)
    assert not d.reordered


def test_the_plan_moves_leads_of_removed_statuses() -> None:
    plan = OLD.diff(NEW).plan({"lost": "dropped", "stale": "new"})
    assert plan.from_version == 1
    assert plan.to_version == 2
    assert plan.moves == {"stale": "new", "lost": "dropped"}
    assert plan.target("lost") == "dropped"
    assert plan.target("won") == "won"
    assert plan.target(None) is None


def test_a_plan_names_every_problem_at_once() -> None:
    with pytest.raises(MigrationInvalid) as info:
        OLD.diff(NEW).plan({"won": "dropped", "lost": "gone"})
    err = info.value
    assert isinstance(err, ValueError)
    assert isinstance(err, LeadcoreError)
    assert err.problems == (
        "mapping['lost']: target 'gone' is not a status of the new version",
        "mapping['won']: 'won' is not a status removed by the new version",
        "status 'stale' is removed but may hold leads: map it to a status of the new version",
    )
    assert str(err).splitlines() == [
        "migration plan is invalid (3 problems):",
        *(f"  {p}" for p in err.problems),
    ]


def test_without_a_mapping_every_removed_status_needs_one() -> None:
    with pytest.raises(MigrationInvalid) as info:
        OLD.diff(NEW).plan()
    assert [p.split(":")[0] for p in info.value.problems] == [
        "status 'stale' is removed but may hold leads",
        "status 'lost' is removed but may hold leads",
    ]


def test_only_occupied_removed_statuses_need_a_target() -> None:
    d = OLD.diff(NEW)
    assert d.plan(occupied=set()).moves == {}
    assert d.plan({"lost": "won"}, occupied={"lost", "new"}).moves == {"lost": "won"}
    with pytest.raises(MigrationInvalid) as info:
        d.plan(occupied=["stale"])
    assert len(info.value.problems) == 1
    assert "'stale'" in info.value.problems[0]


def test_a_mapping_to_a_removed_status_is_refused() -> None:
    with pytest.raises(MigrationInvalid) as info:
        OLD.diff(NEW).plan({"stale": "lost", "lost": "won"})
    assert info.value.problems == (
        "mapping['stale']: target 'lost' is not a status of the new version",
    )


def test_the_sample_against_a_trimmed_copy() -> None:
    sales = sample_workflow()
    d: dict[str, Any] = sales.to_dict()
    d["version"] = 2
    d["status"] = [st for st in d["status"] if st["id"] != "do_not_call"]
    for st in d["status"]:
        st["next"] = [t for t in st["next"] if t != "do_not_call"]
    trimmed = Workflow.from_dict(d)
    diff = sales.diff(trimmed)
    assert diff.removed == ("do_not_call",)
    assert all(edge[1] == "do_not_call" for edge in diff.edges_removed)
    assert diff.plan({"do_not_call": "not_relevant"}).target("do_not_call") == "not_relevant"
