"""Reading lead input (one lead, or a row of an import) into checked values."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from typing import Final, TypeVar

import attrs

from leadcore._text import MAX_CHANNEL, MAX_NAME, text_problem, text_problems
from leadcore.errors import LeadcoreError
from leadcore.leads._intake import LeadSettings, check_fields, normalize_email, normalize_phone
from leadcore.leads._model import FieldValue, Source

__all__ = [
    "MAX_CONTACT_VALUES",
    "ImportInterrupted",
    "ImportOutcome",
    "ImportReport",
    "ImportRow",
    "LeadInput",
    "bounded_contacts",
    "read_input",
    "read_row",
]


@attrs.frozen(hash=False)
class LeadInput:
    """A lead as given by a caller, checked and normalised, before it is stored."""

    name: str
    phones: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()
    source: Source = attrs.field(factory=Source)
    project_id: str | None = None
    pool_id: str | None = None
    fields: Mapping[str, FieldValue] = attrs.field(factory=dict)
    assignee_ids: tuple[str, ...] = ()


def _strings(value: object, path: str, problems: list[str]) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list | tuple):
        out = []
        for i, v in enumerate(value):
            if isinstance(v, str):
                out.append(v)
            else:
                problems.append(f"{path}[{i}]: expected text, got {type(v).__name__}")
        return out
    problems.append(f"{path}: expected text or a list of text, got {type(value).__name__}")
    return []


T = TypeVar("T")

#: The most phone numbers, and the most e-mail addresses, one lead or contact may have.
MAX_CONTACT_VALUES: Final = 50


def bounded_contacts(values: list[T], path: str, problems: list[str]) -> list[T]:
    """``values`` (phones or e-mails at ``path``), or none and a problem when there are too many."""
    if len(values) <= MAX_CONTACT_VALUES:
        return values
    problems.append(f"{path}: has {len(values)} values; at most {MAX_CONTACT_VALUES} are allowed")
    return []


def _optional_str(value: object, path: str, problems: list[str]) -> str | None:
    if value is None or isinstance(value, str):
        return value or None
    problems.append(f"{path}: expected text, got {type(value).__name__}")
    return None


def read_input(
    *,
    name: object,
    phones: object = (),
    emails: object = (),
    channel: object = None,
    supplier_id: object = None,
    project_id: object = None,
    pool_id: object = None,
    fields: object = None,
    assignee_ids: object = (),
    settings: LeadSettings,
    region: str | None,
    path: str = "lead",
) -> tuple[LeadInput | None, list[str]]:
    """Check and normalise lead input; return it, or ``None`` and every problem found."""
    problems: list[str] = []
    if not isinstance(name, str):
        problems.append(f"{path}.name: required text, got {type(name).__name__}")
    elif not name.strip():
        problems.append(f"{path}.name: must not be blank")
    elif len(name) > MAX_NAME:
        problems.append(f"{path}.name: has {len(name)} characters; at most {MAX_NAME} are allowed")
    normal_phones: list[str] = []
    given_phones = _strings(phones, f"{path}.phones", problems)
    for i, raw in enumerate(bounded_contacts(given_phones, f"{path}.phones", problems)):
        try:
            number = normalize_phone(raw, region)
        except ValueError as exc:
            problems.append(f"{path}.phones[{i}]: {exc}")
            continue
        if number not in normal_phones:
            normal_phones.append(number)
    normal_emails: list[str] = []
    given_emails = _strings(emails, f"{path}.emails", problems)
    for i, raw in enumerate(bounded_contacts(given_emails, f"{path}.emails", problems)):
        try:
            address = normalize_email(raw)
        except ValueError as exc:
            problems.append(f"{path}.emails[{i}]: {exc}")
            continue
        if address not in normal_emails:
            normal_emails.append(address)
    typed: dict[str, FieldValue] = {}
    if fields is not None:
        if isinstance(fields, Mapping):
            typed, field_problems = check_fields(settings.custom_fields, fields, f"{path}.fields")
            problems.extend(field_problems)
        else:
            problems.append(f"{path}.fields: expected a mapping, got {type(fields).__name__}")
    else:
        _, field_problems = check_fields(settings.custom_fields, {}, f"{path}.fields")
        problems.extend(field_problems)
    label = _optional_str(channel, f"{path}.channel", problems)
    if label is not None and (problem := text_problem(label, f"{path}.channel", MAX_CHANNEL)):
        problems.append(problem)
    source = Source(
        supplier_id=_optional_str(supplier_id, f"{path}.supplier_id", problems),
        channel=label,
    )
    project = _optional_str(project_id, f"{path}.project_id", problems)
    pool = _optional_str(pool_id, f"{path}.pool_id", problems)
    assignees = _strings(assignee_ids, f"{path}.assignee_ids", problems)
    if problems:
        return None, problems
    assert isinstance(name, str)
    return (
        LeadInput(
            name=name.strip(),
            phones=tuple(normal_phones),
            emails=tuple(normal_emails),
            source=source,
            project_id=project,
            pool_id=pool,
            fields=typed,
            assignee_ids=tuple(dict.fromkeys(assignees)),
        ),
        [],
    )


_ROW_KEYS = {
    "name",
    "phone",
    "phones",
    "email",
    "emails",
    "channel",
    "supplier_id",
    "project_id",
    "pool_id",
    "assignee_ids",
    "fields",
}


def read_row(
    row: object, index: int, settings: LeadSettings, region: str | None
) -> tuple[LeadInput | None, list[str]]:
    """Read one import row (a mapping); unknown columns naming a custom field fill it."""
    path = f"rows[{index}]"
    if not isinstance(row, Mapping):
        return None, [f"{path}: expected a mapping of column to value, got {type(row).__name__}"]
    custom_keys = {d.key for d in settings.custom_fields}
    problems: list[str] = text_problems(row, path)
    if problems:  # text no storage keeps: the row is refused before it is read
        return None, problems
    fields: dict[str, object] = {}
    raw_fields = row.get("fields")
    if isinstance(raw_fields, Mapping):
        fields.update(raw_fields)
    elif raw_fields is not None:
        problems.append(f"{path}.fields: expected a mapping, got {type(raw_fields).__name__}")
    for key, value in row.items():
        if key in _ROW_KEYS:
            continue
        if key in custom_keys:
            fields[key] = value
        else:
            problems.append(f"{path}.{key}: unknown column")
    phones = list(_strings(row.get("phones"), f"{path}.phones", problems)) + list(
        _strings(row.get("phone"), f"{path}.phone", problems)
    )
    emails = list(_strings(row.get("emails"), f"{path}.emails", problems)) + list(
        _strings(row.get("email"), f"{path}.email", problems)
    )
    checked, more = read_input(
        name=row.get("name"),
        phones=phones,
        emails=emails,
        channel=row.get("channel"),
        supplier_id=row.get("supplier_id"),
        project_id=row.get("project_id"),
        pool_id=row.get("pool_id"),
        fields=fields,
        assignee_ids=row.get("assignee_ids", ()),
        settings=settings,
        region=region,
        path=path,
    )
    problems.extend(more)
    return (None, problems) if problems else (checked, [])


class ImportOutcome(enum.StrEnum):
    """What became of one import row."""

    CREATED = "created"
    DUPLICATE = "duplicate"
    """Created, flagged as a duplicate of an earlier lead (``duplicate_of``)."""
    BLACKLISTED = "blacklisted"
    """Created, flagged: a phone number is on the do-not-call list."""
    INVALID = "invalid"
    """Not created; ``problems`` says why."""


@attrs.frozen
class ImportRow:
    """The report of one import row."""

    index: int
    """The row's position in the input, from 0."""
    outcome: ImportOutcome
    """Created, duplicate, blacklisted or invalid."""
    lead_id: str | None = None
    """The lead the row created (also for duplicates and blacklisted rows)."""
    duplicate_of: str | None = None
    """The earlier lead (stored, or of the same batch) the row duplicates."""
    problems: tuple[str, ...] = ()
    """Every reason an invalid row was refused, each naming its column."""


def _rows(value: Iterable[ImportRow]) -> tuple[ImportRow, ...]:
    return tuple(value)


@attrs.frozen(repr=False)
class ImportReport:
    """One :class:`ImportRow` per input row, in input order, and totals.

    Its ``repr`` is the :meth:`summary`; the rows are in :attr:`rows`.
    """

    rows: tuple[ImportRow, ...] = attrs.field(converter=_rows)
    """One report per input row, in input order."""
    batches: int = 0
    """How many batches were committed (each batch in its own transaction)."""

    def count(self, outcome: ImportOutcome | str) -> int:
        """How many rows had this outcome."""
        wanted = ImportOutcome(outcome)
        return sum(1 for r in self.rows if r.outcome is wanted)

    @property
    def created_ids(self) -> Sequence[str]:
        """Ids of every lead created (duplicates and blacklisted ones included)."""
        return [r.lead_id for r in self.rows if r.lead_id is not None]

    def summary(self) -> str:
        """One line: how many rows of each outcome."""
        counts: dict[ImportOutcome, int] = dict.fromkeys(ImportOutcome, 0)
        for r in self.rows:
            counts[r.outcome] += 1
        return f"{len(self.rows)} rows: " + ", ".join(f"{n} {o.value}" for o, n in counts.items())

    def __repr__(self) -> str:
        batches = f"{self.batches} batch" + ("" if self.batches == 1 else "es")
        return f"<ImportReport {self.summary()}; {batches} committed>"


class ImportInterrupted(LeadcoreError, RuntimeError):
    """An import stopped at a failing batch after earlier batches were committed.

    :attr:`report` covers the committed batches (their rows stay imported);
    the failing batch wrote nothing. The cause is the exception's
    ``__cause__``.
    """

    def __init__(self, report: ImportReport, cause: BaseException) -> None:
        self.report = report
        """The rows of the committed batches."""
        super().__init__(
            f"the import stopped at batch {report.batches} (from row {len(report.rows)}): "
            f"{type(cause).__name__}: {cause}; {report.summary()}"
        )
