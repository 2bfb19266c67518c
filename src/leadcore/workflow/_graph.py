"""Graph analysis of a workflow: reachability, dead ends, paths to done.

The queries walk the workflow's own next-stage tables, so answering them loads
no graph library; networkx is imported only when a caller asks for
:attr:`Workflow.graph <leadcore.workflow.Workflow.graph>`.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from typing import TYPE_CHECKING

from leadcore.errors import NotFound

if TYPE_CHECKING:
    import networkx as nx

    from leadcore.workflow._model import Workflow

__all__ = ["build_graph", "cannot_reach_done", "dead_ends", "reachable", "shortest_path"]


def build_graph(wf: Workflow) -> nx.DiGraph:
    """Return a new ``DiGraph``: one node per status, one edge per next stage, in order."""
    import networkx as nx  # heavy: only the graph export needs it

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


def _successors(wf: Workflow) -> dict[str, tuple[str, ...]]:
    return {s.id: s.next for s in wf.statuses}


def reachable(wf: Workflow, start: str | Iterable[str] | None = None) -> frozenset[str]:
    """Statuses reachable from ``start`` (default: the entry statuses), ``start`` included."""
    sources = _check(
        wf, wf.entry if start is None else [start] if isinstance(start, str) else start
    )
    succ = _successors(wf)
    seen: set[str] = set(sources)
    todo = list(sources)
    while todo:
        for t in succ.get(todo.pop(), ()):
            if t not in seen:
                seen.add(t)
                todo.append(t)
    return frozenset(seen)


def dead_ends(wf: Workflow) -> tuple[str, ...]:
    """Non-done statuses with no next stage."""
    return tuple(s.id for s in wf.statuses if not s.is_done and not s.next)


def cannot_reach_done(wf: Workflow) -> tuple[str, ...]:
    """Non-done statuses from which no done status is reachable."""
    pred: dict[str, list[str]] = {s.id: [] for s in wf.statuses}
    for s in wf.statuses:
        for t in s.next:
            pred.setdefault(t, []).append(s.id)
    ok: set[str] = set(wf.done_statuses())
    todo = list(ok)
    while todo:
        for p in pred.get(todo.pop(), ()):
            if p not in ok:
                ok.add(p)
                todo.append(p)
    return tuple(s.id for s in wf.statuses if s.id not in ok)


def shortest_path(wf: Workflow, source: str, target: str) -> tuple[str, ...] | None:
    """The shortest chain of next stages from ``source`` to ``target`` (both included)."""
    _check(wf, (source, target))
    succ = _successors(wf)
    parent: dict[str, str | None] = {source: None}
    queue = deque([source])
    while queue:
        here = queue.popleft()
        if here == target:
            path = [here]
            while (back := parent[path[-1]]) is not None:
                path.append(back)
            return tuple(reversed(path))
        for t in succ.get(here, ()):
            if t not in parent:
                parent[t] = here
                queue.append(t)
    return None
