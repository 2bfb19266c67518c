"""Strategies for lead input: names in Latin and Hebrew script, phone numbers, e-mails, rows."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Literal, TypedDict

import phonenumbers
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

__all__ = [
    "CHANNELS",
    "PHONE_REGIONS",
    "LeadRow",
    "emails",
    "lead_rows",
    "person_names",
    "phone_numbers",
]

#: The regions :func:`phone_numbers` draws from by default.
PHONE_REGIONS: tuple[str, ...] = ("IL", "RO", "US", "GB", "FR", "DE")
#: The channels :func:`lead_rows` draws a lead's source from (``None`` means unknown).
CHANNELS: tuple[str | None, ...] = (None, "facebook", "google", "website", "referral", "tiktok")

_LATIN_FIRST = (
    "Dana", "Andrei", "Ioana", "Maria", "John", "Sarah", "Mihai", "Elena", "David", "Noa",
    "Ștefan", "Anaïs", "José", "Zoë", "Björn", "Łukasz",
)  # fmt: skip
_LATIN_LAST = (
    "Cohen", "Levi", "Popescu", "Ionescu", "Smith", "García", "Müller", "Dumitru", "O'Brien",
    "Mărginean", "Nguyen", "van der Berg", "Ben-David", "Țurcanu",
)  # fmt: skip
_HEBREW_FIRST = (
    "נועה", "דנה", "יעל", "עומר", "אבי", "תמר", "משה", "שרה", "יוסי", "מיכל", "אוֹרי",
)  # fmt: skip
_HEBREW_LAST = ("כהן", "לוי", "מזרחי", "פרץ", "ביטון", "אברהם", "פרידמן", "דהן", "בן-דוד")

_Script = Literal["any", "latin", "hebrew"]


def _names(first: Sequence[str], last: Sequence[str]) -> st.SearchStrategy[str]:
    full = st.tuples(st.sampled_from(first), st.sampled_from(last)).map(" ".join)
    return full | st.sampled_from(first)


_PERSON_NAMES: dict[str, st.SearchStrategy[str]] = {
    "latin": _names(_LATIN_FIRST, _LATIN_LAST),
    "hebrew": _names(_HEBREW_FIRST, _HEBREW_LAST),
}
_PERSON_NAMES["any"] = _PERSON_NAMES["latin"] | _PERSON_NAMES["hebrew"]


def person_names(script: _Script = "any") -> st.SearchStrategy[str]:
    """Draw a person's name as people write them: a first name, or a first and a last name.

    ``script`` is ``"latin"`` (with the accents of Romanian, French, German,
    Polish ... names), ``"hebrew"`` (some with vowel points) or ``"any"``.

    >>> from hypothesis import find
    >>> find(person_names("latin"), lambda n: " " in n)
    'Dana Cohen'
    """
    if script not in _PERSON_NAMES:
        raise InvalidArgument(f"script={script!r}: expected one of {', '.join(_PERSON_NAMES)}")
    return _PERSON_NAMES[script]


_KINDS = {
    "mobile": phonenumbers.PhoneNumberType.MOBILE,
    "fixed_line": phonenumbers.PhoneNumberType.FIXED_LINE,
}
_FORMATS = {
    "e164": phonenumbers.PhoneNumberFormat.E164,
    "international": phonenumbers.PhoneNumberFormat.INTERNATIONAL,
    "national": phonenumbers.PhoneNumberFormat.NATIONAL,
}
_Style = Literal["e164", "international", "national", "any"]
_Kind = Literal["mobile", "fixed_line"]


@functools.cache
def _example(region: str, kind: str) -> phonenumbers.PhoneNumber | None:
    found: phonenumbers.PhoneNumber | None = phonenumbers.example_number_for_type(
        region, _KINDS[kind]
    )
    return found


def _vary(region: str, example: phonenumbers.PhoneNumber, tail: int) -> phonenumbers.PhoneNumber:
    # The last digits are the subscriber's: changing them keeps the number valid in most
    # plans; where it does not, the example itself stands in.
    digits = phonenumbers.national_significant_number(example)
    width = min(4, len(digits) - 1)
    candidate = digits[:-width] + str(tail % 10**width).zfill(width)
    number = phonenumbers.parse(f"+{example.country_code}{candidate}")
    return number if phonenumbers.is_valid_number_for_region(number, region) else example


def phone_numbers(
    regions: Sequence[str] = PHONE_REGIONS,
    *,
    style: _Style = "e164",
    kinds: Sequence[_Kind] = ("mobile", "fixed_line"),
) -> st.SearchStrategy[str]:
    """Draw a phone number that is valid for its region, written in a chosen style.

    Numbers are made from each region's example numbers (from the
    ``phonenumbers`` metadata) with other subscriber digits, so they are
    real-looking and pass :func:`~leadcore.leads.normalize_phone`.

    - ``regions``: ISO 3166 codes to draw from (default :data:`PHONE_REGIONS`).
    - ``style``: ``"e164"`` (``+972502345678``), ``"international"``
      (``+972 50-234-5678``), ``"national"`` (``050-234-5678``: only readable
      with the region as the organisation's default region) or ``"any"``.
    - ``kinds``: ``"mobile"`` and/or ``"fixed_line"``.

    >>> from hypothesis import find
    >>> from leadcore.leads import normalize_phone
    >>> number = find(phone_numbers(["IL"], style="national"), lambda n: n.startswith("05"))
    >>> number, normalize_phone(number, "IL")
    ('050-234-0000', '+972502340000')
    """
    problems = [
        f"regions: {r!r} is not a region phonenumbers knows"
        for r in regions
        if r not in phonenumbers.SUPPORTED_REGIONS
    ]
    if not regions:
        problems.append("regions: give at least one region")
    if style not in (*_FORMATS, "any"):
        problems.append(f"style={style!r}: expected one of e164, international, national, any")
    unknown = [k for k in kinds if k not in _KINDS]
    if unknown or not kinds:
        problems.append(f"kinds={list(kinds)!r}: expected some of mobile, fixed_line")
    if problems:
        raise InvalidArgument("; ".join(problems))
    pairs = [(r, k) for r in regions for k in kinds if _example(r, k) is not None]
    if not pairs:
        raise InvalidArgument(f"regions={list(regions)!r} have no example numbers of {kinds}")
    formats = list(_FORMATS.values()) if style == "any" else [_FORMATS[style]]

    def build(pair: tuple[str, str], tail: int, fmt: int) -> str:
        region, kind = pair
        example = _example(region, kind)
        assert example is not None
        return phonenumbers.format_number(_vary(region, example, tail), fmt)

    return st.builds(build, st.sampled_from(pairs), st.integers(0, 9999), st.sampled_from(formats))


_LOCAL_WORDS = ("dana", "andrei", "ioana", "noa", "john", "sales", "info", "office", "cohen")
_DOMAINS = ("example.com", "example.org", "example.net", "example.co.il", "example.ro")


def _mixed_case(text: str, mask: int) -> str:
    return "".join(c.upper() if mask >> (i % 16) & 1 else c for i, c in enumerate(text))


def emails() -> st.SearchStrategy[str]:
    """Draw an e-mail address as people type it: mixed case, sometimes with spaces around.

    The domains are the reserved ``example.*`` ones. :func:`~leadcore.leads.normalize_email`
    accepts every address and gives it back trimmed and in lower case.

    >>> from hypothesis import find
    >>> from leadcore.leads import normalize_email
    >>> normalize_email(find(emails(), lambda e: e != e.strip() and not e.islower()))
    'dana@example.com'
    """
    local = st.lists(st.sampled_from(_LOCAL_WORDS), min_size=1, max_size=2).map(".".join)
    number = st.one_of(st.just(""), st.integers(1, 999).map(str))
    address = st.builds(
        lambda user, n, domain, mask: _mixed_case(f"{user}{n}@{domain}", mask),
        local,
        number,
        st.sampled_from(_DOMAINS),
        st.integers(0, 0xFFFF),
    )
    padding = st.sampled_from(["", " ", "  "])
    return st.builds(lambda before, a, after: before + a + after, padding, address, padding)


class LeadRow(TypedDict):
    """A lead as a caller gives it: the keyword arguments of ``s.leads.create``.

    The same mapping is an import row for ``s.leads.import_many``.
    """

    name: str
    phones: list[str]
    emails: list[str]
    channel: str | None


def lead_rows(
    region: str | None = None,
    *,
    names: st.SearchStrategy[str] | None = None,
    max_phones: int = 2,
    max_emails: int = 2,
) -> st.SearchStrategy[LeadRow]:
    """Draw lead input: a name, phone numbers, e-mails and a channel.

    ``region`` is the organisation's default region: with it, some numbers
    are written nationally (``050-...``), as callers do; without it, every
    number carries its country code. ``names`` defaults to
    :func:`person_names`. Every row is accepted by ``s.leads.create(**row)``
    in an organisation with that default region.

    >>> from hypothesis import find
    >>> row = find(lead_rows("IL"), lambda r: len(r["phones"]) == 2)
    >>> sorted(row)
    ['channel', 'emails', 'name', 'phones']
    """
    if region is not None and region not in phonenumbers.SUPPORTED_REGIONS:
        raise InvalidArgument(f"region={region!r} is not a region phonenumbers knows")
    if max_phones < 0 or max_emails < 0:
        raise InvalidArgument("max_phones and max_emails must be 0 or more")
    abroad = phone_numbers(style="e164") | phone_numbers(style="international")
    phones = abroad if region is None else phone_numbers([region], style="any") | abroad
    return st.builds(
        LeadRow,
        name=person_names() if names is None else names,
        phones=st.lists(phones, max_size=max_phones),
        emails=st.lists(emails(), max_size=max_emails),
        channel=st.sampled_from(CHANNELS),
    )
