"""Graph analysis of a workflow with networkx: reachability, dead ends, paths to done."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import networkx as nx

from leadcore.errors import NotFound

if TYPE_CHECKING:
    from leadcore.workflow._model import Workflow

__all__ = ["build_graph", "cannot_reach_done", "dead_ends", "reachable", "shortest_path"]


def build_graph(wf: Workflow) -> nx.DiGraph:
    """Return a new ``DiGraph``: one node per status, one edge per next stage, in order."""
    g = nx.DiGraph(id=wf.id, name=wf.name, version=wf.version)
    entry = set(wf.entry)
    for order, s in enumerate(wf.statuses):
        g.add_node(
            s.id,
            name=s.name,
            color=s.color,
            category=str(s.category),
            requires=str(s.requires),
            order=order,
            entry=s.id in entry,
        )
    for s in wf.statuses:
        for pos, t in enumerate(s.next):
            g.add_edge(s.id, t, order=pos)
    return g


def _check(wf: Workflow, ids: Iterable[str]) -> list[str]:
    out = list(ids)
    for sid in out:
        if sid not in wf:
            raise NotFound("status", sid)
    return out


def reachable(wf: Workflow, start: str | Iterable[str] | None = None) -> frozenset[str]:
    """Statuses reachable from ``start`` (default: the entry statuses), ``start`` included."""
    sources = _check(
        wf, wf.entry if start is None else [start] if isinstance(start, str) else start
    )
    g = wf._graph_view()
    seen: set[str] = set(sources)
    for s in sources:
        seen |= nx.descendants(g, s)
    return frozenset(seen)


def dead_ends(wf: Workflow) -> tuple[str, ...]:
    """Non-done statuses with no next stage."""
    return tuple(s.id for s in wf.statuses if not s.is_done and not s.next)


def cannot_reach_done(wf: Workflow) -> tuple[str, ...]:
    """Non-done statuses from which no done status is reachable."""
    g = wf._graph_view()
    ok: set[str] = set()
    for d in wf.done_statuses():
        if d not in ok:
            ok.add(d)
            ok |= nx.ancestors(g, d)
    return tuple(s.id for s in wf.statuses if s.id not in ok)


def shortest_path(wf: Workflow, source: str, target: str) -> tuple[str, ...] | None:
    """The shortest chain of next stages from ``source`` to ``target`` (both included)."""
    _check(wf, (source, target))
    try:
        return tuple(nx.shortest_path(wf._graph_view(), source, target))
    except nx.NetworkXNoPath:
        return None
