"""Projects (campaigns): a group of leads worked under one set of rules by its members."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import attrs

from leadcore.dispatch._rules import ProjectRules

__all__ = ["Project"]


def _ids(value: Iterable[str]) -> frozenset[str]:
    return frozenset(value)


@attrs.frozen
class Project:
    """A campaign of one organisation: its rules and its member users (agents)."""

    id: str
    """The project's id."""
    organization_id: str
    """The organisation it belongs to."""
    name: str
    """The campaign's name."""
    created_at: datetime
    """When it was created."""
    rules: ProjectRules = attrs.field(factory=ProjectRules)
    """Every rule of the project, dialer and lifecycle alike."""
    member_ids: frozenset[str] = attrs.field(factory=frozenset, converter=_ids)
    """The users (agents) who work the project."""
    active: bool = True
    """Whether the project is in use."""
