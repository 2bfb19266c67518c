"""The decision point: may a lead move from one status to another, and if not, why not."""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING

import attrs

if TYPE_CHECKING:
    from leadcore.workflow._model import Workflow

__all__ = ["Decision", "Reason", "ReasonCode"]


class ReasonCode(enum.StrEnum):
    """Stable codes of the reasons a move is refused."""

    UNKNOWN_STATUS = "unknown-status"
    """The target status does not exist in this workflow."""
    UNKNOWN_CURRENT = "unknown-current"
    """The lead's current status does not exist in this workflow (it needs migrating)."""
    SAME_STATUS = "same-status"
    """The lead is already in the target status."""
    NOT_NEXT_STAGE = "not-next-stage"
    """A restricted user may only move to a next stage of the current status."""
    NOT_ENTRY = "not-entry"
    """A restricted user may only give a lead with no status one of the entry statuses."""
    NOTE_REQUIRED = "note-required"
    """The target status requires a note."""
    TASK_REQUIRED = "task-required"
    """The target status requires a task."""
    NOTE_FORCED = "note-forced"
    """The project forces a note on every status change."""


@attrs.frozen
class Reason:
    """One reason a move is refused: a stable ``code`` and a readable ``message``."""

    code: ReasonCode
    """The stable code, for programs."""
    message: str
    """A readable explanation, for people."""

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


@attrs.frozen
class Decision:
    """The answer of :meth:`Workflow.decide <leadcore.workflow.Workflow.decide>`.

    ``allowed`` is true exactly when ``reasons`` is empty. Allowed decisions
    are shared, immutable values: comparing or keeping them costs nothing.
    """

    target: str
    """The status the lead was to move to."""
    reasons: tuple[Reason, ...] = ()
    """Every reason the move is refused, in a fixed order; empty when allowed."""

    @property
    def allowed(self) -> bool:
        """Whether the move may be made."""
        return not self.reasons

    @property
    def codes(self) -> tuple[ReasonCode, ...]:
        """The codes of every reason, in order."""
        return tuple(r.code for r in self.reasons)

    def __bool__(self) -> bool:
        return not self.reasons

    def explain(self) -> str:
        """A readable sentence: why the move is allowed, or every reason it is not."""
        if not self.reasons:
            return f"moving to {self.target!r} is allowed"
        lines = [f"moving to {self.target!r} is refused:"]
        lines.extend(f"  - {r}" for r in self.reasons)
        return "\n".join(lines)


def _forced_note_message(subject: str) -> str:
    """The message of a ``note-forced`` refusal of a move of ``subject`` (``"lead"``...).

    A lead's statuses follow its project's rule; any other record's stages
    (an opportunity's) follow its organisation's.

    >>> _forced_note_message("lead")
    'the project requires a note on every status change'
    >>> _forced_note_message("opportunity")
    'the organisation requires a note on every opportunity stage change'
    """
    if subject == "lead":
        return "the project requires a note on every status change"
    return f"the organisation requires a note on every {subject} stage change"


def explain_denial(
    wf: Workflow,
    current: str | None,
    target: str,
    *,
    restricted: bool,
    note: str | None,
    task: object | None,
    force_notes: bool,
    subject: str = "lead",
) -> Decision:
    """Collect every reason a move is refused (the slow path of ``decide``)."""
    reasons: list[Reason] = []
    forced = Reason(ReasonCode.NOTE_FORCED, _forced_note_message(subject))
    known_target = target in wf
    if not known_target:
        reasons.append(
            Reason(ReasonCode.UNKNOWN_STATUS, f"{target!r} is not a status of workflow {wf.id!r}")
        )
    known_current = current is None or current in wf
    if not known_current:
        reasons.append(
            Reason(
                ReasonCode.UNKNOWN_CURRENT,
                f"the current status {current!r} is not a status of workflow {wf.id!r} "
                f"version {wf.version}",
            )
        )
    if current is not None and current == target:
        reasons.append(Reason(ReasonCode.SAME_STATUS, f"the lead is already in {target!r}"))
    elif restricted and known_target and known_current:
        if current is None:
            if target not in wf.entry:
                reasons.append(
                    Reason(
                        ReasonCode.NOT_ENTRY,
                        f"a lead with no status may only take an entry status "
                        f"({', '.join(wf.entry)}), not {target!r}",
                    )
                )
        elif target not in wf.next_stages(current):
            offered = ", ".join(wf.next_stages(current)) or "none"
            reasons.append(
                Reason(
                    ReasonCode.NOT_NEXT_STAGE,
                    f"{target!r} is not a next stage of {current!r} (next stages: {offered})",
                )
            )
    has_note = bool(note) and not note.isspace()  # type: ignore[union-attr]
    if known_target:
        requires = wf.status(target).requires
        if requires.needs_note and not has_note:
            reasons.append(Reason(ReasonCode.NOTE_REQUIRED, f"status {target!r} requires a note"))
        elif force_notes and not has_note:
            reasons.append(forced)
        if requires.needs_task and task is None:
            reasons.append(Reason(ReasonCode.TASK_REQUIRED, f"status {target!r} requires a task"))
    elif force_notes and not has_note:
        reasons.append(forced)
    return Decision(target=target, reasons=tuple(reasons))
