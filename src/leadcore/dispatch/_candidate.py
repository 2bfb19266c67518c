"""Candidates: what dispatch needs to know about a lead, and nothing more."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta

import attrs

from leadcore.errors import ValidationError
from leadcore.workflow import Category

__all__ = ["EPOCH", "Candidate", "FilterValue", "microseconds"]

#: The value of a custom field as dispatch and its agent filters compare it: a lead's
#: ``leadcore.leads.FieldValue`` with dates as ISO text and no ``None``.
FilterValue = str | int | float | bool

#: The origin of the integer timestamps dispatch orders by.
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def microseconds(when: datetime) -> int:
    """Microseconds since the epoch of an aware ``datetime``: an exact, totally ordered integer.

    >>> microseconds(datetime(1970, 1, 1, 0, 0, 1, tzinfo=UTC))
    1000000
    """
    return (when - EPOCH) // _MICROSECOND


def _category(value: Category | str | None) -> Category | None:
    if value is None:
        return None
    try:
        return Category(value)
    except ValueError:
        return value  # type: ignore[return-value]


def _user_ids(value: Iterable[str]) -> frozenset[str]:
    return frozenset(value)


def _fields(value: Mapping[str, FilterValue]) -> dict[str, FilterValue]:
    return dict(value)


def _aware(value: datetime | None) -> bool:
    # utcoffset() is None for naive datetimes and for a tzinfo that cannot tell the offset.
    return value is None or (isinstance(value, datetime) and value.utcoffset() is not None)


@attrs.frozen(kw_only=True)
class Candidate:
    """The projection of a lead that the dispatch policy reads.

    Adapters build one per lead of the project, so that the policy never
    depends on how leads are stored. ``category`` is the category of the
    lead's status (``None`` with no status). ``callback_at`` and
    ``callback_owner_id`` describe a pending callback task: the lead is held
    for its owner until then, handed to the owner once due and, with a grace
    period, to any agent of the project after it. Times are timezone-aware.

    >>> from datetime import datetime, timezone
    >>> lead = Candidate(lead_id="lead-1", pool_id="hot",
    ...                  created_at=datetime(2026, 1, 5, 9, tzinfo=timezone.utc))
    >>> lead.status_id is None, lead.attempts
    (True, 0)
    """

    lead_id: str
    pool_id: str
    created_at: datetime
    status_id: str | None = None
    category: Category | None = attrs.field(default=None, converter=_category)
    converted: bool = False
    do_not_call: bool = False
    assigned_user_ids: frozenset[str] = attrs.field(factory=frozenset, converter=_user_ids)
    last_contact_at: datetime | None = None
    attempts: int = 0
    source: str | None = None
    custom_fields: dict[str, FilterValue] = attrs.field(factory=dict, converter=_fields, hash=False)
    callback_at: datetime | None = None
    callback_owner_id: str | None = None

    def __attrs_post_init__(self) -> None:
        problems: list[str] = []
        if not isinstance(self.lead_id, str) or not self.lead_id:
            problems.append(f"lead_id: must be a non-empty string, got {self.lead_id!r}")
        if not isinstance(self.pool_id, str) or not self.pool_id:
            problems.append(f"pool_id: must be a non-empty string, got {self.pool_id!r}")
        for name in ("created_at", "last_contact_at", "callback_at"):
            if not _aware(getattr(self, name)):
                problems.append(f"{name}: must be a timezone-aware datetime")
        if self.created_at is None:
            problems.append("created_at: is required")
        if self.category is not None and not isinstance(self.category, Category):
            accepted = ", ".join(c.value for c in Category)
            problems.append(f"category: must be one of {accepted} or None, got {self.category!r}")
        if self.status_id is None and self.category is not None:
            problems.append("category: a lead with no status has no category")
        if self.status_id is not None and self.category is None:
            problems.append(f"category: status {self.status_id!r} needs its category")
        if not isinstance(self.attempts, int) or isinstance(self.attempts, bool):
            problems.append(f"attempts: must be a whole number, got {self.attempts!r}")
        elif self.attempts < 0:
            problems.append(f"attempts: must be 0 or more, got {self.attempts}")
        if (self.callback_at is None) != (self.callback_owner_id is None):
            problems.append(
                "callback_at, callback_owner_id: a callback needs both its time and owner"
            )
        if problems:
            raise ValidationError(f"candidate {self.lead_id!r} is invalid", problems)

    @property
    def is_done(self) -> bool:
        """Whether the lead's status is in the ``done`` category."""
        return self.category is Category.DONE

    @property
    def has_callback(self) -> bool:
        """Whether the lead waits for a callback (due or not)."""
        return self.callback_at is not None
