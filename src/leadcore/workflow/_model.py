"""Statuses and workflows: immutable, validated when built, compiled once."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import attrs

from leadcore._plain import PlainDict, PlainValue
from leadcore.errors import NotFound, WorkflowInvalid
from leadcore.workflow import _graph, _render
from leadcore.workflow._decision import Decision, explain_denial
from leadcore.workflow._diff import WorkflowDiff, diff
from leadcore.workflow._lint import (
    Finding,
    check_workflow_fields,
    load_json,
    load_toml,
    parse_definition,
)
from leadcore.workflow._status import Category, Status

if TYPE_CHECKING:
    import networkx as nx

__all__ = ["Workflow"]

# Refusals are memoised per workflow; the bound keeps a huge workflow asked about many
# different pairs from growing without end (a 12-status workflow has 2,496 keys at most).
_MAX_DENIALS = 4096


def _tuple_of_statuses(value: Iterable[Status]) -> tuple[Status, ...]:
    return tuple(value)


def _optional_tuple(value: Iterable[str] | None) -> tuple[str, ...] | None:
    return None if value is None else tuple(value)


@attrs.frozen(repr=False)
class Workflow:
    """A validated, immutable status workflow.

    Build one from a definition (:meth:`from_dict`, :meth:`from_toml`,
    :meth:`from_json`) or directly; either way every problem is reported at
    once in a :class:`~leadcore.errors.WorkflowInvalid`. Lookup tables are
    computed once so :meth:`decide` does no graph work.

    >>> wf = Workflow.from_dict({
    ...     "id": "sales", "name": "Sales",
    ...     "status": [
    ...         {"id": "new", "name": "New", "color": "#1E88E5", "category": "todo",
    ...          "next": ["won", "lost"]},
    ...         {"id": "won", "name": "Won", "color": "#43A047", "category": "done"},
    ...         {"id": "lost", "name": "Lost", "color": "#E53935", "category": "done"},
    ...     ],
    ... })
    >>> wf.next_stages("new")
    ('won', 'lost')
    >>> wf.decide("new", "won").allowed
    True
    """

    id: str
    """The workflow's stable id."""
    name: str
    """A label for people."""
    statuses: tuple[Status, ...] = attrs.field(converter=_tuple_of_statuses)
    """The statuses, in status order."""
    #: Statuses a lead with no status may take; ``None`` means the first status.
    entry: tuple[str, ...] = attrs.field(
        default=None,
        converter=_optional_tuple,
    )
    version: int = 1
    """The version; publishing a changed workflow makes the next one."""

    # Precomputed lookups; not part of equality or the constructor.
    _by_id: dict[str, Status] = attrs.field(init=False, eq=False, hash=False)
    _next: dict[str, frozenset[str]] = attrs.field(init=False, eq=False, hash=False)
    _entry_set: frozenset[str] = attrs.field(init=False, eq=False, hash=False)
    _needs: dict[str, tuple[bool, bool]] = attrs.field(init=False, eq=False, hash=False)
    _allowed: dict[str, Decision] = attrs.field(init=False, eq=False, hash=False)
    _denials: dict[tuple[str | None, str, bool, bool, bool, bool, str], Decision] = attrs.field(
        init=False, eq=False, hash=False
    )
    _warnings: tuple[Finding, ...] = attrs.field(init=False, eq=False, hash=False)
    _cache: dict[str, Any] = attrs.field(init=False, eq=False, hash=False)

    def __attrs_post_init__(self) -> None:
        findings = check_workflow_fields(self)
        if any(f.severity == "error" for f in findings):
            raise WorkflowInvalid(findings, source=_describe(self.id))
        set_ = object.__setattr__
        if self.entry is None:
            set_(self, "entry", (self.statuses[0].id,))
        by_id = {s.id: s for s in self.statuses}
        set_(self, "_by_id", by_id)
        set_(self, "_next", {s.id: frozenset(s.next) for s in self.statuses})
        set_(self, "_entry_set", frozenset(self.entry))
        set_(
            self,
            "_needs",
            {s.id: (s.requires.needs_note, s.requires.needs_task) for s in self.statuses},
        )
        set_(self, "_allowed", {s.id: Decision(target=s.id) for s in self.statuses})
        set_(self, "_denials", {})
        set_(self, "_warnings", tuple(f for f in findings if f.severity == "warning"))
        set_(self, "_cache", {})

    def __repr__(self) -> str:
        return (
            f"Workflow(id={self.id!r}, name={self.name!r}, version={self.version}, "
            f"statuses={len(self.statuses)})"
        )

    # -- building and serialising -------------------------------------------------

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> Workflow:
        """Build and validate a workflow from a definition mapping.

        Raises :class:`~leadcore.errors.WorkflowInvalid` listing every error.
        """
        return parse_definition(data, cls)

    @classmethod
    def from_toml(cls, text: str) -> Workflow:
        """Build a workflow from TOML text (see :meth:`from_dict`)."""
        return cls.from_dict(load_toml(text))

    @classmethod
    def from_json(cls, text: str) -> Workflow:
        """Build a workflow from JSON text (see :meth:`from_dict`)."""
        return cls.from_dict(load_json(text))

    def to_dict(self) -> PlainDict:
        """Return the definition as plain data; ``from_dict`` gives it back."""
        entry: list[PlainValue] = list(self.entry)
        statuses: list[PlainValue] = [s.to_dict() for s in self.statuses]
        return {
            "id": self.id,
            "name": self.name,
            "version": self.version,
            "entry": entry,
            "status": statuses,
        }

    def to_json(self, *, indent: int | None = 2) -> str:
        """Return the definition as JSON text."""
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=indent)

    def to_toml(self) -> str:
        """Return the definition as TOML text, in the documented file format."""
        return _render.to_toml(self)

    # -- lookups -----------------------------------------------------------------

    @property
    def status_ids(self) -> tuple[str, ...]:
        """The status ids, in status order."""
        ids: tuple[str, ...] | None = self._cache.get("ids")
        if ids is None:
            ids = tuple(s.id for s in self.statuses)
            self._cache["ids"] = ids
        return ids

    @property
    def warnings(self) -> tuple[Finding, ...]:
        """Warning-severity findings from validation (the workflow was built anyway)."""
        return self._warnings

    def __contains__(self, status_id: object) -> bool:
        return status_id in self._by_id

    def status(self, status_id: str) -> Status:
        """Return the status with this id; :class:`~leadcore.errors.NotFound` otherwise."""
        try:
            return self._by_id[status_id]
        except KeyError:
            raise NotFound("status", status_id) from None

    def next_stages(self, status_id: str | None) -> tuple[str, ...]:
        """The ordered next stages of a status; for ``None`` (no status), the entry statuses."""
        if status_id is None:
            return self.entry
        return self.status(status_id).next

    def is_done(self, status_id: str) -> bool:
        """Whether the status is in the ``done`` category."""
        return self.status(status_id).category is Category.DONE

    def index(self, status_id: str) -> int:
        """The position of a status in the status order."""
        order: dict[str, int] | None = self._cache.get("order")
        if order is None:
            order = {s.id: i for i, s in enumerate(self.statuses)}
            self._cache["order"] = order
        try:
            return order[status_id]
        except KeyError:
            raise NotFound("status", status_id) from None

    def done_statuses(self) -> tuple[str, ...]:
        """Ids of the ``done`` statuses, in status order."""
        return tuple(s.id for s in self.statuses if s.category is Category.DONE)

    # -- the decision point (hot path) -------------------------------------------

    def decide(
        self,
        current: str | None,
        target: str,
        *,
        restricted: bool = False,
        note: str | None = None,
        task: object | None = None,
        force_notes: bool = False,
        subject: str = "lead",
    ) -> Decision:
        """Say whether a lead in ``current`` may move to ``target``, and every reason why not.

        ``current=None`` means the lead has no status yet. ``restricted``
        limits the move to next stages (or, with no status, to entry
        statuses). A ``note`` counts when it has non-blank text; a ``task`` when
        it is not ``None``. ``force_notes`` is the project rule that every
        status change carries a note. ``subject`` names what moves in the
        messages of a refusal (``"opportunity"`` for a stage move of an
        opportunity, whose forced notes are the organisation's rule).

        >>> from leadcore.workflow import sample_workflow
        >>> wf = sample_workflow()
        >>> d = wf.decide("new", "meeting", restricted=True)
        >>> d.allowed, [str(r.code) for r in d.reasons]
        (False, ['not-next-stage', 'task-required'])
        """
        needs = self._needs.get(target)
        if needs is not None and current != target:
            if current is None:
                ok = not restricted or target in self._entry_set
            else:
                nxt = self._next.get(current)
                ok = nxt is not None and (not restricted or target in nxt)
            if (
                ok
                and (not (needs[0] or force_notes) or (bool(note) and not note.isspace()))  # type: ignore[union-attr]
                and (not needs[1] or task is not None)
            ):
                return self._allowed[target]
        # A refusal depends only on these; building its messages costs ten times the check.
        has_note = bool(note) and not note.isspace()  # type: ignore[union-attr]
        key = (current, target, not restricted, has_note, task is None, not force_notes, subject)
        denial = self._denials.get(key)
        if denial is None:
            denial = explain_denial(
                self,
                current,
                target,
                restricted=restricted,
                note=note,
                task=task,
                force_notes=force_notes,
                subject=subject,
            )
            known = needs is not None and (current is None or current in self._next)
            if known and len(self._denials) < _MAX_DENIALS:
                self._denials[key] = denial
        return denial

    # -- graph analysis, diff and rendering ----------------------------------------

    @property
    def graph(self) -> nx.DiGraph:
        """A fresh networkx ``DiGraph`` of the statuses (a copy; changing it changes nothing).

        Nodes carry ``name``, ``color``, ``category``, ``requires``, ``order``
        and ``entry``; edges carry ``order`` (position in the next stages).
        """
        return _graph.build_graph(self)

    def reachable(self, start: str | Iterable[str] | None = None) -> frozenset[str]:
        """Statuses reachable through next stages from ``start`` (default: the entry statuses).

        The start statuses themselves are included.
        """
        return _graph.reachable(self, start)

    def dead_ends(self) -> tuple[str, ...]:
        """Non-done statuses with no next stage, in status order."""
        return _graph.dead_ends(self)

    def cannot_reach_done(self) -> tuple[str, ...]:
        """Non-done statuses from which no done status can be reached, in status order."""
        return _graph.cannot_reach_done(self)

    def shortest_path(self, source: str, target: str) -> tuple[str, ...] | None:
        """The shortest chain of next stages from ``source`` to ``target``, or ``None``."""
        return _graph.shortest_path(self, source, target)

    def diff(self, new: Workflow) -> WorkflowDiff:
        """Compare this version with ``new``: statuses added, removed, renamed, changed; edges."""
        return diff(self, new)

    def to_mermaid(self) -> str:
        """Render the workflow as a Mermaid flowchart (category as shape and class)."""
        return _render.to_mermaid(self)

    def to_dot(self) -> str:
        """Render the workflow as Graphviz DOT (category as shape, colour as fill)."""
        return _render.to_dot(self)


def _describe(workflow_id: object) -> str:
    return f"workflow {workflow_id!r}" if isinstance(workflow_id, str) else "workflow"
