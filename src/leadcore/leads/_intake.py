"""Intake rules: phone and e-mail normalisation, custom field types, duplicate detection."""

from __future__ import annotations

import enum
import functools
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta

import attrs
import phonenumbers

from leadcore._limits import duration_problem
from leadcore.leads._model import FieldValue, Lead
from leadcore.leads._phones import fast_e164
from leadcore.workflow import name_key

__all__ = [
    "DuplicateMatch",
    "FieldDefinition",
    "FieldType",
    "LeadSettings",
    "check_fields",
    "first_originals",
    "is_duplicate",
    "normalize_email",
    "normalize_phone",
]

_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_FIELD_KEY = re.compile(r"[a-z][a-z0-9_]{0,63}")


def normalize_phone(raw: str, region: str | None) -> str:
    """Return ``raw`` in E.164 form, or raise ``ValueError`` saying why it is not a phone number.

    ``region`` (e.g. ``"IL"``) reads numbers written without a country code.

    >>> normalize_phone("050-555-1234", "IL")
    '+972505551234'
    """
    if not isinstance(raw, str) or not raw.strip():
        raise ValueError("expected a phone number as text")
    return _e164(raw, region)


# Parsing dominates the cost of an import, and imports repeat numbers (that is what
# duplicates are); failures are not cached, so their messages stay exact.
@functools.lru_cache(maxsize=8192)
def _e164(raw: str, region: str | None) -> str:
    fast = fast_e164(raw, region)
    if fast is not None:
        return fast
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException as exc:
        hint = "" if region else " (the organisation has no default region: add a +country code)"
        raise ValueError(f"{raw!r} is not a phone number{hint}: {exc}") from None
    if not phonenumbers.is_valid_number(number):
        raise ValueError(f"{raw!r} is not a valid phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalize_email(raw: str) -> str:
    """Return ``raw`` trimmed and in lower case, or raise ``ValueError`` if it is no address.

    >>> normalize_email("  Dana@Example.COM ")
    'dana@example.com'
    """
    if not isinstance(raw, str):
        raise ValueError("expected an e-mail address as text")
    value = raw.strip().lower()
    if not _EMAIL.fullmatch(value):
        raise ValueError(f"{raw!r} is not an e-mail address")
    return value


class FieldType(enum.StrEnum):
    """The type of a custom field."""

    TEXT = "text"
    INTEGER = "integer"
    NUMBER = "number"
    BOOLEAN = "boolean"
    DATE = "date"
    CHOICE = "choice"


def _choices(value: Iterable[str]) -> tuple[str, ...]:
    return tuple(value)


@attrs.frozen
class FieldDefinition:
    """A custom field of an organisation's leads: key, type, and for choices the allowed values."""

    key: str
    """The field's key in ``Lead.fields`` and in import rows."""
    type: FieldType = attrs.field(converter=FieldType)
    """How values are read and checked: text, integer, number, boolean, date or choice."""
    label: str | None = None
    """A label for people, if it differs from the key."""
    choices: tuple[str, ...] = attrs.field(default=(), converter=_choices)
    """For a ``choice`` field, the allowed values."""
    required: bool = False
    """Whether every new lead must give it."""


def _coerce(defn: FieldDefinition, value: object) -> FieldValue:
    """Return ``value`` as the field's type, or raise ``ValueError`` saying what is accepted."""
    t = defn.type
    if value is None:
        return None
    if t is FieldType.TEXT and isinstance(value, str):
        return value
    if t is FieldType.BOOLEAN and isinstance(value, bool):
        return value
    if t is FieldType.INTEGER and isinstance(value, int) and not isinstance(value, bool):
        return value
    if t is FieldType.INTEGER and isinstance(value, str) and re.fullmatch(r"[+-]?\d+", value):
        return int(value)
    if t is FieldType.NUMBER and isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if t is FieldType.NUMBER and isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            pass
    if t is FieldType.DATE and isinstance(value, date) and not isinstance(value, datetime):
        return value
    if t is FieldType.DATE and isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    if t is FieldType.CHOICE and isinstance(value, str) and value in defn.choices:
        return value
    if t is FieldType.CHOICE:
        raise ValueError(f"{value!r} is not one of: {', '.join(defn.choices)}")
    raise ValueError(f"expected {t.value}, got {value!r}")


def check_fields(
    definitions: Sequence[FieldDefinition], values: Mapping[str, object], path: str
) -> tuple[dict[str, FieldValue], list[str]]:
    """Type every custom field value; return the typed values and every problem found."""
    by_key = {d.key: d for d in definitions}
    typed: dict[str, FieldValue] = {}
    problems: list[str] = []
    for key, value in values.items():
        defn = by_key.get(key)
        if defn is None:
            known = ", ".join(sorted(by_key)) or "none are defined"
            problems.append(f"{path}.{key}: unknown custom field (known: {known})")
            continue
        try:
            typed[key] = _coerce(defn, value)
        except ValueError as exc:
            problems.append(f"{path}.{key}: {exc}")
    for defn in definitions:
        if (
            defn.required
            and typed.get(defn.key) is None
            and f"{path}.{defn.key}" not in {p.split(":")[0] for p in problems}
        ):
            problems.append(f"{path}.{defn.key}: required")
    return typed, problems


class DuplicateMatch(enum.StrEnum):
    """Whether a duplicate must share any of the checked fields, or all of them."""

    ANY = "any"
    ALL = "all"


def _fieldset(value: Iterable[str]) -> frozenset[str]:
    return frozenset(value)


@attrs.frozen
class LeadSettings:
    """An organisation's lead intake settings.

    Duplicate detection compares the fields in ``duplicate_fields`` (``phone``,
    ``email``, ``name``) against leads created within ``duplicate_window``
    (``None``: ever). ``editable_when_converted`` lists the lead fields
    (``name``, ``phones``, ``emails`` or custom field keys) that stay editable
    after conversion.
    """

    duplicate_fields: frozenset[str] = attrs.field(
        default=frozenset({"phone", "email"}), converter=_fieldset
    )
    duplicate_match: DuplicateMatch = attrs.field(
        default=DuplicateMatch.ANY, converter=DuplicateMatch
    )
    """``any``: one shared value makes a duplicate; ``all``: every compared field the lead
    has must match."""
    duplicate_window: timedelta | None = timedelta(days=30)
    custom_fields: tuple[FieldDefinition, ...] = ()
    """The organisation's custom fields."""
    editable_when_converted: frozenset[str] = attrs.field(factory=frozenset, converter=_fieldset)

    def problems(self) -> list[str]:
        """Every problem with these settings (empty when valid)."""
        out: list[str] = []
        unknown = self.duplicate_fields - {"phone", "email", "name"}
        if unknown:
            out.append(
                f"duplicate_fields: {sorted(unknown)} are not fields; use phone, email, name"
            )
        if self.duplicate_window is not None and self.duplicate_window <= timedelta(0):
            out.append("duplicate_window: must be positive, or None for no limit")
        elif (too_long := duration_problem(self.duplicate_window, "duplicate_window")) is not None:
            out.append(too_long)
        seen: set[str] = set()
        for i, d in enumerate(self.custom_fields):
            if not _FIELD_KEY.fullmatch(d.key):
                out.append(f"custom_fields[{i}].key: {d.key!r} must match [a-z][a-z0-9_]{{0,63}}")
            if d.key in seen:
                out.append(f"custom_fields[{i}].key: {d.key!r} is defined twice")
            seen.add(d.key)
            if d.type is FieldType.CHOICE and not d.choices:
                out.append(f"custom_fields[{i}].choices: a choice field needs choices")
        return out


def match_keys(lead: Lead, fields: frozenset[str]) -> dict[str, set[str]]:
    """The values duplicate detection compares, per checked field."""
    keys: dict[str, set[str]] = {}
    if "phone" in fields and lead.phones:
        keys["phone"] = set(lead.phones)
    if "email" in fields and lead.emails:
        keys["email"] = set(lead.emails)
    if "name" in fields and lead.name.strip():
        keys["name"] = {name_key(lead.name)}
    return keys


def is_duplicate(new: Lead, old: Lead, settings: LeadSettings) -> bool:
    """Whether ``new`` duplicates ``old`` under ``settings`` (ignoring the time window)."""
    mine = match_keys(new, settings.duplicate_fields)
    if not mine:
        return False
    theirs = match_keys(old, settings.duplicate_fields)
    shared = [field for field, values in mine.items() if values & theirs.get(field, set())]
    if settings.duplicate_match is DuplicateMatch.ANY:
        return bool(shared)
    return len(shared) == len(mine)


def first_originals(
    leads: Sequence[Lead], stored: Iterable[Lead], settings: LeadSettings
) -> list[Lead | None]:
    """For each of ``leads`` in turn, the lead it duplicates, or ``None``.

    A lead's candidates are the ``stored`` leads (those in the duplicate
    window) and the ``leads`` before it that share a compared value; the
    oldest by ``(created_at, id)`` that :func:`is_duplicate` accepts is its
    original, exactly as if each lead were looked up alone after the ones
    before it were stored (an earlier lead of ``leads`` comes back with its
    own ``duplicate_of`` set, as it would be stored).
    """
    fields = settings.duplicate_fields
    # With ``any``, every lead sharing one value is a duplicate's original: only the
    # oldest per value matters. With ``all``, every candidate must be tested.
    oldest_only = settings.duplicate_match is DuplicateMatch.ANY
    index: dict[tuple[str, str], list[Lead]] = {}

    def keep(lead: Lead) -> None:
        for field, values in match_keys(lead, fields).items():
            for value in values:
                held = index.setdefault((field, value), [])
                if not oldest_only:
                    held.append(lead)
                elif not held or _age(lead) < _age(held[0]):
                    held[:] = [lead]

    for lead in stored:
        keep(lead)
    out: list[Lead | None] = []
    for lead in leads:
        found: dict[str, Lead] = {}
        for field, values in match_keys(lead, fields).items():
            for value in values:
                for candidate in index.get((field, value), ()):
                    found[candidate.id] = candidate
        ordered = sorted(found.values(), key=_age)
        original = next((c for c in ordered if is_duplicate(lead, c, settings)), None)
        out.append(original)
        if original is not None:
            # As it will be stored: a later row that matches it is led to the same first lead.
            lead = attrs.evolve(lead, duplicate_of=original.duplicate_of or original.id)
        keep(lead)
    return out


def _age(lead: Lead) -> tuple[datetime, str]:
    return (lead.created_at, lead.id)
