"""Ids of one check: two organisations and record ids tagged with the check's records."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Protocol

from leadcore.testing.conformance._records import T0, Records

__all__ = ["Identified", "Scope", "at"]


def at(minutes: int) -> datetime:
    """The instant ``minutes`` after :data:`T0`."""
    return T0 + timedelta(minutes=minutes)


class Identified(Protocol):
    """Anything with an ``id``."""

    @property
    def id(self) -> str:
        """The record's id."""
        ...


class Scope:
    """Two look-alike organisations of one check, and the tagged ids of its records.

    ``scope("lead-1")`` is the id of the record the check calls ``lead-1``;
    :meth:`names` turns stored records back into those short names, so that
    an assertion reads like the data it seeds.
    """

    def __init__(self, records: Records) -> None:
        self.records = records
        self.org = records.id("org", "a")
        self.other = records.id("org", "b")
        self._suffix = f"~{records.tag}"

    def __call__(self, name: str) -> str:
        """The tagged id of the record called ``name``."""
        return f"{name}{self._suffix}"

    def names(self, items: Iterable[Identified]) -> list[str]:
        """The short names of ``items``, in their order."""
        return [item.id.removesuffix(self._suffix) for item in items]
