"""Project rules: every setting of a project (campaign), as one serialisable record."""

from __future__ import annotations

import enum
import warnings
from collections.abc import Collection, Iterable, Mapping
from datetime import timedelta
from types import MappingProxyType
from typing import ClassVar

import attrs

from leadcore._limits import shown, whole_problem
from leadcore.dispatch._plain import from_plain, to_plain
from leadcore.errors import ValidationError

__all__ = ["HistoryScope", "ProjectRules", "RuleBound", "SecondaryOrder"]


class SecondaryOrder(enum.StrEnum):
    """How leads of equal rank inside a pool tier are ordered."""

    OLDEST_FIRST = "oldest_first"
    """Earliest ``created_at`` first."""
    NEWEST_FIRST = "newest_first"
    """Latest ``created_at`` first."""
    LEAST_RECENTLY_CONTACTED = "least_recently_contacted"
    """Never-contacted leads first, then the earliest ``last_contact_at``."""
    FEWEST_ATTEMPTS = "fewest_attempts"
    """Fewest call attempts first."""


class HistoryScope(enum.StrEnum):
    """Whose entries of a lead's history a user sees (the project rule ``history_scope``).

    A user with the permission ``see_team_history`` sees every entry under
    any scope.
    """

    OWN = "own"
    """Only the entries the user made."""
    GROUP = "group"
    """The entries of the user and of the members of the user's groups."""
    ALL = "all"
    """Every entry of a lead the user may see."""


def _history_scope(value: HistoryScope | str) -> HistoryScope:
    # Keep an unknown spelling as it is so that validation reports it with the accepted values.
    try:
        return HistoryScope(value)
    except ValueError:
        return value  # type: ignore[return-value]


def _secondary_order(value: SecondaryOrder | str) -> SecondaryOrder:
    # Keep an unknown spelling as it is so that validation reports it with the accepted values.
    try:
        return SecondaryOrder(value)
    except ValueError:
        return value  # type: ignore[return-value]


@attrs.frozen
class RuleBound:
    """The whole numbers a numeric project rule accepts: ``minimum`` to ``maximum``, in ``unit``.

    ``None`` (where the rule allows it) is always accepted besides; see
    :attr:`ProjectRules.BOUNDS`.
    """

    minimum: int
    maximum: int
    unit: str
    """What the number counts: ``minutes``, ``seconds``, ``claims``."""


_BOUNDS: Mapping[str, RuleBound] = MappingProxyType(
    {
        # Long enough for any dialer, short enough that a claim's expiry and
        # alert stay dates on every adapter (and in a database integer).
        "lock_window_minutes": RuleBound(0, 10_080, "minutes"),
        "wait_before_alert_seconds": RuleBound(0, 86_400, "seconds"),
        "callback_grace_minutes": RuleBound(0, 525_600, "minutes"),
        "max_claims_per_hour": RuleBound(1, 100_000, "claims"),
        "max_claims_per_day": RuleBound(1, 1_000_000, "claims"),
    }
)

_FLAGS = (
    "force_notes_on_status_change",
    "share_reminders_in_group",
    "allow_multiple_relationships",
    "auto_dial",
    "no_status_first",
    "all_pools",
    "include_project_pools",
    "agents_set_own_filters",
)


@attrs.frozen
class ProjectRules:
    """Every rule of a project, with documented defaults.

    Lead lifecycle rules:

    - ``force_notes_on_status_change`` (``False``): every status change, and
      every call logged under a claim, must carry a note.
    - ``history_scope`` (``all``): whose history entries a user sees:
      ``own`` (only the entries they made), ``group`` (theirs and their
      group mates'), ``all``; the permission ``see_team_history`` shows every
      entry. The former flag ``show_only_own_history`` is still accepted
      (``True`` is ``own``, ``False`` is ``all``) and warns
      ``DeprecationWarning``; stored rules holding it load as ``own`` / ``all``.
    - ``share_reminders_in_group`` (``False``): members of a group see each
      other's reminders.
    - ``allow_multiple_relationships`` (``False``): a lead may be assigned to
      several users; when off, a lead assigned to someone is never dispatched
      to another agent.

    Dialer rules:

    - ``auto_dial`` (``False``): dial as soon as the lead is loaded.
    - ``wait_before_alert_seconds`` (``0``): how long after a claim the
      dialer page raises its alert (``Claim.alert_at``).
    - ``no_status_first`` (``False``): inside a pool tier, leads with no
      status come before leads that have one.
    - ``all_pools`` (``False``): ignore the pool priority order; the agent's
      own pools form one tier, the project's pools another.
    - ``include_project_pools`` (``True``): after the agent's private pools,
      hand out leads of the project and general pools; when off, each agent
      works only on their private pools.
    - ``agents_set_own_filters`` (``False``): agents may set their own
      dispatch filters; when off only a manager sets them.
    - ``lock_window_minutes`` (``10``): a claimed or called lead stays locked
      to its agent this long; ``0`` records claims but locks nothing, so
      several agents may load the same lead.
    - ``secondary_order`` (oldest first): the order inside a tier.
    - ``callback_grace_minutes`` (``None``): a due callback is for its owner
      only; with a number, any agent of the project may take it that many
      minutes after it fell due.
    - ``max_claims_per_hour`` / ``max_claims_per_day`` (``None``): per-agent
      caps over the last 60 minutes / 24 hours; ``None`` means no cap.

    Every number has bounds (:attr:`BOUNDS`): the alert wait at most a day
    (86,400 seconds), the lock window at most a week (10,080 minutes), the
    callback grace at most a year (525,600 minutes), the caps at most 100,000
    claims an hour and 1,000,000 a day. Invalid values raise
    :class:`~leadcore.errors.ValidationError` listing every problem:

    >>> rules = ProjectRules(no_status_first=True)
    >>> rules.lock_window
    datetime.timedelta(seconds=600)
    >>> ProjectRules(lock_window_minutes=-1)
    Traceback (most recent call last):
    ...
    leadcore.errors.ValidationError: project rules are invalid (1 problem):
      lock_window_minutes: must be whole minutes from 0 to 10080 (0 = no exclusive lock), got -1
    """

    BOUNDS: ClassVar[Mapping[str, RuleBound]] = _BOUNDS
    """The bounds of every numeric rule, by field name."""

    force_notes_on_status_change: bool = False
    history_scope: HistoryScope = attrs.field(default=HistoryScope.ALL, converter=_history_scope)
    share_reminders_in_group: bool = False
    allow_multiple_relationships: bool = False
    auto_dial: bool = False
    wait_before_alert_seconds: int = 0
    no_status_first: bool = False
    all_pools: bool = False
    include_project_pools: bool = True
    agents_set_own_filters: bool = False
    lock_window_minutes: int = 10
    secondary_order: SecondaryOrder = attrs.field(
        default=SecondaryOrder.OLDEST_FIRST, converter=_secondary_order
    )
    callback_grace_minutes: int | None = None
    max_claims_per_hour: int | None = None
    max_claims_per_day: int | None = None
    show_only_own_history: bool | None = attrs.field(
        default=None, eq=False, hash=False, repr=False, kw_only=True
    )
    """Deprecated: use ``history_scope``; given, it sets the scope and warns; read, ``None``."""

    def __attrs_post_init__(self) -> None:
        old = self._old_history_flag()
        problems = [] if old is None else [old]
        problems += [
            f"{name}: must be true or false, got {shown(getattr(self, name))}"
            for name in _FLAGS
            if not isinstance(getattr(self, name), bool)
        ]
        problems.extend(self._number_problems("lock_window_minutes", "wait_before_alert_seconds"))
        if not isinstance(self.history_scope, HistoryScope):
            accepted = ", ".join(s.value for s in HistoryScope)
            problems.append(
                f"history_scope: must be one of {accepted}, got {shown(self.history_scope)}"
            )
        if not isinstance(self.secondary_order, SecondaryOrder):
            accepted = ", ".join(o.value for o in SecondaryOrder)
            problems.append(
                f"secondary_order: must be one of {accepted}, got {shown(self.secondary_order)}"
            )
        problems.extend(
            self._number_problems(
                "callback_grace_minutes", "max_claims_per_hour", "max_claims_per_day"
            )
        )
        if problems:
            raise ValidationError("project rules are invalid", problems)

    def _old_history_flag(self) -> str | None:
        """Map the deprecated flag onto ``history_scope``; a problem with it, or ``None``."""
        old = self.show_only_own_history
        if old is None:
            return None
        object.__setattr__(self, "show_only_own_history", None)
        if not isinstance(old, bool):
            return f"show_only_own_history: must be true or false, got {shown(old)}"
        warnings.warn(
            "ProjectRules(show_only_own_history=...) is deprecated; use history_scope="
            "HistoryScope.OWN / GROUP / ALL; the old flag will be removed in the next release",
            DeprecationWarning,
            stacklevel=4,  # the caller of the generated __init__
        )
        if old and self.history_scope is HistoryScope.ALL:
            object.__setattr__(self, "history_scope", HistoryScope.OWN)
        elif old != (self.history_scope is HistoryScope.OWN):
            return (
                f"show_only_own_history: {old} contradicts history_scope "
                f"{shown(str(self.history_scope))}; give history_scope only"
            )
        return None

    def _number_problems(self, *names: str) -> list[str]:
        return [
            p
            for name in names
            if (p := _bound_problem(name, getattr(self, name), _BOUNDS[name])) is not None
        ]

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> ProjectRules:
        """Build from plain data as :meth:`to_dict` gives it; unknown names and bad values raise.

        Raises :class:`~leadcore.errors.ValidationError` listing every problem.
        """
        return from_plain(cls, data, "project rules are invalid")

    def to_dict(self) -> dict[str, object]:
        """The record as plain data (lists, strings, numbers), for JSON or TOML."""
        return to_plain(self)

    @property
    def lock_window(self) -> timedelta:
        """The lock window as a ``timedelta`` (zero means no exclusive lock)."""
        return timedelta(minutes=self.lock_window_minutes)

    @property
    def exclusive(self) -> bool:
        """Whether claims lock the lead to one agent (the window is above zero)."""
        return self.lock_window_minutes > 0

    @property
    def wait_before_alert(self) -> timedelta:
        """The wait before the dialer alert, as a ``timedelta``."""
        return timedelta(seconds=self.wait_before_alert_seconds)

    @property
    def callback_grace(self) -> timedelta | None:
        """The callback grace period, or ``None`` when callbacks stay with their owner."""
        if self.callback_grace_minutes is None:
            return None
        return timedelta(minutes=self.callback_grace_minutes)


_MEANING = {
    "lock_window_minutes": "0 = no exclusive lock",
    "callback_grace_minutes": "or None: callbacks stay with their owner",
    "max_claims_per_hour": "or None: no cap",
    "max_claims_per_day": "or None: no cap",
}
_OPTIONAL = frozenset({"callback_grace_minutes", "max_claims_per_hour", "max_claims_per_day"})


def _bound_problem(name: str, value: object, bound: RuleBound) -> str | None:
    if value is None and name in _OPTIONAL:
        return None
    problem = whole_problem(
        value, name, minimum=bound.minimum, maximum=bound.maximum, unit=bound.unit
    )
    if problem is None or name not in _MEANING:
        return problem
    head, got = problem.rsplit(", got ", 1)
    return f"{head} ({_MEANING[name]}), got {got}"


def history_authors(
    scope: HistoryScope,
    user_id: str,
    groups: Iterable[Collection[str]],
    *,
    sees_team_history: bool,
) -> frozenset[str] | None:
    """The authors whose history entries ``user_id`` sees, or ``None`` for every entry.

    ``groups`` are the member ids of every group of the organisation; only
    those holding ``user_id`` count.

    >>> sorted(history_authors(HistoryScope.GROUP, "u1", [{"u1", "u2"}, {"u3"}],
    ...                        sees_team_history=False))
    ['u1', 'u2']
    >>> history_authors(HistoryScope.OWN, "u1", [], sees_team_history=True) is None
    True
    """
    if scope is HistoryScope.ALL or sees_team_history:
        return None
    if scope is HistoryScope.OWN:
        return frozenset({user_id})
    return frozenset({user_id}).union(*(m for m in groups if user_id in m))
