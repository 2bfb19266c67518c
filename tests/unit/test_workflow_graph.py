"""Graph analysis: reachability, dead ends, ways to done, shortest paths, the networkx copy."""

from __future__ import annotations

import networkx as nx
import pytest

from leadcore.errors import NotFound
from leadcore.workflow import Workflow, sample_workflow


def _wf() -> Workflow:
    # new -> a -> b -> won, with a loop c <-> d off a, a dead end e off b, and an orphan o.
    def s(sid: str, category: str = "todo", nxt: tuple[str, ...] = ()) -> dict[str, object]:
        return {
            "id": sid,
            "name": sid.upper(),
            "color": "#123456",
            "category": category,
            "next": list(nxt),
        }

    return Workflow.from_dict(
        {
            "id": "g",
            "name": "Graph",
            "status": [
                s("new", nxt=("a",)),
                s("a", "in_progress", ("b", "c")),
                s("b", "in_progress", ("won", "e")),
                s("c", nxt=("d",)),
                s("d", nxt=("c",)),
                s("e"),
                s("won", "done"),
                s("o", nxt=("won",)),
            ],
        }
    )


WF = _wf()


def test_reachable_from_the_entry_statuses_by_default() -> None:
    assert WF.reachable() == {"new", "a", "b", "c", "d", "e", "won"}
    assert WF.reachable("c") == {"c", "d"}
    assert WF.reachable(["o", "e"]) == {"o", "won", "e"}
    assert WF.reachable("won") == {"won"}


def test_reachable_refuses_an_unknown_status() -> None:
    with pytest.raises(NotFound):
        WF.reachable("nope")
    with pytest.raises(LookupError):
        WF.reachable(["a", "nope"])


def test_dead_ends_are_non_done_statuses_without_next_stages() -> None:
    assert WF.dead_ends() == ("e",)
    assert sample_workflow().dead_ends() == ()


def test_cannot_reach_done_lists_statuses_without_a_way_to_done_in_order() -> None:
    assert WF.cannot_reach_done() == ("c", "d", "e")
    assert sample_workflow().cannot_reach_done() == ()


def test_shortest_path_follows_next_stages() -> None:
    assert WF.shortest_path("new", "won") == ("new", "a", "b", "won")
    assert WF.shortest_path("a", "a") == ("a",)
    assert WF.shortest_path("c", "won") is None
    assert WF.shortest_path("won", "new") is None
    with pytest.raises(NotFound):
        WF.shortest_path("new", "nope")


def test_the_graph_has_every_status_and_next_stage_with_attributes() -> None:
    g = WF.graph
    assert isinstance(g, nx.DiGraph)
    assert list(g.nodes) == list(WF.status_ids)
    assert g.nodes["a"] == {
        "name": "A",
        "color": "#123456",
        "category": "in_progress",
        "requires": "none",
        "order": 1,
        "entry": False,
    }
    assert g.nodes["new"]["entry"] is True
    assert g.nodes["won"]["category"] == "done"
    assert sorted(g.edges) == sorted((s.id, t) for s in WF.statuses for t in s.next)
    assert g.edges["b", "e"]["order"] == 1
    assert g.edges["b", "won"]["order"] == 0
    assert g.graph == {"id": "g", "name": "Graph", "version": 1}


def test_the_graph_is_a_copy_that_changes_nothing() -> None:
    wf = _wf()
    g = wf.graph
    g.add_edge("c", "won")
    g.remove_node("e")
    g.nodes["a"]["name"] = "changed"
    assert wf.graph is not g
    assert "e" in wf.graph
    assert wf.graph.nodes["a"]["name"] == "A"
    assert wf.cannot_reach_done() == ("c", "d", "e")
    assert wf.shortest_path("c", "won") is None
