"""Statuses: the stages of a workflow, their category and their requirement."""

from __future__ import annotations

import enum
from collections.abc import Iterable

import attrs

from leadcore._plain import PlainDict, PlainValue

__all__ = ["Category", "Requirement", "Status"]


class Category(enum.StrEnum):
    """Where a status sits in the life of a lead.

    ``done`` statuses are hidden from lead lists by default and never
    dispatched.
    """

    TODO = "todo"
    IN_PROGRESS = "in_progress"
    DONE = "done"


class Requirement(enum.StrEnum):
    """What a lead entering a status must bring with it."""

    NONE = "none"
    NOTE = "note"
    TASK = "task"
    NOTE_AND_TASK = "note_and_task"

    @property
    def needs_note(self) -> bool:
        """Whether entering the status needs a note."""
        return self in (Requirement.NOTE, Requirement.NOTE_AND_TASK)

    @property
    def needs_task(self) -> bool:
        """Whether entering the status needs a task."""
        return self in (Requirement.TASK, Requirement.NOTE_AND_TASK)


def _category(value: Category | str) -> Category:
    # Accept the file spelling ("todo"); leave anything else for the workflow check to report.
    try:
        return Category(value)
    except ValueError:
        return value  # type: ignore[return-value]


def _requirement(value: Requirement | str) -> Requirement:
    try:
        return Requirement(value)
    except ValueError:
        return value  # type: ignore[return-value]


def _str_tuple(value: Iterable[str]) -> tuple[str, ...]:
    return tuple(value)


@attrs.frozen
class Status:
    """One stage of a workflow.

    ``next`` lists the statuses that may follow, in the order a user
    interface offers them. A status is checked only as part of a
    :class:`Workflow`, which reports every problem with its path.

    >>> Status(id="new", name="New", color="#1E88E5", category=Category.TODO,
    ...        next=("contacted",)).requires
    <Requirement.NONE: 'none'>
    """

    id: str
    """The stable id (``[a-z0-9_-]{1,64}``) that leads, history and next stages refer to."""
    name: str
    """The label people read, in any language; unique in the workflow after normalisation."""
    color: str
    """``#RRGGBB``."""
    category: Category = attrs.field(converter=_category)
    """To do, in progress or done; done statuses end a lead's way."""
    requires: Requirement = attrs.field(default=Requirement.NONE, converter=_requirement)
    """What a lead entering the status must bring: a note, a task, both or nothing."""
    next: tuple[str, ...] = attrs.field(default=(), converter=_str_tuple)
    """The next stages, in the order a user interface offers them."""

    @property
    def is_done(self) -> bool:
        """Whether the status is in the ``done`` category."""
        return self.category is Category.DONE

    def to_dict(self) -> PlainDict:
        """Return the status as in a definition file."""
        nexts: list[PlainValue] = list(self.next)
        return {
            "id": self.id,
            "name": self.name,
            "color": self.color,
            "category": str(self.category),
            "requires": str(self.requires),
            "next": nexts,
        }
