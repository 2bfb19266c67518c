"""The sales pipeline after conversion: its settings, its history entries and its report.

Pure records and rules: :mod:`leadcore.services.accounts` and
:mod:`leadcore.services.opportunities` are the use cases.

>>> currency_problem("eur", "currency")
"currency: 'eur' is not an ISO 4217 code (three capital letters, e.g. 'EUR')"
>>> currency_problem("EUR", "currency") is None
True
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Final, Generic, Literal, TypeVar

import attrs

from leadcore.leads._conversion import Opportunity
from leadcore.workflow import Workflow

__all__ = [
    "CURRENCIES",
    "PipelineEntry",
    "PipelineEntryKind",
    "PipelineKey",
    "PipelineReport",
    "PipelineRow",
    "PipelineSettings",
    "RecordPage",
    "currency_problem",
    "cursor_problem",
    "page_of",
    "pipeline_report",
    "stage_probability",
]

_CODES: Final = (
    "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN",
    "BWP BYN BZD CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD",
    "FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY",
    "KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP",
    "MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR",
    "RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT",
    "TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VES VND VUV WST XAF XCD XCG XOF XPF YER ZAR",
    "ZMW ZWG",
)

#: The active ISO 4217 currency codes.
CURRENCIES: Final[frozenset[str]] = frozenset(c for line in _CODES for c in line.split())

#: What the pipeline report is grouped by.
PipelineKey = Literal["stage", "owner", "close_month"]

#: The lost reasons of an organisation that set none.
DEFAULT_LOST_REASONS: Final = ("price", "competitor", "no budget", "no decision", "timing")

#: The win probabilities (percent) of the bundled workflow's open stages.
DEFAULT_PROBABILITIES: Final[Mapping[str, int]] = {
    "prospecting": 10,
    "qualification": 25,
    "proposal": 50,
    "negotiation": 75,
}


def currency_problem(value: object, where: str) -> str | None:
    """What is wrong with ``value`` as an ISO 4217 code (``None``: nothing)."""
    if value is None:
        return None
    if not isinstance(value, str) or value not in CURRENCIES:
        return f"{where}: {value!r} is not an ISO 4217 code (three capital letters, e.g. 'EUR')"
    return None


@attrs.frozen(hash=False)
class PipelineSettings:
    """An organisation's pipeline settings (``s.opportunities.settings()``).

    ``won_stage_ids`` are the done stages that close an opportunity as won;
    every other done stage closes it as lost, with one of ``lost_reasons``.
    ``probabilities`` (percent, per open stage) weight the pipeline report; an
    open stage missing from it gets a share by its place in the workflow.
    ``force_notes_on_stage_change`` is the opportunities' forced-notes rule,
    as ``force_notes_on_status_change`` is a project's for its leads: every
    stage change needs a note.
    """

    lost_reasons: tuple[str, ...] = DEFAULT_LOST_REASONS
    """The reasons a lost opportunity may give."""
    won_stage_ids: tuple[str, ...] = ("closed_won",)
    """The done stages that mean won."""
    probabilities: dict[str, int] = attrs.field(factory=lambda: dict(DEFAULT_PROBABILITIES))
    """Win probability in percent per open stage."""
    force_notes_on_stage_change: bool = False
    """Every stage change of an opportunity needs a note."""

    def problems(self) -> list[str]:
        """What is wrong with these settings (empty: nothing)."""
        out = []
        if not isinstance(self.force_notes_on_stage_change, bool):
            out.append("force_notes_on_stage_change: must be True or False")
        for i, reason in enumerate(self.lost_reasons):
            if not isinstance(reason, str) or not reason.strip():
                out.append(f"lost_reasons[{i}]: must not be blank")
        if len(set(self.lost_reasons)) != len(self.lost_reasons):
            out.append("lost_reasons: must not repeat a reason")
        for stage, percent in self.probabilities.items():
            if isinstance(percent, bool) or not isinstance(percent, int) or not 0 <= percent <= 100:
                out.append(f"probabilities[{stage!r}]: must be a whole percent 0..100")
        return out


def stage_probability(workflow: Workflow, settings: PipelineSettings, stage_id: str) -> Decimal:
    """The win probability of an opportunity in ``stage_id``, from 0 to 1.

    Won stages count 1, other done stages 0; an open stage has its percent
    from ``settings``, else ``place / (open stages + 1)`` by workflow order.
    """
    if stage_id in settings.won_stage_ids:
        return Decimal(1)
    if stage_id in workflow and workflow.is_done(stage_id):
        return Decimal(0)
    if stage_id in settings.probabilities:
        return Decimal(settings.probabilities[stage_id]) / 100
    open_ids = [s for s in workflow.status_ids if not workflow.is_done(s)]
    if stage_id not in open_ids:
        return Decimal(0)
    return (Decimal(open_ids.index(stage_id) + 1) / (len(open_ids) + 1)).quantize(Decimal("0.01"))


class PipelineEntryKind(enum.StrEnum):
    """What a pipeline history entry records."""

    CREATED = "created"
    UPDATED = "updated"
    STAGE_CHANGED = "stage_changed"
    CONTACT_ADDED = "contact_added"
    MERGED = "merged"
    MOVED_BY_MERGE = "moved_by_merge"


@attrs.frozen
class PipelineEntry:
    """One history entry of an account or an opportunity (its *subject*)."""

    id: str
    """The entry's id."""
    organization_id: str
    """The organisation it belongs to."""
    subject_id: str
    """The account or opportunity it is about."""
    kind: PipelineEntryKind
    """What happened."""
    at: datetime
    """When."""
    actor_id: str | None
    """Who did it."""
    from_stage: str | None = None
    """The stage before a stage change."""
    to_stage: str | None = None
    """The stage after a stage change."""
    text: str | None = None
    """The note given with it, or what it changed."""
    task_title: str | None = None
    """The task given with a stage change, if any."""
    other_id: str | None = None
    """The other record it involves (the account merged away, the account moved to)."""


@attrs.frozen
class PipelineRow:
    """One group of open opportunities in the pipeline report."""

    key: str | None
    """The stage id, owner id or close month (``"2026-03"``) of the group; ``None``: not set."""
    currency: str | None
    """The currency of the amounts (groups are split per currency)."""
    count: int
    """Open opportunities in the group."""
    amount: Decimal
    """The sum of their amounts (an opportunity without one counts 0)."""
    weighted: Decimal
    """The sum of amount × stage probability."""


@attrs.frozen
class PipelineReport:
    """The pipeline: open amounts per group, win rate and cycle time."""

    by: str
    """What the rows are grouped by."""
    rows: tuple[PipelineRow, ...]
    """The groups of open opportunities, by key (in workflow order for stages), then currency."""
    won: int
    """Opportunities closed as won."""
    lost: int
    """Opportunities closed as lost."""
    win_rate: float | None
    """``won / (won + lost)``; ``None`` while none is closed."""
    average_cycle: timedelta | None
    """The mean time from creation to close of the closed ones; ``None`` while none is closed."""
    won_amounts: Mapping[str | None, Decimal] = attrs.field(factory=dict, eq=False)
    """Won revenue per currency."""


def _key_of(by: PipelineKey) -> Callable[[Opportunity], str | None]:
    if by == "stage":
        return lambda o: o.stage_id
    if by == "owner":
        return lambda o: o.owner_id
    return lambda o: None if o.close_date is None else o.close_date.strftime("%Y-%m")


def pipeline_report(
    opportunities: Iterable[Opportunity],
    workflow: Workflow | None,
    settings: PipelineSettings,
    by: PipelineKey,
) -> PipelineReport:
    """Group the open opportunities ``by`` stage, owner or close month, and count the closed."""
    key = _key_of(by)
    groups: dict[tuple[str | None, str | None], list[Opportunity]] = {}
    won = lost = 0
    cycle = timedelta(0)
    won_amounts: dict[str | None, Decimal] = {}
    for o in opportunities:
        if o.closed_at is not None:
            cycle += o.closed_at - o.created_at
            if o.won:
                won += 1
                won_amounts[o.currency] = won_amounts.get(o.currency, Decimal(0)) + (
                    o.amount or Decimal(0)
                )
            else:
                lost += 1
            continue
        groups.setdefault((key(o), o.currency), []).append(o)
    order = {s: i for i, s in enumerate(workflow.status_ids)} if workflow is not None else {}

    def sort_key(k: tuple[str | None, str | None]) -> tuple[int, str, str]:
        name, currency = k
        place = order.get(name, len(order)) if by == "stage" and name is not None else 0
        return (place if name is not None else len(order) + 1, name or "", currency or "")

    rows = []
    for k in sorted(groups, key=sort_key):
        members = groups[k]
        amount = sum((o.amount or Decimal(0) for o in members), Decimal(0))
        weighted = sum(
            (
                (o.amount or Decimal(0))
                * (
                    stage_probability(workflow, settings, o.stage_id)
                    if workflow is not None
                    else Decimal(0)
                )
                for o in members
            ),
            Decimal(0),
        )
        rows.append(PipelineRow(k[0], k[1], len(members), amount, weighted))
    closed = won + lost
    return PipelineReport(
        by=by,
        rows=tuple(rows),
        won=won,
        lost=lost,
        win_rate=won / closed if closed else None,
        average_cycle=cycle / closed if closed else None,
        won_amounts=won_amounts,
    )


R = TypeVar("R")

#: Separates the sort key and the id in a page cursor.
_SEP: Final = "\x1f"


@attrs.frozen
class RecordPage(Generic[R]):
    """One page of accounts or opportunities, and the cursor of the next (``None`` on the last)."""

    items: tuple[R, ...]
    """The records of this page."""
    next: str | None
    """Pass it as ``after`` for the next page; ``None`` on the last page."""


def page_of(
    records: Sequence[R], key: Callable[[R], tuple[str, str]], limit: int, after: str | None
) -> RecordPage[R]:
    """The page of ``records`` (sorted by ``key``) after the cursor ``after``.

    The cursor is the sort key of the last record handed out, so a page stays
    right when records were added or changed between two calls.
    """
    start = 0
    if after is not None:
        mark = tuple(after.rsplit(_SEP, 1))
        start = next((i for i, r in enumerate(records) if key(r) > mark), len(records))
    items = tuple(records[start : start + limit])
    more = start + limit < len(records)
    return RecordPage(items, _SEP.join(key(items[-1])) if more and items else None)


def cursor_problem(after: object) -> str | None:
    """What is wrong with ``after`` as a page cursor (``None``: nothing)."""
    if after is None:
        return None
    if not isinstance(after, str) or _SEP not in after:
        return f"after: {after!r} is not a cursor of this list (pass page.next)"
    return None
