"""What a sender sets for a partner: the field mapping of the copy it sends, the return window."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from types import MappingProxyType

import attrs

from leadcore._limits import duration_problem
from leadcore.leads._model import FieldValue, Lead

__all__ = [
    "STANDARD_FIELDS",
    "FieldMapping",
    "LeadCopy",
    "PartnerTerms",
]


def _frozen_set(value: Iterable[str]) -> frozenset[str]:
    return frozenset(value)


def _readonly(value: Mapping[str, str]) -> Mapping[str, str]:
    # Read-only: the memory store hands out the very record it keeps.
    return MappingProxyType(dict(value))


# -- what the sender decides ----------------------------------------------------------------

#: The lead fields a field mapping may pass on (custom fields are mapped by key).
STANDARD_FIELDS: tuple[str, ...] = ("name", "phones", "emails", "channel")


@attrs.frozen
class LeadCopy:
    """The data of a lead as a partner receives it."""

    name: str
    """The lead's name."""
    phones: tuple[str, ...]
    """Its phone numbers, if the mapping passes them."""
    emails: tuple[str, ...]
    """Its e-mail addresses, if the mapping passes them."""
    channel: str | None
    """Its channel, if the mapping passes it."""
    fields: Mapping[str, FieldValue]
    """The custom fields passed on, under the receiver's keys."""


@attrs.frozen
class FieldMapping:
    """Which of a lead's fields a partner receives.

    ``standard`` names the standard fields passed on (``name`` always is;
    ``phones``, ``emails``, ``channel`` may be left out). ``custom`` maps the
    sender's custom field keys to the receiver's. Notes, history, tasks,
    statuses, assignees and projects are never passed on.

    >>> from datetime import UTC
    >>> t = datetime(2026, 1, 1, tzinfo=UTC)
    >>> lead = Lead("l1", "o1", "Dana", t, t, phones=["+972501234567"], emails=["d@x.io"])
    >>> copy = FieldMapping(standard={"name", "phones"}).copy(lead)
    >>> copy.phones, copy.emails
    (('+972501234567',), ())
    """

    standard: frozenset[str] = attrs.field(
        default=frozenset(STANDARD_FIELDS), converter=_frozen_set
    )
    custom: Mapping[str, str] = attrs.field(factory=dict, converter=_readonly)

    def problems(self, path: str = "mapping") -> list[str]:
        """Every problem with this mapping (empty when valid)."""
        out: list[str] = []
        unknown = sorted(self.standard - set(STANDARD_FIELDS))
        if unknown:
            out.append(
                f"{path}.standard: {unknown} are not lead fields; "
                f"accepted: {', '.join(STANDARD_FIELDS)} (map custom fields in custom)"
            )
        if "name" not in self.standard:
            out.append(f"{path}.standard: must include 'name' (a lead always has one)")
        targets: set[str] = set()
        for source, target in self.custom.items():
            for key in (source, target):
                if not isinstance(key, str) or not re.fullmatch(r"[a-z][a-z0-9_]{0,63}", key):
                    out.append(f"{path}.custom[{source!r}]: {key!r} is not a custom field key")
            if target in targets:
                out.append(f"{path}.custom[{source!r}]: {target!r} is the target of two fields")
            targets.add(target)
        return out

    def copy(self, lead: Lead) -> LeadCopy:
        """The data ``lead`` passes on under this mapping."""
        return LeadCopy(
            name=lead.name,
            phones=lead.phones if "phones" in self.standard else (),
            emails=lead.emails if "emails" in self.standard else (),
            channel=lead.source.channel if "channel" in self.standard else None,
            fields={
                target: lead.fields[source]
                for source, target in self.custom.items()
                if lead.fields.get(source) is not None
            },
        )


@attrs.frozen
class PartnerTerms:
    """What the sender sets for one partner it sends leads to.

    ``mapping`` is what the partner receives; ``return_window`` how long after
    delivery the partner may return a lead (``None``: no limit).
    """

    mapping: FieldMapping = attrs.field(factory=FieldMapping)
    return_window: timedelta | None = None

    def problems(self) -> list[str]:
        """Every problem with these terms (empty when valid)."""
        out = self.mapping.problems()
        if self.return_window is not None and self.return_window <= timedelta(0):
            out.append("return_window: must be positive, or None for no limit")
        elif (too_long := duration_problem(self.return_window, "return_window")) is not None:
            out.append(too_long)
        return out

    def returnable_until(self, delivered_at: datetime) -> datetime | None:
        """The end of the return window of a lead delivered at ``delivered_at``."""
        return None if self.return_window is None else delivered_at + self.return_window
