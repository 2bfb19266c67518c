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
    organization_id: str
    name: str
    created_at: datetime
    rules: ProjectRules = attrs.field(factory=ProjectRules)
    member_ids: frozenset[str] = attrs.field(factory=frozenset, converter=_ids)
    active: bool = True
